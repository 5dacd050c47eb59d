import { test } from "node:test";
import assert from "node:assert/strict";
import { Interactions } from "../../lib/data/interactions";
import { AliasTable, NegativeSampler, sampledCandidates } from "../../lib/data/sampling";
import { leaveOneOut } from "../../lib/data/splits";
import { generateSynthetic } from "../../lib/data/synthetic";
import { Rng } from "../../lib/random";
import { bytes } from "./helpers";

/** Pearson's chi-square statistic of observed counts against expected counts. */
function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let x = 0;
  for (let i = 0; i < observed.length; i++) if (expected[i]! > 0) x += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  return x;
}

// A user with many positives (dense rows are where a sampler that forgets exclusion fails first).
const data = new Interactions({
  users: Int32Array.from([...Array(15).fill(0), 1, 1, 2]),
  items: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13, 5, 19, 0]),
  numUsers: 3,
  numItems: 20,
});

test("uniform negatives are never training positives and are uniform over the other items", () => {
  const sampler = new NegativeSampler(data);
  const draws = sampler.sample(new Int32Array(60000), 1, new Rng(1)); // user 0: items 0..13 are positives
  const counts = new Float64Array(20);
  for (const item of draws) {
    assert.ok(item >= 14 && item < 20, `user 0 got positive item ${item}`);
    counts[item]!++;
  }
  const expected = Float64Array.from({ length: 20 }, (_, i) => (i >= 14 ? 10000 : 0));
  // 5 degrees of freedom: P(chi2 > 25) < 0.0002.
  assert.ok(chiSquare(counts, expected) < 25, `chi-square ${chiSquare(counts, expected)}`);
  const user1 = sampler.sample(Int32Array.of(1, 1, 1, 1), 500, new Rng(2));
  assert.ok(!user1.includes(5) && !user1.includes(19));
  assert.ok(sampler.isPositive(0, 13) && sampler.isPositive(1, 19) && !sampler.isPositive(1, 18) && !sampler.isPositive(2, 5));
});

test("on a real-sized world no sampled negative is a training positive (checked against a set)", () => {
  const train = leaveOneOut(generateSynthetic({ numUsers: 300, numItems: 300, interactionsPerUser: 40 }).interactions).train;
  const known = new Set(Array.from(train.users, (u, r) => u * 300 + train.items[r]!));
  for (const distribution of ["uniform", "popularity"] as const) {
    const negatives = new NegativeSampler(train, { distribution }).sample(train.users, 4, new Rng(3));
    assert.equal(negatives.length, train.length * 4);
    for (let k = 0; k < negatives.length; k++) {
      assert.ok(!known.has(train.users[Math.floor(k / 4)]! * 300 + negatives[k]!), `${distribution}: negative ${k} is a positive`);
    }
  }
});

test("popularity sampling follows the training counts (chi-square), excluding the user's positives", () => {
  // Item i has i + 1 interactions from users 1..; user 0 has only item 0.
  const users: number[] = [0];
  const items: number[] = [0];
  for (let i = 0; i < 10; i++) for (let c = 0; c <= i; c++) (users.push(1 + c), items.push(i));
  const train = new Interactions({ users: Int32Array.from(users), items: Int32Array.from(items), numUsers: 11, numItems: 11 });
  const sampler = new NegativeSampler(train, { distribution: "popularity" });
  const n = 100000;
  const draws = sampler.sample(Int32Array.of(0), n, new Rng(4));
  const observed = new Float64Array(11);
  for (const d of draws) observed[d]!++;
  assert.equal(observed[0], 0, "user 0's positive is never drawn");
  assert.equal(observed[10], 0, "an item with no training interactions has weight 0");
  // Weights are the counts: item i has i + 1 (item 0 has 2, but it is excluded for user 0).
  const weights = Array.from({ length: 11 }, (_, i) => (i === 0 || i === 10 ? 0 : i + 1));
  const total = weights.reduce((s, w) => s + w, 0);
  const expected = weights.map((w) => (n * w) / total);
  // 8 degrees of freedom: P(chi2 > 30) < 0.0003.
  assert.ok(chiSquare(observed, expected) < 30, `chi-square ${chiSquare(observed, expected)}: ${observed}`);
  const flat = new NegativeSampler(train, { distribution: "popularity", exponent: 0 }).sample(Int32Array.of(0), 20000, new Rng(5));
  assert.ok(flat.includes(10), "exponent 0 gives unseen items weight 1");
});

