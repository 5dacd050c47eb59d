/**
 * Ranking and rating metrics as pure functions. No models, no masking, no state: the evaluators
 * (full-ranking.ts, sampled.ts, rating.ts) turn scores into ranks and call these per user.
 *
 * Input convention for the ranking metrics: `ranks` are the 1-based positions of one user's relevant items in
 * that user's ranked candidate list, ascending (the best-placed relevant item first), one entry per distinct
 * relevant item, so |rel| = ranks.length. A relevant item that is not in the list (e.g. the list was cut at k)
 * has rank `Infinity`. Use `ranksInList` to get ranks from a ranked array of item ids.
 *
 * Conventions (pinned by worked examples in test/eval/metrics.test.ts):
 * - Binary relevance: gain 1 for a relevant item, 0 otherwise.
 * - DCG uses log base 2: an item at rank r contributes 1 / log2(r + 1); the ideal DCG places min(|rel|, k)
 *   relevant items at ranks 1..min(|rel|, k).
 * - precision@k divides by k, even when fewer than k candidates exist (a short list is not rewarded).
 * - recall@k divides by |rel| (not min(|rel|, k)), the standard definition; with one held-out item it equals HR@k.
 * - AP@k divides by min(|rel|, k); MAP@k is its mean over users.
 * - MRR@k uses the first relevant item's rank, and is 0 when that rank is beyond k; k = Infinity gives plain MRR.
 * - Tie handling is the evaluators' job: they produce pessimistic ranks (see ranking.ts), so these functions
 *   never see ties.
 * A user with no relevant items has undefined metrics: evaluators exclude such users and count them; here an
 * empty `ranks` is an error.
 */

/** Hit rate (HR@k): 1 if at least one relevant item is ranked within the top k, else 0. */
export function hitRate(ranks: ArrayLike<number>, k: number): number {
  checkRanks(ranks, "hitRate");
  checkK(k, "hitRate");
  return ranks[0]! <= k ? 1 : 0;
}

/** Recall@k = |{relevant items with rank <= k}| / |rel|. */
export function recall(ranks: ArrayLike<number>, k: number): number {
  checkRanks(ranks, "recall");
  checkK(k, "recall");
  return hitsWithin(ranks, k) / ranks.length;
}

/** Precision@k = |{relevant items with rank <= k}| / k (denominator k, even if fewer than k candidates exist). */
export function precision(ranks: ArrayLike<number>, k: number): number {
  checkRanks(ranks, "precision");
  checkK(k, "precision");
  if (k === Infinity) throw new Error("precision: k must be finite (precision@k divides by k)");
  return hitsWithin(ranks, k) / k;
}

/**
 * NDCG@k = DCG@k / IDCG@k, with DCG@k = sum over relevant items with rank r <= k of 1 / log2(r + 1), and
 * IDCG@k = sum_{j=1..min(|rel|, k)} 1 / log2(j + 1) (all relevant items at the top). One relevant item at rank r
 * gives 1 / log2(r + 1) when r <= k.
 */
export function ndcg(ranks: ArrayLike<number>, k: number): number {
  checkRanks(ranks, "ndcg");
  checkK(k, "ndcg");
  let dcg = 0;
  for (let j = 0; j < ranks.length && ranks[j]! <= k; j++) dcg += 1 / Math.log2(ranks[j]! + 1);
  let idcg = 0;
  const ideal = Math.min(ranks.length, k);
  for (let j = 1; j <= ideal; j++) idcg += 1 / Math.log2(j + 1);
  return dcg / idcg;
}

/**
 * Average precision AP@k = (1 / min(|rel|, k)) * sum over relevant items with rank r <= k of precision@r, where
 * precision@r = |{relevant items with rank <= r}| / r. With ranks r_1 < r_2 < ... (ascending) the j-th term is
 * j / r_j. MAP@k is the mean of AP@k over users.
 */
export function averagePrecision(ranks: ArrayLike<number>, k: number): number {
  checkRanks(ranks, "averagePrecision");
  checkK(k, "averagePrecision");
  let sum = 0;
  for (let j = 0; j < ranks.length && ranks[j]! <= k; j++) sum += (j + 1) / ranks[j]!;
  return sum / Math.min(ranks.length, k);
}

/** Reciprocal rank RR@k = 1 / r_1 if the first relevant item's rank r_1 <= k, else 0. MRR@k is its mean. */
export function reciprocalRank(ranks: ArrayLike<number>, k = Infinity): number {
  checkRanks(ranks, "reciprocalRank");
  checkK(k, "reciprocalRank");
  return ranks[0]! <= k ? 1 / ranks[0]! : 0;
}

