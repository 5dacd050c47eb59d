/**
 * Host-side inputs of a two-tower batch: per tower, the ids, the codes of each categorical input and the padded
 * bags (histories, genres, title tokens), as typed arrays ready to upload.
 */
import type { TowerFeature, TowerInputs } from "./inputs";

/** Host arrays of one tower's inputs for n rows (ids, codes per column, bags per column). */
export interface SideInputs {
  n: number;
  ids: Int32Array;
  codes: { name: TowerFeature; codes: Int32Array }[];
  bags: { name: TowerFeature; ids: Int32Array; weights: Float32Array; width: number }[];
  /** Item side: rows whose id embedding is left out (cold items, or every row for feature-only vectors). */
  dropId?: Float32Array;
}

/** Padded histories: for user k, the last `maxLength` of the first ends[k] items of their sequence (mean weights). */
export function historyBags(inputs: TowerInputs, users: Int32Array, ends: Int32Array, maxLength: number): { ids: Int32Array; weights: Float32Array; width: number } {
  const seq = inputs.history;
  let width = 0;
  for (let k = 0; k < users.length; k++) width = Math.max(width, Math.min(maxLength, ends[k]!));
  const ids = new Int32Array(users.length * width);
  const weights = new Float32Array(users.length * width);
  for (let k = 0; k < users.length; k++) {
    const end = ends[k]!;
    const start = Math.max(0, end - maxLength);
    const lo = seq.indptr[users[k]!]! + start;
    const w = end > start ? 1 / (end - start) : 0;
    const o = k * width;
    for (let l = 0; l < end - start; l++) {
      ids[o + l] = seq.items[lo + l]!;
      weights[o + l] = w;
    }
  }
  return { ids, weights, width };
}

/** Padded bags of `rows` from CSR, the first `maxLength` of each; weights 1/size (mean) or 1 (sum). */
export function padBags(indptr: Int32Array, indices: Int32Array, rows: Int32Array, pooling: "mean" | "sum", maxLength: number): { ids: Int32Array; weights: Float32Array; width: number } {
  let width = 0;
  for (let k = 0; k < rows.length; k++) width = Math.max(width, Math.min(maxLength, indptr[rows[k]! + 1]! - indptr[rows[k]!]!));
  const ids = new Int32Array(rows.length * width);
  const weights = new Float32Array(rows.length * width);
  for (let k = 0; k < rows.length; k++) {
    const lo = indptr[rows[k]!]!;
    const m = Math.min(maxLength, indptr[rows[k]! + 1]! - lo);
    const w = pooling === "mean" && m > 0 ? 1 / m : 1;
    const o = k * width;
    for (let l = 0; l < m; l++) {
      ids[o + l] = indices[lo + l]!;
      weights[o + l] = w;
    }
  }
  return { ids, weights, width };
}
