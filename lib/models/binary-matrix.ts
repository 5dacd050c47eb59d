/**
 * The binary user x item matrix X (x_ui = 1 when u interacted with i in training, else 0) that ItemKNN, EASE and
 * iALS are defined on, as compressed rows, and the argument checks their `score`/`scoreAll` share.
 *
 * A repeated (user, item) row counts once: these models are defined on a 0/1 matrix, and `Interactions.csr()`
 * keeps duplicates (the splits merge them by default, but a caller may pass raw data).
 */
import type { Interactions } from "../data/interactions";
import type { Recommender } from "./recommender";

/** Rows of a sparse 0/1 matrix: the columns of row r are `indices[indptr[r] .. indptr[r + 1])`, ascending, distinct. */
export interface BinaryRows {
  indptr: Int32Array;
  indices: Int32Array;
}

/** X by user: each user's distinct training items, ascending. */
export function userRows(train: Interactions): BinaryRows {
  const { indptr, indices } = train.csr();
  const outPtr = new Int32Array(train.numUsers + 1);
  const out = new Int32Array(indices.length);
  let n = 0;
  for (let u = 0; u < train.numUsers; u++) {
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) {
      const it = indices[p]!;
      if (p === indptr[u] || it !== indices[p - 1]) out[n++] = it; // sorted: repeats are adjacent
    }
    outPtr[u + 1] = n;
  }
  return { indptr: outPtr, indices: n === out.length ? out : out.slice(0, n) };
}

/** The transpose of `rows` (numCols rows): for X by user, X by item (each item's users, ascending). */
export function transposeRows(rows: BinaryRows, numCols: number): BinaryRows {
  const numRows = rows.indptr.length - 1;
  const indptr = new Int32Array(numCols + 1);
  for (let p = 0; p < rows.indices.length; p++) indptr[rows.indices[p]! + 1]!++;
  for (let c = 0; c < numCols; c++) indptr[c + 1]! += indptr[c]!;
  const fill = indptr.slice(0, numCols);
  const indices = new Int32Array(rows.indices.length);
  for (let r = 0; r < numRows; r++) {
    for (let p = rows.indptr[r]!; p < rows.indptr[r + 1]!; p++) indices[fill[rows.indices[p]!]!++] = r;
  }
  return { indptr, indices };
}

/** Throws, naming the model and the position, when a user index is outside [0, numUsers). */
export function checkUsers(model: Recommender, users: Int32Array): void {
  for (let b = 0; b < users.length; b++) {
    const u = users[b]!;
    if (!(u >= 0 && u < model.numUsers)) throw new Error(`${model.name}: user index ${u} (position ${b}) is outside [0, ${model.numUsers})`);
  }
}

/** Checks of `score(users, items)`: one user per item, every index in range. */
export function checkPairs(model: Recommender, users: Int32Array, items: Int32Array): void {
  if (users.length !== items.length) {
    throw new Error(`${model.name}.score: ${users.length} users but ${items.length} items; pass one user per item (pairs)`);
  }
  checkUsers(model, users);
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (!(it >= 0 && it < model.numItems)) throw new Error(`${model.name}.score: item index ${it} (position ${i}) is outside [0, ${model.numItems})`);
  }
}

/** Checks a non-negative finite number option; returns it. */
export function nonNegative(where: string, name: string, value: number, fix: string): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) throw new Error(`${where}: ${name} must be a finite number >= 0, got ${value}; ${fix}`);
  return value;
}

/** Checks a positive integer option; returns it. */
export function positiveInteger(where: string, name: string, value: number, fix: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${value}; ${fix}`);
  return value;
}