/**
 * AUC of one user's ranking over `numCandidates` candidates (relevant included): the fraction of
 * (relevant, irrelevant) pairs in which the relevant item is ranked above the irrelevant one,
 *   AUC = 1 - (sum_j (r_j - j)) / (|rel| * (numCandidates - |rel|)),
 * where r_j is the j-th smallest rank (j = 1, 2, ...) and r_j - j counts the irrelevant items above it.
 * Ranks are taken as given: with the evaluators' pessimistic ranks an irrelevant item tied with a relevant one
 * counts as ranked above it, so a constant scorer gets AUC 0 (not the 0.5 of half credit for ties).
 * Needs complete ranks (no Infinity). NaN when there is no irrelevant candidate (AUC is undefined).
 */
export function auc(ranks: ArrayLike<number>, numCandidates: number): number {
  checkRanks(ranks, "auc");
  const numRelevant = ranks.length;
  const last = ranks[numRelevant - 1]!;
  if (!Number.isInteger(numCandidates) || last > numCandidates) {
    throw new Error(
      `auc: numCandidates = ${numCandidates} must be an integer >= the largest rank (${last}); AUC needs the full ranking, not a list cut at k`,
    );
  }
  const numIrrelevant = numCandidates - numRelevant;
  if (numIrrelevant === 0) return NaN;
  let above = 0;
  for (let j = 0; j < numRelevant; j++) above += ranks[j]! - (j + 1);
  return 1 - above / (numRelevant * numIrrelevant);
}

/**
 * Ascending 1-based ranks of the distinct `relevant` items within `ranked` (item ids, best first); a relevant item
 * absent from the list gets rank Infinity. Lets the metrics above run on a ranked array (e.g. a top-k list).
 */
export function ranksInList(ranked: ArrayLike<number>, relevant: ArrayLike<number>): Float64Array {
  const position = new Map<number, number>();
  for (let r = ranked.length - 1; r >= 0; r--) position.set(ranked[r]!, r + 1);
  const distinct = new Set<number>();
  for (let j = 0; j < relevant.length; j++) distinct.add(relevant[j]!);
  const ranks = Float64Array.from(distinct, (item) => position.get(item) ?? Infinity);
  return ranks.sort();
}

/** Root mean squared error: sqrt((1/n) * sum_i (prediction_i - target_i)^2). */
export function rmse(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  checkPairs(predictions, targets, "rmse");
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) {
    const e = predictions[i]! - targets[i]!;
    sum += e * e;
  }
  return Math.sqrt(sum / predictions.length);
}

/** Mean absolute error: (1/n) * sum_i |prediction_i - target_i|. */
export function mae(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  checkPairs(predictions, targets, "mae");
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) sum += Math.abs(predictions[i]! - targets[i]!);
  return sum / predictions.length;
}

function hitsWithin(ranks: ArrayLike<number>, k: number): number {
  let hits = 0;
  while (hits < ranks.length && ranks[hits]! <= k) hits++;
  return hits;
}

function checkRanks(ranks: ArrayLike<number>, fn: string): void {
  if (ranks.length === 0) {
    throw new Error(`${fn}: ranks is empty; a user without relevant items has no ${fn} (evaluators exclude and count such users)`);
  }
  let prev = 0;
  for (let j = 0; j < ranks.length; j++) {
    const r = ranks[j]!;
    // Infinity (absent from a cut list) may repeat; finite ranks are distinct positive integers.
    if (!(r === Infinity || (Number.isInteger(r) && r > prev))) {
      throw new Error(
        `${fn}: ranks must be ascending distinct 1-based integers (Infinity for items outside the list); ranks[${j}] = ${r} after ${prev}`,
      );
    }
    prev = r;
  }
}

function checkK(k: number, fn: string): void {
  if (!(k === Infinity || (Number.isInteger(k) && k >= 1))) throw new Error(`${fn}: k must be a positive integer, got ${k}`);
}

function checkPairs(predictions: ArrayLike<number>, targets: ArrayLike<number>, fn: string): void {
  if (predictions.length !== targets.length) {
    throw new Error(`${fn}: ${predictions.length} predictions but ${targets.length} targets; pass one prediction per target`);
  }
  if (predictions.length === 0) throw new Error(`${fn}: no predictions; the error of an empty set is undefined`);
}
