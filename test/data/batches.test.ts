import { test } from "node:test";
import assert from "node:assert/strict";
import { batches, epochBatches, numBatches, trainingExamples } from "../../lib/data/batches";
import { Interactions } from "../../lib/data/interactions";
import { NegativeSampler } from "../../lib/data/sampling";
import { generateSynthetic } from "../../lib/data/synthetic";
import { Rng } from "../../lib/random";
import { bytes } from "./helpers";

const world = generateSynthetic({ numUsers: 100, numItems: 200, interactionsPerUser: 10 }).interactions;

test("training examples: each positive labelled 1, then its k negatives labelled 0 for the same user", () => {
  const ex = trainingExamples(world, { negatives: 3, rng: new Rng(1) });
  const n = world.length;
  assert.equal(ex.users.length, 4 * n);
  assert.deepEqual(ex.users.subarray(0, n), world.users);
  assert.deepEqual(ex.items.subarray(0, n), world.items);
  const sampler = new NegativeSampler(world);
  for (let p = 0; p < n; p++) {
    assert.equal(ex.labels[p], 1);
    for (let j = 0; j < 3; j++) {
      const r = n + p * 3 + j;
      assert.equal(ex.labels[r], 0);
      assert.equal(ex.users[r], world.users[p]);
      assert.ok(!sampler.isPositive(ex.users[r]!, ex.items[r]!));
    }
  }
});

test("batches: every example exactly once, batchSize each but a kept partial last batch, shuffled by the rng", () => {
  const ex = trainingExamples(world, { negatives: 4, rng: new Rng(2) });
  const total = ex.users.length;
  const out = [...batches(ex, { batchSize: 256, rng: new Rng(3) })];
  assert.equal(out.length, numBatches(total, 256));
  assert.ok(out.slice(0, -1).every((b) => b.users.length === 256));
  assert.equal(out.at(-1)!.users.length, total - 256 * (out.length - 1));
  // Same multiset of (user, item, label) triples as the input.
  const key = (u: number, i: number, l: number) => `${u},${i},${l}`;
  const want = new Map<string, number>();
  for (let r = 0; r < total; r++) want.set(key(ex.users[r]!, ex.items[r]!, ex.labels[r]!), (want.get(key(ex.users[r]!, ex.items[r]!, ex.labels[r]!)) ?? 0) + 1);
  for (const b of out) {
    assert.ok(b.users instanceof Int32Array && b.items instanceof Int32Array && b.labels instanceof Float32Array);
    for (let j = 0; j < b.users.length; j++) {
      const k = key(b.users[j]!, b.items[j]!, b.labels[j]!);
      assert.ok(want.get(k), `unexpected example ${k}`);
      want.set(k, want.get(k)! - 1);
    }
  }
  assert.ok([...want.values()].every((v) => v === 0));
  // Shuffled: the first batch is not simply the first 256 positives.
  assert.ok(out[0]!.labels.some((l) => l === 0));
  const ordered = [...batches(ex, { batchSize: 1000 })];
  assert.deepEqual(ordered[0]!.users, ex.users.subarray(0, 1000));
});

test("epochBatches: same stream, same epoch; new epoch stream, new negatives and order", () => {
  const sampler = new NegativeSampler(world);
  const epoch = (name: string) => Buffer.concat([...epochBatches(world, { negatives: 4, batchSize: 128, sampler, rng: new Rng(4).derive(name) })].map((b) => bytes(b.items)));
  assert.ok(epoch("epoch 0").equals(epoch("epoch 0")));
  assert.ok(!epoch("epoch 0").equals(epoch("epoch 1")));
});

test("rating target: the ratings are the labels, no negatives; bad options are explained", () => {
  const ex = trainingExamples(world, { target: "rating", rng: new Rng(5) });
  assert.deepEqual(ex.labels, world.ratings);
  assert.throws(() => trainingExamples(world, { target: "rating", negatives: 4, rng: new Rng(5) }), /set negatives to 0 \(got 4\)/);
  const implicit = new Interactions({ users: Int32Array.of(0), items: Int32Array.of(0), numUsers: 1, numItems: 2 });
  assert.throws(() => trainingExamples(implicit, { target: "rating", rng: new Rng(5) }), /needs interactions with ratings/);
  assert.throws(() => [...batches({ users: Int32Array.of(0), items: Int32Array.of(0), labels: Float32Array.of(1) }, { batchSize: 0 })], /batchSize must be a positive integer, got 0/);
});
