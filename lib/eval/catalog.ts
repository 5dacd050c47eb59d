/**
 * Beyond-accuracy metrics of the recommended lists themselves (they ignore the held-out items): how much of the
 * catalogue the lists reach, and how popular the recommended items are. Pure functions.
 *
 * Lists are row-major [numLists x k] Int32Array of item ids, best first, padded with -1 when fewer than k
 * candidates existed (the layout `topKRows` in ranking.ts returns).
 */

/**
 * Catalog coverage = |union of the items in all lists| / numItems, in [0, 1]. Padding (-1) is ignored.
 * (Also called aggregate diversity or prediction coverage; Ge, Delgado-Battenfeld & Jannach, RecSys 2010.)
 */
export function catalogCoverage(lists: Int32Array, numItems: number): number {
  if (!Number.isInteger(numItems) || numItems < 1) throw new Error(`catalogCoverage: numItems must be a positive integer, got ${numItems}`);
  const seen = new Uint8Array(numItems);
  let distinct = 0;
  for (let j = 0; j < lists.length; j++) {
    const item = lists[j]!;
    if (item < 0) continue;
    if (item >= numItems) throw new Error(`catalogCoverage: lists[${j}] = ${item} is outside [0, ${numItems})`);
    if (!seen[item]) {
      seen[item] = 1;
      distinct++;
    }
  }
  return distinct / numItems;
}

/**
 * Mean popularity of one recommended list: (1/|L|) * sum_{i in L} popularity[i], where popularity[i] is the
 * item's number of training interactions and |L| counts the non-padding entries (NaN for an empty list).
 * Its mean over users is the average recommendation popularity, ARP (Yin et al., VLDB 2012; Abdollahpouri
 * et al., FLAIRS 2019): higher means the lists lean towards already popular items (popularity bias).
 */
export function listPopularity(list: ArrayLike<number>, popularity: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let j = 0; j < list.length; j++) {
    const item = list[j]!;
    if (item < 0) continue;
    if (item >= popularity.length) throw new Error(`listPopularity: item ${item} is outside [0, ${popularity.length}) (popularity has one entry per item)`);
    sum += popularity[item]!;
    n++;
  }
  return n ? sum / n : NaN;
}

/**
 * Average recommendation popularity over lists of width k: the mean of `listPopularity` over the lists
 * (lists with no items are skipped).
 */
export function averageRecommendationPopularity(lists: Int32Array, k: number, popularity: ArrayLike<number>): number {
  if (!Number.isInteger(k) || k < 1 || lists.length % k !== 0) {
    throw new Error(`averageRecommendationPopularity: lists has ${lists.length} entries, not a multiple of k = ${k}; pass [numLists x k] lists`);
  }
  let sum = 0;
  let n = 0;
  for (let start = 0; start < lists.length; start += k) {
    const p = listPopularity(lists.subarray(start, start + k), popularity);
    if (p === p) {
      sum += p;
      n++;
    }
  }
  return n ? sum / n : NaN;
}
