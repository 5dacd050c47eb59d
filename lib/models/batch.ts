/**
 * What a training step uploads for one batch, and the one layout trick that makes it fast on wasm.
 *
 * Pairs as rows of one table: every model keeps its user and item vectors of one kind in a single table of
 * numUsers + numItems rows (users first). A batch becomes an int32 tensor `pairs` of shape [rows, 2, 1] holding
 * (user, numUsers + item), so ONE gatherND fetches both vectors of every pair ([rows, 2, dim], which reshapes for
 * free to the concatenation [rows, 2 * dim] that an MLP eats) and ONE scatterND sends both gradients back.
 * `swapped` holds (numUsers + item, user): gathering with it gives, next to each user vector, the item vector and
 * vice versa, which is what the gradient of an elementwise product needs.
 *
 * Padding rows: on the wasm backend a transpose of a [rows, k] matrix is up to 8x slower when rows is a multiple
 * of a large power of two (every column of the output then lands in the same cache set; measured in
 * bench/probe-kernels.ts: [4096, 32] 555 us, [4112, 32] 69 us). Weight gradients need such transposes, and batch
 * sizes are usually powers of two, so on wasm a batch of n examples is padded to rows = n + p (p < 32, rows = 16
 * mod 32) with copies of pair 0 whose weight is 0: they change no gradient and no loss.
 */
import * as tf from "@tensorflow/tfjs";
import type { StepTargets } from "../nn/step";

/** A batch as the data layer yields it (lib/data `Batch`), optionally with the negatives of pairwise losses. */
export interface TrainBatch {
  users: Int32Array;
  items: Int32Array;
  /** Pointwise losses: 1/0 for implicit feedback, or the rating (loss "mse"). */
  labels?: Float32Array;
  /** Pairwise losses ("bpr"): a sampled negative item for each (user, item). */
  negItems?: Int32Array;
  /**
   * The row of each example's positive in the training interactions the batch source was built from: models with
   * per-example context (a two-tower user's history before that interaction) read it. Sources give it.
   */
  rows?: Int32Array;
}

/** "auto": pad on wasm only (batches of 64 or more); "always"/"never" force it (tests, benchmarks). */
export type RowPadding = "auto" | "always" | "never";
let rowPadding: RowPadding = "auto";

/** Set the padding policy for all models (returns the previous one). */
export function setRowPadding(mode: RowPadding): RowPadding {
  const old = rowPadding;
  rowPadding = mode;
  return old;
}

/** Rows a batch of n examples occupies on the current backend (see the padding note above). */
export function paddedRows(n: number, backend: string = tf.getBackend()): number {
  const pad = rowPadding === "always" || (rowPadding === "auto" && backend === "wasm" && n >= 64);
  return pad ? n + ((16 - (n % 32) + 32) % 32) : n;
}

/** Host arrays of (user, numUsers + item) pairs and the swapped pairs, padded with pair 0 up to `rows`. */
export function pairIndices(
  users: Int32Array,
  items: Int32Array,
  numUsers: number,
  rows: number,
): { pairs: Int32Array; swapped: Int32Array } {
  const n = users.length;
  const pairs = new Int32Array(rows * 2);
  const swapped = new Int32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    const b = r < n ? r : 0;
    const u = users[b]!;
    const i = numUsers + items[b]!;
    pairs[2 * r] = u;
    pairs[2 * r + 1] = i;
    swapped[2 * r] = i;
    swapped[2 * r + 1] = u;
  }
  return { pairs, swapped };
}

/** Checks ids are integers in range; errors name the first bad entry and the valid range. */
export function checkIds(where: string, what: string, ids: Int32Array, size: number): void {
  for (let k = 0; k < ids.length; k++) {
    const v = ids[k]!;
    if (!(v >= 0 && v < size)) throw new Error(`${where}: ${what}[${k}] = ${v} is outside [0, ${size})`);
  }
}

/** Device tensors of pairs to score: the same pairs in the layouts the models gather with. */
export interface PairBatch {
  /** Rows including padding (pairwise: 2 * padded rows, positives first). */
  rows: number;
  /** [rows, 2, 1]: (user, numUsers + item). */
  pairs: tf.Tensor3D;
  /** The same pairs on the host (rows x 2), for layers that plan on them (factored-input.ts). */
  hostPairs: Int32Array;
  /** [rows, 2, 1]: (numUsers + item, user); null when only scoring. */
  swapped: tf.Tensor3D | null;
  /** [rows, 1]: user (row of the user in a users + items table). */
  userRows: tf.Tensor2D;
  /** [rows, 1]: numUsers + item. */
  itemRows: tf.Tensor2D;
}

