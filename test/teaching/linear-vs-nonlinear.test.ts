import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/random";
import { changedOptions, compareWorlds, describeWorld, dotProductPairs, learnedSimilarity, ndcgOf } from "../../lib/teaching/linear-vs-nonlinear";

test("dotProductPairs: labels are the dot product of the two halves plus noise of the given scale", () => {
  const dim = 4;
  const { x, dot, y } = dotProductPairs(2000, dim, 0.1, new Rng(1));
  let s = 0;
  for (let j = 0; j < dim; j++) s += x[j]! * x[dim + j]!;
  assert.ok(Math.abs(s - dot[0]!) < 1e-5);
  const variance = dot.reduce((a, d) => a + d * d, 0) / dot.length;
  assert.ok(variance > 0.8 && variance < 1.2, `var(p.q) ${variance} should be about 1`);
  const noise = Math.sqrt(y.reduce((a, v, i) => a + (v - dot[i]!) ** 2, 0) / y.length);
  assert.ok(Math.abs(noise - 0.1) < 0.01, `noise ${noise}`);
  // Same seed, same pairs.
  assert.deepEqual(dotProductPairs(10, dim, 0.1, new Rng(1)).y, dotProductPairs(10, dim, 0.1, new Rng(1)).y);
});

test("learnedSimilarity: the dot product sits at the noise floor, more data lowers the MLP's error, no tensors leak", async () => {
  await initBackend({ backend: "cpu" });
  const before = tf.memory().numTensors;
  const r = learnedSimilarity({ sizes: [50, 2000], widths: [32], steps: 300, dim: 4, testPairs: 500, seed: 3 });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Math.abs(r.dotRmse - 0.1) < 0.02, `dot RMSE ${r.dotRmse}`);
  assert.equal(r.points.length, 2);
  const [small, large] = r.points;
  assert.ok(small!.rmse > large!.rmse, `RMSE ${small!.rmse} (50 pairs) vs ${large!.rmse} (2000 pairs)`);
  assert.ok(small!.rmse > r.dotRmse && large!.rmse < r.zeroRmse, JSON.stringify(r));
  assert.throws(() => learnedSimilarity({ sizes: [] }), /sizes must be positive integers/);
  assert.throws(() => learnedSimilarity({ sizes: [10], widths: [0] }), /widths must be positive integers, got \[0\]/);
});

test("compareWorlds: the ground truth ranks above popularity on each world; ndcgOf and changedOptions", async () => {
  const worlds = { linear: { numUsers: 60, numItems: 150, interactionsPerUser: 10, nonlinearity: 0 }, "non-linear": { numUsers: 60, numItems: 150, interactionsPerUser: 10, nonlinearity: 1 } };
  const rows = await compareWorlds(worlds, ["truth", "pop"], [0, 1]);
  assert.equal(rows.length, 4);
  for (const w of Object.keys(worlds)) assert.ok(ndcgOf(rows, w, "ground truth") > ndcgOf(rows, w, "MostPopular"), w);
  assert.equal(rows[0]!.runs.length, 2);
  assert.match(rows[0]!.dataset, /^synthetic \(numUsers 60, .*nonlinearity 0\)$/);
  assert.throws(() => ndcgOf(rows, "linear", "MF"), /no result for model 'MF' on world 'linear'; have ground truth on linear/);
  assert.deepEqual(changedOptions(worlds.linear, worlds["non-linear"]), ["nonlinearity"]);
  assert.deepEqual(changedOptions({ seed: 1 }, { seed: 1, noise: 0.5 }), ["noise"]);
  assert.equal(describeWorld({ nonlinearity: 1, seed: 2 }), "nonlinearity 1, seed 2");
  await assert.rejects(compareWorlds({}, ["mf"], [0]), /no worlds/);
});
