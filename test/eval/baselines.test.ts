import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateFullRanking } from "../../lib/eval/full-ranking";
import { MostPopular, RandomRecommender } from "../../lib/models/baselines";
import { Rng } from "../../lib/random";
import { close, pairs } from "./helpers";

test("MostPopular scores items by their training counts, for every user alike", async () => {
  // Item counts in train: item 0: 1, item 1: 3, item 2: 0, item 3: 2.
  const train = pairs(3, 4, [
    [0, 1],
    [1, 1],
    [2, 1],
    [0, 3],
    [1, 3],
    [2, 0],
  ]);
  const pop = new MostPopular(train);
  assert.deepEqual(Array.from(pop.popularity), [1, 3, 0, 2]);
  assert.deepEqual(Array.from(await pop.scoreAll(Int32Array.from([2, 0]))), [1, 3, 0, 2, 1, 3, 0, 2]);
  assert.deepEqual(Array.from(await pop.score(Int32Array.from([0, 1]), Int32Array.from([3, 2]))), [2, 0]);
  await assert.rejects(pop.scoreAll(Int32Array.from([3])), /MostPopular: user index 3 \(position 0\) is outside \[0, 3\)/);
  await assert.rejects(pop.score(Int32Array.from([0]), Int32Array.from([0, 1])), /1 users but 2 items/);
});

test("MostPopular ignores test data: a test-only item keeps popularity 0", async () => {
  const train = pairs(2, 3, [
    [0, 0],
    [1, 0],
    [1, 1],
  ]);
  const test_ = pairs(2, 3, [[0, 2]]);
  const r = await evaluateFullRanking(new MostPopular(train), test_, { train, k: 1 });
  // u0: item 0 masked; candidates 1 (count 1) and 2 (count 0) -> held-out item 2 ranks 2.
  assert.equal(r.perUser.rank[0], 2);
});

test("Random: deterministic per seed, score agrees with scoreAll, seeds differ, values uniform in [0, 1)", async () => {
  const a = new RandomRecommender({ numUsers: 50, numItems: 40, seed: 7 });
  const b = new RandomRecommender({ numUsers: 50, numItems: 40, seed: new Rng(7) });
  const c = new RandomRecommender({ numUsers: 50, numItems: 40, seed: 8 });
  const users = Int32Array.from({ length: 50 }, (_, u) => u);
  const all = await a.scoreAll(users);
  assert.deepEqual(all, await b.scoreAll(users));
  assert.notDeepEqual(all, await c.scoreAll(users));
  // score on scattered pairs, in another order and batch, gives the same numbers as the rows of scoreAll.
  const pu = Int32Array.from([49, 0, 17, 17]);
  const pi = Int32Array.from([39, 0, 5, 6]);
  const ps = await a.score(pu, pi);
  pu.forEach((u, j) => assert.equal(ps[j], all[u * 40 + pi[j]!]));
  let sum = 0;
  let min = 1;
  let max = 0;
  for (const v of all) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  close(sum / all.length, 0.5, 0.02, "mean of 2000 uniform scores"); // sd of the mean = 0.29/sqrt(2000) = 0.0065
  assert.ok(min >= 0 && max < 1);
  // Neighbouring pairs are not correlated: the scores of (u, i) and (u, i + 1) agree in order about half the time.
  let up = 0;
  for (let j = 0; j + 1 < all.length; j++) if (all[j + 1]! > all[j]!) up++;
  close(up / (all.length - 1), 0.5, 0.05, "fraction of increasing neighbours");
});

test("Random under full ranking: HR@k is about k / candidates", async () => {
  // 2000 users x 100 items, nothing masked, one held-out item each: P(hit@10) = 10/100.
  const test_ = pairs(
    2000,
    100,
    Array.from({ length: 2000 }, (_, u) => [u, u % 100] as [number, number]),
  );
  const train = pairs(2000, 100, [[0, 1]]);
  const r = await evaluateFullRanking(new RandomRecommender({ numUsers: 2000, numItems: 100, seed: 3 }), test_, { train, k: 10 });
  // sd = sqrt(0.1 * 0.9 / 2000) = 0.0067; 4 sd = 0.027
  close(r.metrics.hr, 0.1, 0.027, "HR@10 of Random");
  close(r.metrics.auc, 0.5, 0.03, "AUC of Random");
});