test("the alias table reproduces arbitrary weights", () => {
  const weights = Float64Array.of(0.5, 0, 3, 1, 0.25, 10);
  const table = new AliasTable(weights);
  const rng = new Rng(6);
  const n = 200000;
  const observed = new Float64Array(weights.length);
  for (let k = 0; k < n; k++) observed[table.draw(rng)]!++;
  const total = weights.reduce((s, w) => s + w, 0);
  assert.equal(observed[1], 0);
  assert.ok(chiSquare(observed, Array.from(weights, (w) => (n * w) / total)) < 25);
  assert.throws(() => new AliasTable(Float64Array.of(0, 0)), /all weights are zero/);
});

test("resampling: the same stream gives the same negatives, a new epoch's stream different ones", () => {
  const train = generateSynthetic({ numUsers: 100, numItems: 200, interactionsPerUser: 10 }).interactions;
  const sampler = new NegativeSampler(train);
  const rng = new Rng(7);
  const e0 = sampler.sample(train.users, 4, rng.derive("epoch 0"));
  const again = sampler.sample(train.users, 4, rng.derive("epoch 0"));
  const e1 = sampler.sample(train.users, 4, rng.derive("epoch 1"));
  assert.ok(bytes(e0).equals(bytes(again)));
  assert.ok(!bytes(e0).equals(bytes(e1)));
});

test("a user who has every item has no negatives: a clear error naming the user", () => {
  const full = new Interactions({ users: Int32Array.of(0, 0, 1), items: Int32Array.of(0, 1, 0), numUsers: 2, numItems: 2, userIds: ["alice", "bob"] });
  assert.throws(() => new NegativeSampler(full).sample(Int32Array.of(0), 1, 1), /user 'alice' \(index 0\) has interacted with all 2 items/);
});

test("sampled candidates: 99 distinct items per test row, none known in train or test, fixed by the seed", () => {
  const world = generateSynthetic({ numUsers: 200, numItems: 400, interactionsPerUser: 20 }).interactions;
  const { train, test } = leaveOneOut(world);
  const candidates = sampledCandidates(train, test, { rng: new Rng(8) });
  assert.equal(candidates.length, test.length * 99);
  const known = new Set(Array.from(world.users, (u, r) => u * 400 + world.items[r]!));
  for (let t = 0; t < test.length; t++) {
    const row = candidates.subarray(t * 99, (t + 1) * 99);
    assert.equal(new Set(row).size, 99, `row ${t} repeats an item`);
    for (const item of row) assert.ok(!known.has(test.users[t]! * 400 + item), `row ${t}: ${item} is a known positive`);
  }
  assert.ok(bytes(candidates).equals(bytes(sampledCandidates(train, test, { rng: new Rng(8) }))));
  assert.ok(!bytes(candidates).equals(bytes(sampledCandidates(train, test, { rng: new Rng(9) }))));
  const few = sampledCandidates(train, test, { rng: 1, numNegatives: 5 });
  assert.equal(few.length, test.length * 5);
  const small = new Interactions({ users: Int32Array.of(0, 0), items: Int32Array.of(0, 1), numUsers: 1, numItems: 10 });
  const split = leaveOneOut(small);
  assert.throws(() => sampledCandidates(split.train, split.test, { rng: 1 }), /user '0' has only 8 unknown items, fewer than the 99 negatives asked for/);
});
