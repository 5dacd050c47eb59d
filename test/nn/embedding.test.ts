import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { embeddingLookup } from "../../lib/nn/embedding";
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
