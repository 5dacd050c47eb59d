/**
 * Per-user item sets for evaluation: the relevant (held-out) items of each user and the items to mask.
 *
 * Masking policy: for each user, the candidates are all items except those the user has in the training data
 * (and in any further `exclude` sets, e.g. validation) — EXCEPT that user's own held-out items, which always stay
 * candidates. With repeated interactions a held-out item can also appear in training; masking it would make the
 * held-out item impossible to find (or, done naively, rank it against nothing), so it is kept and ranked like
 * any other candidate. Duplicates collapse: a user's relevant set and mask are sets of distinct items.
 */
import type { Interactions } from "../data/interactions";

/** Distinct items per user, ascending: the items of user u are `indices[indptr[u] .. indptr[u+1])`. */
export interface UserItemSets {
  indptr: Int32Array;
  indices: Int32Array;
}

/**
 * Distinct items of each user over the union of `sources` (all in one index space), minus, for each user, the
 * items of that user in `keep` (if given).
 */
export function userItemSets(sources: readonly Interactions[], keep?: UserItemSets): UserItemSets {
  if (!sources.length) throw new Error("userItemSets: no interactions given");
  const { numUsers, numItems } = sources[0]!;
  for (const s of sources) checkSameSpace(s, numUsers, numItems, "userItemSets");
  if (keep && keep.indptr.length !== numUsers + 1) {
    throw new Error(`userItemSets: keep covers ${keep.indptr.length - 1} users but the interactions have ${numUsers}`);
  }
  const csrs = sources.map((s) => s.csr());
  const upper = sources.reduce((n, s) => n + s.length, 0);
  const indptr = new Int32Array(numUsers + 1);
  const indices = new Int32Array(upper);
  // stamp[item] === u + 1 marks an item already taken (or kept out) for user u: no clearing between users.
  const stamp = new Int32Array(numItems);
  let n = 0;
  for (let u = 0; u < numUsers; u++) {
    const tag = u + 1;
    if (keep) for (let j = keep.indptr[u]!; j < keep.indptr[u + 1]!; j++) stamp[keep.indices[j]!] = tag;
    const start = n;
    for (const { indptr: p, indices: ix } of csrs) {
      for (let j = p[u]!; j < p[u + 1]!; j++) {
        const item = ix[j]!;
        if (stamp[item] !== tag) {
          stamp[item] = tag;
          indices[n++] = item;
        }
      }
    }
    // One source's rows come out ascending already (csr() sorts them): sort only a row that needs it.
    for (let j = start + 1; j < n; j++) {
      if (indices[j]! < indices[j - 1]!) {
        indices.subarray(start, n).sort();
        break;
      }
    }
    indptr[u + 1] = n;
  }
  return { indptr, indices: indices.slice(0, n) };
}

/** Check that `x` lives in the index space numUsers x numItems; the message says how to fix it. */
export function checkSameSpace(x: Interactions, numUsers: number, numItems: number, where: string): void {
  if (x.numUsers !== numUsers || x.numItems !== numItems) {
    throw new Error(
      `${where}: interactions are ${x.numUsers} users x ${x.numItems} items but the model/test data are ${numUsers} x ${numItems}; ` +
        "split one Interactions object so that train, validation and test share its index space",
    );
  }
}
