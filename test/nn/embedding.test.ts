import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { Bags, embeddingLookup, pooledLookup } from "../../lib/nn/embedding";
import { Rng } from "../../lib/random";

function randomTable(rows: number, dim: number, seed: number): tf.Tensor2D {
  const rng = new Rng(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * dim }, () => rng.normal()), [rows, dim]);
}

test("embeddingLookup forward equals tf.gather and its gradient equals tf.gather's (cpu)", async () => {
  await initBackend({ backend: "cpu" });
  const table = randomTable(7, 3, 1);
  const ids = tf.tensor1d([0, 5, 2, 5, 6, 0, 0], "int32");
  const weights = randomTable(7, 3, 2);
  const ours = embeddingLookup(table, ids);
  const ref = tf.gather(table, ids);
  assert.deepEqual(Array.from(ours.dataSync()), Array.from(ref.dataSync()));
  const gOurs = tf.grad((t: tf.Tensor) => embeddingLookup(t as tf.Tensor2D, ids).mul(weights).sum())(table);
  const gRef = tf.grad((t: tf.Tensor) => tf.gather(t, ids).mul(weights).sum())(table);
  const a = gOurs.dataSync();
  const b = gRef.dataSync();
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `grad[${i}] ${a[i]} vs ${b[i]}`);
});

test("duplicate ids accumulate their gradients; untouched rows get zero", async () => {
  await initBackend({ backend: "cpu" });
  const table = tf.zeros([4, 2]) as tf.Tensor2D;
  const ids = tf.tensor2d([1, 1, 1, 3], [4, 1], "int32");
  const g = tf.grad((t: tf.Tensor) => embeddingLookup(t as tf.Tensor2D, ids).sum())(table);
  assert.deepEqual(Array.from(g.dataSync()), [0, 0, 3, 3, 0, 0, 1, 1]);
});

test("rejects float ids and badly shaped ids with a clear message", async () => {
  await initBackend({ backend: "cpu" });
  const table = tf.zeros([4, 2]) as tf.Tensor2D;
  assert.throws(() => embeddingLookup(table, tf.tensor1d([1, 2])), /ids must be int32, got float32/);
  assert.throws(() => embeddingLookup(table, tf.zeros([2, 2], "int32") as tf.Tensor2D), /shape \[n\] or \[n, 1\], got \[2, 2\]/);
});

test("a few Adam steps on wasm reduce the loss of a tiny matrix factorization", async () => {
  const info = await initBackend({ backend: "wasm" });
  assert.equal(info.backend, "wasm");
  const rng = new Rng(3);
  const users = Int32Array.from({ length: 64 }, () => rng.int(8));
  const items = Int32Array.from({ length: 64 }, () => rng.int(10));
  const targets = Float32Array.from(users, (u, i) => ((u + items[i]!) % 3) - 1);
  const U = tf.variable(randomTable(8, 4, 4).mul(0.1));
  const V = tf.variable(randomTable(10, 4, 5).mul(0.1));
  const uIds = tf.tensor2d(users, [64, 1], "int32");
  const iIds = tf.tensor2d(items, [64, 1], "int32");
  const y = tf.tensor1d(targets);
  const loss = () => tf.losses.meanSquaredError(y, embeddingLookup(U, uIds).mul(embeddingLookup(V, iIds)).sum(1)) as tf.Scalar;
  const opt = tf.train.adam(0.05);
  const before = loss().dataSync()[0]!;
  for (let step = 0; step < 60; step++) opt.minimize(loss);
  const after = loss().dataSync()[0]!;
  assert.ok(after < 0.5 * before, `loss ${before} -> ${after}`);
});

for (const backend of ["cpu", "wasm"] as const) {
  test(`pooledLookup: mean and sum of a bag's rows, hand-computed, with their gradients; empty bags give zeros (${backend})`, async () => {
    await initBackend({ backend });
    // Rows of the table are [1, 10], [2, 20], [3, 30], [4, 40].
    const table = tf.tensor2d([1, 10, 2, 20, 3, 30, 4, 40], [4, 2]);
    // Bags: {0, 2}, {}, {3, 3, 1}.
    const bags = new Bags(Int32Array.of(0, 2, 2, 5), Int32Array.of(0, 2, 3, 3, 1), 4);
    const rows = Int32Array.of(0, 1, 2, 0);
    const mean = pooledLookup(table, bags.select(rows, "mean"));
    const wantMean = [2, 20, 0, 0, 10 / 3, 100 / 3, 2, 20];
    mean.dataSync().forEach((v, k) => assert.ok(Math.abs(v - wantMean[k]!) < 1e-5, `mean[${k}] = ${v}, expected ${wantMean[k]}`));
    const sum = pooledLookup(table, bags.select(rows, "sum"));
    assert.deepEqual(Array.from(sum.dataSync()), [4, 40, 0, 0, 10, 100, 4, 40]);
    // d sum(mean * g) / d table with g = 1 everywhere: bag 0 (twice) puts 1/2 on rows 0 and 2 each time; bag 2
    // puts 2/3 on row 3 and 1/3 on row 1; the padding slots of bags 0 and 1 (ids 0, weight 0) add nothing.
    const grad = tf.grad((t: tf.Tensor) => tf.sum(pooledLookup(t, bags.select(rows, "mean"))))(table);
    const want = [1, 1, 1 / 3, 1 / 3, 1, 1, 2 / 3, 2 / 3];
    grad.dataSync().forEach((v, k) => assert.ok(Math.abs(v - want[k]!) < 1e-6, `grad[${k}] = ${v}, expected ${want[k]}`));
    tf.dispose([table, mean, sum, grad]);
  });
}

test("Bags keep a bag's last ids under maxLength and check their input", async () => {
  await initBackend({ backend: "cpu" });
  const bags = new Bags(Int32Array.of(0, 4, 5), Int32Array.of(5, 6, 7, 8, 9), 10);
  assert.equal(bags.maxSize(), 4);
  const { ids, weights, width } = bags.selectHost(Int32Array.of(0, 1), "mean", 2);
  assert.equal(width, 2);
  assert.deepEqual(Array.from(ids), [7, 8, 9, 0]); // bag 0 is {5, 6, 7, 8}: its last two; bag 1 is {9}
  assert.deepEqual(Array.from(weights), [0.5, 0.5, 1, 0]);
  assert.throws(() => new Bags(Int32Array.of(0, 2), Int32Array.of(1), 3), /indptr must start at 0 and end at indices.length \(1\)/);
  assert.throws(() => new Bags(Int32Array.of(0, 1), Int32Array.of(3), 3), /indices\[0\] = 3 is outside \[0, 3\)/);
  assert.throws(() => bags.select(Int32Array.of(2)), /rows\[0\] = 2 is outside \[0, 2\)/);
  assert.throws(() => bags.select(Int32Array.of(0), "max" as never), /pooling must be 'mean' or 'sum'/);
});
