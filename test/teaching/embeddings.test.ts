import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { rowsMovedByOneBatch, trainToyEmbeddings, twoTasteWorld } from "../../lib/teaching/embeddings";

test("the two-taste world: each user likes exactly the items of their half", () => {
  const w = twoTasteWorld(4, 6);
  assert.equal(w.labels.length, 24);
  assert.deepEqual(Array.from(w.labels.subarray(0, 6)), [1, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(w.labels.subarray(18, 24)), [0, 0, 0, 1, 1, 1]);
  assert.throws(() => twoTasteWorld(1, 4), /integers >= 2/);
});

test("toy embeddings learn the two tastes in 1 and 2 dimensions, and leave no tensors behind", async () => {
  await initBackend({ backend: "wasm" });
  const before = tf.memory().numTensors;
  for (const dim of [1, 2]) {
    const r = trainToyEmbeddings(twoTasteWorld(), { dim, epochs: 150 });
    assert.equal(r.accuracy, 1, `dim ${dim}`);
    assert.ok(r.losses[r.losses.length - 1]! < r.losses[0]! / 5);
    assert.equal(r.userVectors.length, 8 * dim);
  }
  assert.equal(tf.memory().numTensors, before);
});

test("one batch of 2 users: SGD and Adagrad move those 2 user rows, Adam moves all 8", async () => {
  await initBackend({ backend: "wasm" });
  const world = twoTasteWorld();
  const before = tf.memory().numTensors;
  assert.equal(rowsMovedByOneBatch(world, tf.train.sgd(0.05)), 2);
  assert.equal(rowsMovedByOneBatch(world, tf.train.adagrad(0.05)), 2);
  assert.equal(rowsMovedByOneBatch(world, tf.train.adam(0.05)), 8);
  assert.equal(tf.memory().numTensors, before);
});
