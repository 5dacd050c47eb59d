/**
 * ItemKNN on a 4-user x 4-item example worked by hand: cosine similarities, shrinkage, neighbour truncation with
 * its tie rule, and the scores that follow.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ItemKNN } from "../../lib/models/itemknn";
import { pairs } from "../eval/helpers";
import { assertNear } from "./dense-reference";

//        item 0  1  2  3
// user 0      1  1  .  .
// user 1      1  1  1  .
// user 2      .  1  1  1
// user 3      1  .  .  1
// Users per item: n_0 = 3 {0,1,3}, n_1 = 3 {0,1,2}, n_2 = 2 {1,2}, n_3 = 2 {2,3}.
// Common users: c01 = 2 {0,1}, c02 = 1 {1}, c03 = 1 {3}, c12 = 2 {1,2}, c13 = 1 {2}, c23 = 1 {2}.
// Cosine c_ij / sqrt(n_i n_j): s01 = 2/3, s02 = 1/sqrt(6), s03 = 1/sqrt(6), s12 = 2/sqrt(6), s13 = 1/sqrt(6), s23 = 1/2.
const TRAIN = pairs(4, 4, [
  [0, 0], [0, 1],
  [1, 0], [1, 1], [1, 2],
  [2, 1], [2, 2], [2, 3],
  [3, 0], [3, 3],
]); // prettier-ignore
const r6 = 1 / Math.sqrt(6);
const SIM = [
  [0, 2 / 3, r6, r6],
  [2 / 3, 0, 2 * r6, r6],
  [r6, 2 * r6, 0, 1 / 2],
  [r6, r6, 1 / 2, 0],
];
const ALL_USERS = Int32Array.from([0, 1, 2, 3]);

test("ItemKNN: cosine similarities of the item columns, and shrinkage c_ij / (sqrt(n_i n_j) + h)", () => {
  const knn = new ItemKNN(TRAIN);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assertNear([knn.similarity(i, j)], [SIM[i]![j]!], 1e-12, `sim(${i}, ${j})`);
  const shrunk = new ItemKNN(TRAIN, { shrinkage: 1 });
  assertNear([shrunk.similarity(0, 1), shrunk.similarity(2, 3), shrunk.similarity(0, 2)], [2 / 4, 1 / 3, 1 / (Math.sqrt(6) + 1)], 1e-12, "shrunk");
  assert.deepEqual(shrunk.config, { k: 50, shrinkage: 1 });
});

test("ItemKNN with every neighbour kept: score(u, i) = sum of sim(i, j) over the user's items j", async () => {
  const knn = new ItemKNN(TRAIN, { k: 3 });
  // Neighbours best first; ties (s02 = s03 = 1/sqrt(6)) broken by the lower index.
  assert.deepEqual(Array.from(knn.neighbours.items), [1, 2, 3, 2, 0, 3, 1, 3, 0, 2, 0, 1]);
  const expected: number[] = [];
  const items = [[0, 1], [0, 1, 2], [1, 2, 3], [0, 3]]; // prettier-ignore
  for (let u = 0; u < 4; u++) for (let i = 0; i < 4; i++) expected.push(items[u]!.reduce((s, j) => s + SIM[i]![j]!, 0));
  // User 0 by hand: item 2 gets s02 + s12 = 3/sqrt(6), item 3 gets s03 + s13 = 2/sqrt(6).
  assertNear([expected[2]!, expected[3]!], [3 * r6, 2 * r6], 1e-12, "user 0 by hand");
  assertNear(await knn.scoreAll(ALL_USERS), expected, 1e-6, "scoreAll");
  // A larger k than the catalogue allows changes nothing.
  assertNear(await new ItemKNN(TRAIN, { k: 50 }).scoreAll(ALL_USERS), expected, 1e-6, "k = 50");
});

test("ItemKNN truncation: with k = 2 only each target item's two nearest neighbours count", async () => {
  const knn = new ItemKNN(TRAIN, { k: 2 });
  // N_2(0) = {1, 2} (2 beats 3 on the tie), N_2(1) = {2, 0}, N_2(2) = {1, 3}, N_2(3) = {2, 0} (0 beats 1).
  assert.deepEqual(Array.from(knn.neighbours.indptr), [0, 2, 4, 6, 8]);
  assert.deepEqual(Array.from(knn.neighbours.items), [1, 2, 2, 0, 1, 3, 2, 0]);
  assertNear(knn.neighbours.similarities, [2 / 3, r6, 2 * r6, 2 / 3, 2 * r6, 1 / 2, 1 / 2, r6], 1e-6, "kept similarities");
  // User 0 (items 0, 1): item 0 <- 1 (2/3); item 1 <- 0 (2/3); item 2 <- 1 (2/sqrt 6); item 3 <- 0 (1/sqrt 6).
  // User 3 (items 0, 3): item 0 <- none of {1, 2}; item 1 <- 0 (2/3); item 2 <- 3 (1/2); item 3 <- 0 (1/sqrt 6).
  const all = await knn.scoreAll(Int32Array.from([0, 3]));
  assertNear(all, [2 / 3, 2 / 3, 2 * r6, r6, 0, 2 / 3, 1 / 2, r6], 1e-6, "scores with k = 2");
  // score() on pairs agrees with the rows of scoreAll.
  const pu = Int32Array.from([3, 0, 3, 0]);
  const pi = Int32Array.from([2, 3, 0, 0]);
  assertNear(await knn.score(pu, pi), [1 / 2, r6, 0, 2 / 3], 1e-6, "score pairs");
});

test("ItemKNN counts a repeated (user, item) row once, and checks its options and arguments", async () => {
  const repeated = pairs(4, 4, [...Array.from({ length: TRAIN.length }, (_, r) => [TRAIN.users[r]!, TRAIN.items[r]!] as [number, number]), [0, 0], [2, 3]]);
  assertNear(await new ItemKNN(repeated).scoreAll(ALL_USERS), await new ItemKNN(TRAIN).scoreAll(ALL_USERS), 1e-7, "with duplicates");
  assert.throws(() => new ItemKNN(TRAIN, { k: 0 }), /ItemKNN: k must be a positive integer, got 0; pass the number of neighbours/);
  assert.throws(() => new ItemKNN(TRAIN, { shrinkage: -1 }), /ItemKNN: shrinkage must be a finite number >= 0, got -1/);
  assert.throws(() => new ItemKNN(TRAIN, { neighbours: 5 } as never), /ItemKNN: unknown option 'neighbours'. Valid: k, shrinkage/);
  const knn = new ItemKNN(TRAIN);
  await assert.rejects(knn.scoreAll(Int32Array.from([4])), /ItemKNN: user index 4 \(position 0\) is outside \[0, 4\)/);
  await assert.rejects(knn.score(Int32Array.from([0]), Int32Array.from([0, 1])), /1 users but 2 items/);
});
