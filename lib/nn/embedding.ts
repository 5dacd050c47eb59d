/**
 * Embedding lookup with its own gradient: rows = table[ids], d table = scatter-add of d rows.
 *
 * tf.gather's built-in gradient needs the UnsortedSegmentSum kernel, which the wasm backend lacks and the cpu
 * backend runs very slowly; on wasm, tf.gather itself is also ~25x slower than tf.gatherND with ids shaped
 * [n, 1] (measured, see DESIGN.md). Forward here is gatherND; backward is scatterND, which sums the rows of
 * duplicate ids, so the table's gradient is dense-shaped but exact.
 */
import * as tf from "@tensorflow/tfjs";
import { gatherTable, scatterAddRows } from "./kernels/rows";

const lookupWithGrad = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, ids, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  // The ids go through `save`: a closure over them is not reliable once the forward tidy scope ends.
  save([ids]);
  const numRows = table.shape[0];
  return {
    // On wasm both directions run as the kit's SIMD row kernels (kernels/rows.ts), bit-identical to gatherND and
    // scatterND, which remain the path elsewhere.
    value: gatherTable(table, ids),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const savedIds = saved[0]!;
      // The ids get no gradient (they are integers and never on a path from a variable); returning them
      // unchanged satisfies customGrad's one-gradient-per-input rule without running a kernel.
      return [scatterAddRows(savedIds, dy, numRows) ?? tf.scatterND(savedIds, dy, table.shape), savedIds];
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

/**
 * Bags of ids as a padded block: `ids` [n, L] (int32) and `weights` [n, L] (float32). Row r pools
 * sum_l weights[r, l] * table[ids[r, l]]: weights 1 / (bag size) for a mean, 1 for a sum, 0 on padding slots
 * (whose ids point at row 0 and contribute nothing, to the output or to the gradient).
 */
export interface PaddedBags {
  ids: tf.Tensor2D;
  weights: tf.Tensor2D;
}

export type Pooling = "mean" | "sum";

/**
 * Pooled lookup: one vector per bag ([n, dim]), the mean or sum of the looked-up rows; an empty bag gives zeros.
 * Differentiable with respect to `table` on every backend (its rows come from embeddingLookup).
 */
export function pooledLookup(table: tf.Tensor, bags: PaddedBags): tf.Tensor2D {
  const [n, width] = bags.ids.shape;
  if (bags.weights.shape[0] !== n || bags.weights.shape[1] !== width) {
    throw new Error(`pooledLookup: ids are [${bags.ids.shape.join(", ")}] but weights are [${bags.weights.shape.join(", ")}]; they must match`);
  }
  const dim = table.shape[1]!;
  if (width === 0) return tf.zeros([n, dim]);
  const rows = tf.reshape(embeddingLookup(table, tf.reshape(bags.ids, [n * width, 1])), [n, width, dim]);
  return tf.sum(tf.mul(rows, tf.reshape(bags.weights, [n, width, 1])), 1) as tf.Tensor2D;
}

/**
 * Ragged bags on the host as CSR (bag r holds indices[indptr[r] .. indptr[r + 1]]), e.g. each item's genres or
 * title tokens, each user's history. `select` pads the bags of a batch's rows into a PaddedBags block.
 */
export class Bags {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  /** Number of bags. */
  readonly length: number;
  /** Ids lie in [0, numIds) (the rows of the table they index). */
  readonly numIds: number;

  constructor(indptr: Int32Array, indices: Int32Array, numIds: number) {
    if (indptr.length < 1 || indptr[0] !== 0 || indptr[indptr.length - 1] !== indices.length) {
      throw new Error(`Bags: indptr must start at 0 and end at indices.length (${indices.length}); got [${indptr[0]}, ..., ${indptr[indptr.length - 1]}]`);
    }
    for (let r = 0; r + 1 < indptr.length; r++) {
      if (indptr[r + 1]! < indptr[r]!) throw new Error(`Bags: indptr must not decrease (indptr[${r}] = ${indptr[r]}, indptr[${r + 1}] = ${indptr[r + 1]})`);
    }
    for (let k = 0; k < indices.length; k++) {
      const v = indices[k]!;
      if (!(v >= 0 && v < numIds)) throw new Error(`Bags: indices[${k}] = ${v} is outside [0, ${numIds})`);
    }
    this.indptr = indptr;
    this.indices = indices;
    this.length = indptr.length - 1;
    this.numIds = numIds;
  }

  /** Size of the largest bag. */
  maxSize(): number {
    let m = 0;
    for (let r = 0; r < this.length; r++) m = Math.max(m, this.indptr[r + 1]! - this.indptr[r]!);
    return m;
  }

  /**
   * The bags of `rows` as a padded block (device tensors, created in the caller's tidy scope). `maxLength` keeps
   * at most that many ids of each bag: its LAST ones (for histories in time order, the most recent), or its first
   * ones with keep "first" (e.g. a title's first tokens).
   */
  select(rows: Int32Array, pooling: Pooling = "mean", maxLength = Infinity, keep: "first" | "last" = "last"): PaddedBags {
    const { ids, weights, width } = this.selectHost(rows, pooling, maxLength, keep);
    return { ids: tf.tensor2d(ids, [rows.length, width], "int32"), weights: tf.tensor2d(weights, [rows.length, width]) };
  }

  /** Host arrays of `select`. */
  selectHost(rows: Int32Array, pooling: Pooling = "mean", maxLength = Infinity, keep: "first" | "last" = "last"): { ids: Int32Array; weights: Float32Array; width: number } {
    if (pooling !== "mean" && pooling !== "sum") throw new Error(`Bags.select: pooling must be 'mean' or 'sum', got '${pooling}'`);
    let width = 0;
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k]!;
      if (!(r >= 0 && r < this.length)) throw new Error(`Bags.select: rows[${k}] = ${r} is outside [0, ${this.length})`);
      width = Math.max(width, Math.min(maxLength, this.indptr[r + 1]! - this.indptr[r]!));
    }
    const ids = new Int32Array(rows.length * width);
    const weights = new Float32Array(rows.length * width);
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k]!;
      const full = this.indptr[r + 1]! - this.indptr[r]!;
      const start = keep === "last" ? this.indptr[r]! + Math.max(0, full - maxLength) : this.indptr[r]!;
      const end = keep === "last" ? this.indptr[r + 1]! : start + Math.min(full, maxLength);
      const w = pooling === "mean" && end > start ? 1 / (end - start) : 1;
      ids.set(this.indices.subarray(start, end), k * width);
      weights.fill(w, k * width, k * width + (end - start));
    }
    return { ids, weights, width };
  }
}
