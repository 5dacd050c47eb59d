/**
 * Embedding lookup with its own gradient: rows = table[ids], d table = scatter-add of d rows.
 *
 * tf.gather's built-in gradient needs the UnsortedSegmentSum kernel, which the wasm backend lacks and the cpu
 * backend runs very slowly; on wasm, tf.gather itself is also ~25x slower than tf.gatherND with ids shaped
 * [n, 1] (measured, see DESIGN.md). Forward here is gatherND; backward is scatterND, which sums the rows of
 * duplicate ids, so the table's gradient is dense-shaped but exact.
 */
import * as tf from "@tensorflow/tfjs";

const lookupWithGrad = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, ids, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  // The ids go through `save`: a closure over them is not reliable once the forward tidy scope ends.
  save([ids]);
  return {
    value: tf.gatherND(table, ids) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const savedIds = saved[0]!;
      // The ids get no gradient (they are integers and never on a path from a variable); returning them
      // unchanged satisfies customGrad's one-gradient-per-input rule without running a kernel.
      return [tf.scatterND(savedIds, dy, table.shape), savedIds];
    },
  };
}));

/**
 * Look up rows of `table` ([numRows, dim]) for integer `ids` ([n] or [n, 1], int32). Differentiable with respect
 * to `table` on every backend. Ids must lie in [0, numRows); ids shaped [n, 1] avoid a reshape per call.
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor2D {
  if (table.rank !== 2) throw new Error(`embeddingLookup: table must be 2-D [numRows, dim], got [${table.shape.join(", ")}]`);
  if (ids.dtype !== "int32") throw new Error(`embeddingLookup: ids must be int32, got ${ids.dtype}`);
  const ids2d = ids.rank === 1 ? (ids.reshape([ids.shape[0], 1]) as tf.Tensor2D) : (ids as tf.Tensor2D);
  if (ids2d.rank !== 2 || ids2d.shape[1] !== 1) {
    throw new Error(`embeddingLookup: ids must have shape [n] or [n, 1], got [${ids.shape.join(", ")}]`);
  }
  return lookupWithGrad(table, ids2d) as tf.Tensor2D;
}
