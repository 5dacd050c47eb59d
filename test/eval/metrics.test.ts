/**
 * Every metric against values worked out by hand. Logs used below:
 *   1/log2(2) = 1, 1/log2(3) = 0.630930, 1/log2(4) = 0.5, 1/log2(5) = 0.430677, 1/log2(6) = 0.386853.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  auc,
  averagePrecision,
  hitRate,
  mae,
  ndcg,
  precision,
  ranksInList,
  recall,
  reciprocalRank,
  rmse,
} from "../../lib/eval/metrics";
import { averageRecommendationPopularity, catalogCoverage, listPopularity } from "../../lib/eval/catalog";
import { close } from "./helpers";

const TOL = 1e-6;

test("one held-out item at rank 4, k = 10", () => {
  const r = [4];
  assert.equal(hitRate(r, 10), 1); // 4 <= 10
  assert.equal(recall(r, 10), 1); // 1 hit / |rel| = 1
  assert.equal(precision(r, 10), 0.1); // 1 hit / k = 10
  close(ndcg(r, 10), 0.430677, TOL, "ndcg"); // DCG = 1/log2(5) = 0.430677; IDCG over min(1, 10) = 1 item = 1
  assert.equal(averagePrecision(r, 10), 0.25); // (1/min(1,10)) * (1 hit within rank 4) / 4
  assert.equal(reciprocalRank(r, 10), 0.25); // 1/4
  // 20 candidates: 3 irrelevant items above it, 19 irrelevant in all -> 1 - 3/19 = 0.842105
  close(auc(r, 20), 0.842105, TOL, "auc");
});

test("one held-out item beyond k: every @k metric is 0; MRR without a cut-off is 1/rank", () => {
  const r = [12];
  assert.equal(hitRate(r, 10), 0);
  assert.equal(recall(r, 10), 0);
  assert.equal(precision(r, 10), 0);
  assert.equal(ndcg(r, 10), 0);
  assert.equal(averagePrecision(r, 10), 0);
  assert.equal(reciprocalRank(r, 10), 0); // beyond k -> 0, as documented
  close(reciprocalRank(r), 1 / 12, TOL, "mrr without k"); // 0.083333
});

test("two relevant items at ranks 2 and 5, k = 3, 6 candidates", () => {
  const r = [2, 5];
  assert.equal(hitRate(r, 3), 1);
  assert.equal(recall(r, 3), 0.5); // 1 of |rel| = 2 within k
  close(precision(r, 3), 1 / 3, TOL, "precision"); // 1 hit / k = 3 -> 0.333333
  // DCG = 1/log2(3) = 0.630930; IDCG over min(2, 3) = 2: 1 + 0.630930 = 1.630930; NDCG = 0.386853
  close(ndcg(r, 3), 0.386853, TOL, "ndcg");
  // AP@3 = (1 / min(2, 3)) * (precision at rank 2 = 1/2) = 0.25
  assert.equal(averagePrecision(r, 3), 0.25);
  assert.equal(reciprocalRank(r, 3), 0.5);
  // Irrelevant items above rank 2: 1 (rank 1); above rank 5: 3 (ranks 1, 3, 4). Pairs = 2 x 4 = 8. 1 - 4/8 = 0.5
  assert.equal(auc(r, 6), 0.5);
});

test("three relevant items at ranks 1, 3, 4, k = 5, 10 candidates", () => {
  const r = [1, 3, 4];
  assert.equal(recall(r, 5), 1); // 3 / 3
  assert.equal(precision(r, 5), 0.6); // 3 / 5
  // DCG = 1 + 1/log2(4) + 1/log2(5) = 1 + 0.5 + 0.430677 = 1.930677
  // IDCG = 1 + 0.630930 + 0.5 = 2.130930 (min(3, 5) = 3 items); NDCG = 0.906025
  close(ndcg(r, 5), 0.906025, TOL, "ndcg");
  // AP = (1/1 + 2/3 + 3/4) / min(3, 5) = (1 + 0.666667 + 0.75) / 3 = 0.805556
  close(averagePrecision(r, 5), 0.805556, TOL, "ap");
  assert.equal(reciprocalRank(r, 5), 1);
  // Irrelevant above: 0, 1 (rank 2), 1 (rank 2) -> 2 of 3 x 7 = 21 pairs; 1 - 2/21 = 0.904762
  close(auc(r, 10), 0.904762, TOL, "auc");
});

test("IDCG and AP use min(|rel|, k); recall keeps |rel|", () => {
  const r = [1, 2, 7]; // 3 relevant, k = 2: both top slots are relevant -> ideal at this cut-off
  close(ndcg(r, 2), 1, TOL, "ndcg"); // (1 + 0.630930) / (1 + 0.630930)
  assert.equal(averagePrecision(r, 2), 1); // (1/1 + 2/2) / min(3, 2) = 2 / 2
  close(recall(r, 2), 2 / 3, TOL, "recall"); // 2 / |rel| = 3 -> 0.666667 (not 2 / min(3, 2) = 1)
  assert.equal(precision(r, 2), 1);
});

test("k larger than the candidate list: precision still divides by k, NDCG's ideal has min(|rel|, k) items", () => {
  // 3 candidates, the held-out item at rank 2, k = 10.
  assert.equal(precision([2], 10), 0.1); // 1 / 10
  close(ndcg([2], 10), 0.630930, TOL, "ndcg"); // 1/log2(3) / 1
  assert.equal(hitRate([2], 10), 1);
  // AUC: 2 irrelevant candidates, 1 above -> 1 - 1/2
  assert.equal(auc([2], 3), 0.5);
});

test("AUC: all relevant on top is 1, all at the bottom is 0, no irrelevant candidate is undefined (NaN)", () => {
  assert.equal(auc([1, 2], 5), 1);
  assert.equal(auc([4, 5], 5), 0); // each relevant item has all 3 irrelevant ones above: 1 - 6/6
  assert.ok(Number.isNaN(auc([1, 2], 2)));
  assert.throws(() => auc([3], 2), /numCandidates = 2 must be an integer >= the largest rank \(3\)/);
  assert.throws(() => auc([1, Infinity], 9), /AUC needs the full ranking/);
});

test("ranksInList: ranks of relevant items in a ranked array, Infinity when absent, duplicates collapse", () => {
  const ranks = ranksInList([5, 3, 9, 1], [9, 7, 9, 5]);
  assert.deepEqual(Array.from(ranks), [1, 3, Infinity]); // 5 at rank 1, 9 at rank 3, 7 absent
  assert.equal(recall(ranks, 4), 2 / 3); // 2 of the 3 distinct relevant items are in the top 4
  close(ndcg(ranks, 4), (1 + 0.5) / (1 + 0.630930 + 0.5), TOL, "ndcg"); // 1.5 / 2.130930 = 0.703916
});

test("ranks must be ascending distinct positive integers; empty ranks and bad k are errors", () => {
  assert.throws(() => ndcg([], 10), /ranks is empty; a user without relevant items has no ndcg/);
  assert.throws(() => recall([3, 2], 10), /ranks must be ascending distinct 1-based integers.*ranks\[1\] = 2 after 3/);
  assert.throws(() => hitRate([0], 10), /ranks\[0\] = 0/);
  assert.throws(() => hitRate([1.5], 10), /ranks\[0\] = 1.5/);
  assert.throws(() => precision([1], 0), /k must be a positive integer, got 0/);
  assert.throws(() => precision([1], Infinity), /precision: k must be finite/);
});

test("RMSE and MAE", () => {
  // errors 3-2 = 1, 4-4 = 0, 5-7 = -2: squares 1, 0, 4 -> sqrt(5/3) = 1.290994; |e| mean = 3/3 = 1
  close(rmse([3, 4, 5], [2, 4, 7]), 1.290994, TOL, "rmse");
  assert.equal(mae([3, 4, 5], [2, 4, 7]), 1);
  assert.throws(() => rmse([1, 2], [1]), /2 predictions but 1 targets/);
  assert.throws(() => mae([], []), /no predictions/);
});

test("catalog coverage and average recommendation popularity of top-k lists", () => {
  // Two lists of width 3, padded with -1; 5 items.
  const lists = Int32Array.from([0, 1, -1, 1, 2, -1]);
  assert.equal(catalogCoverage(lists, 5), 0.6); // {0, 1, 2} / 5
  const popularity = [10, 4, 1, 0, 0];
  assert.equal(listPopularity([0, 1, -1], popularity), 7); // (10 + 4) / 2 padding ignored
  assert.equal(listPopularity([1, 2, -1], popularity), 2.5); // (4 + 1) / 2
  assert.equal(averageRecommendationPopularity(lists, 3, popularity), 4.75); // (7 + 2.5) / 2
  assert.throws(() => catalogCoverage(Int32Array.from([7]), 5), /lists\[0\] = 7 is outside \[0, 5\)/);
  assert.throws(() => averageRecommendationPopularity(lists, 4, popularity), /6 entries, not a multiple of k = 4/);
});
