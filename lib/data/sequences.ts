/**
 * Each user's interactions in time order, and the history that precedes any one of them: what sequence-aware
 * models (a Two-Tower user tower's pooled history) read.
 *
 * "Before" follows the kit's one notion of time (see splits.ts): a larger timestamp is later, and among equal
 * timestamps the later row of the source is the later event; without timestamps the row order alone decides. The
 * history of a row is what came strictly before it, so an example's target never appears in its own input.
 */
import type { Interactions } from "./interactions";
import { rowsByUser } from "./interactions";

export interface UserSequences {
  /** The items of user u in time order: items[indptr[u] .. indptr[u + 1]). */
  indptr: Int32Array;
  items: Int32Array;
  /** For each row of the source interactions, its position in its user's sequence (0 = the user's first). */
  position: Int32Array;
}

/** Time-ordered item sequences of every user of `data` (see the module comment for the order). */
export function userSequences(data: Interactions): UserSequences {
  const { indptr, rows } = rowsByUser(data); // rows of each user in source order
  const ts = data.timestamps;
  const items = new Int32Array(data.length);
  const position = new Int32Array(data.length);
  for (let u = 0; u < data.numUsers; u++) {
    const lo = indptr[u]!;
    const own = rows.subarray(lo, indptr[u + 1]!);
    // A stable sort by time keeps source order among equal timestamps.
    const ordered = ts ? Int32Array.from(own).sort((a, b) => ts[a]! - ts[b]! || a - b) : own;
    for (let k = 0; k < ordered.length; k++) {
      items[lo + k] = data.items[ordered[k]!]!;
      position[ordered[k]!] = k;
    }
  }
  return { indptr, items, position };
}

/**
 * The last `maxLength` items of `user` before position `end` of their sequence (all of them when `end` is the
 * sequence's length): written into `out` from `offset`, returns how many.
 */
export function historyBefore(seq: UserSequences, user: number, end: number, maxLength: number, out: Int32Array, offset: number): number {
  const lo = seq.indptr[user]!;
  const start = Math.max(0, end - maxLength);
  out.set(seq.items.subarray(lo + start, lo + end), offset);
  return end - start;
}