/** Pairs for scoring (no padding, no swapped layout). Checks nothing: callers check ids. */
export function scoringBatch(users: Int32Array, items: Int32Array, numUsers: number): PairBatch {
  const n = users.length;
  const { pairs } = pairIndices(users, items, numUsers, n);
  const itemRows = Int32Array.from(items, (i) => numUsers + i);
  return {
    rows: n,
    pairs: tf.tensor3d(pairs, [n, 2, 1], "int32"),
    hostPairs: pairs,
    swapped: null,
    userRows: tf.tensor2d(users, [n, 1], "int32"),
    itemRows: tf.tensor2d(itemRows, [n, 1], "int32"),
  };
}

/** Device tensors of one training batch: the pairs and the loss targets (see StepTargets). */
export interface DeviceBatch extends PairBatch {
  swapped: tf.Tensor3D;
  targets: StepTargets;
}

/** Checks a batch's lengths and ids against the model's sizes and the loss kind; errors name `where`. */
export function checkBatch(batch: TrainBatch, numUsers: number, numItems: number, pairwise: boolean, where: string): void {
  const n = batch.users.length;
  if (n === 0) throw new Error(`${where}: empty batch`);
  if (batch.items.length !== n) throw new Error(`${where}: batch has ${n} users but ${batch.items.length} items`);
  checkIds(where, "users", batch.users, numUsers);
  checkIds(where, "items", batch.items, numItems);
  if (pairwise) {
    const neg = batch.negItems;
    if (!neg) throw new Error(`${where}: the pairwise loss needs batch.negItems (a negative item per example)`);
    if (neg.length !== n) throw new Error(`${where}: batch has ${n} users but ${neg.length} negItems`);
    checkIds(where, "negItems", neg, numItems);
  } else {
    if (!batch.labels) throw new Error(`${where}: the pointwise loss needs batch.labels`);
    if (batch.labels.length !== n) throw new Error(`${where}: batch has ${n} users but ${batch.labels.length} labels`);
  }
}

/**
 * The (user, item) rows a loss scores for a batch, unpadded: pointwise, the batch's pairs; pairwise, the
 * positives' pairs then the negatives' (so the logits reshape to [2, n]). Checks the batch first.
 */
export function scoredRows(batch: TrainBatch, numUsers: number, numItems: number, pairwise: boolean, where: string): { users: Int32Array; items: Int32Array } {
  checkBatch(batch, numUsers, numItems, pairwise, where);
  if (!pairwise) return { users: batch.users, items: batch.items };
  return { users: concatInt(batch.users, batch.users), items: concatInt(batch.items, batch.negItems!) };
}

/** Loss targets as device tensors: n real examples padded with zero-weight rows up to `half` rows. */
export function deviceTargets(batch: TrainBatch, half: number, pairwise: boolean): StepTargets {
  const n = batch.users.length;
  const weights = new Float32Array(half);
  const mask = new Float32Array(half);
  const labels = new Float32Array(half);
  weights.fill(1 / n, 0, n);
  mask.fill(1, 0, n);
  if (!pairwise) labels.set(batch.labels!);
  return { n, labels: tf.tensor2d(labels, [half, 1]), weights: tf.tensor2d(weights, [half, 1]), mask: tf.tensor2d(mask, [half, 1]) };
}

/**
 * Upload one batch. Pointwise: rows = paddedRows(n). Pairwise: the positives' pairs then the negatives' pairs,
 * each padded, so scores reshape to [2, rows / 2].
 */
export function uploadBatch(batch: TrainBatch, numUsers: number, numItems: number, pairwise: boolean, where: string): DeviceBatch {
  checkBatch(batch, numUsers, numItems, pairwise, where);
  const half = paddedRows(batch.users.length);
  let pairs: Int32Array;
  let swapped: Int32Array;
  if (pairwise) {
    const pos = pairIndices(batch.users, batch.items, numUsers, half);
    const ng = pairIndices(batch.users, batch.negItems!, numUsers, half);
    pairs = concatInt(pos.pairs, ng.pairs);
    swapped = concatInt(pos.swapped, ng.swapped);
  } else {
    ({ pairs, swapped } = pairIndices(batch.users, batch.items, numUsers, half));
  }
  const rows = pairwise ? 2 * half : half;
  const userRows = new Int32Array(rows);
  const itemRows = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    userRows[r] = pairs[2 * r]!;
    itemRows[r] = pairs[2 * r + 1]!;
  }
  return {
    rows,
    pairs: tf.tensor3d(pairs, [rows, 2, 1], "int32"),
    hostPairs: pairs,
    swapped: tf.tensor3d(swapped, [rows, 2, 1], "int32"),
    userRows: tf.tensor2d(userRows, [rows, 1], "int32"),
    itemRows: tf.tensor2d(itemRows, [rows, 1], "int32"),
    targets: deviceTargets(batch, half, pairwise),
  };
}

function concatInt(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
