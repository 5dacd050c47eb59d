/** fit(): learning, history, validation, early stopping with best-weights restore, determinism, leaks, errors. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { generateSynthetic, leaveOneOut } from "../../lib/data";
import { MF, NeuMF } from "../../lib/models";
import type { WeightMap } from "../../lib/nn";
import { fit, implicitBatches, pairwiseBatches, ratingBatches, rankingValidation, lossValidation, TrainingDivergedError, type Validator } from "../../lib/train";
import type { Rng } from "../../lib/random";
import type { Progress } from "../../lib/progress";

const data = generateSynthetic({ numUsers: 60, numItems: 80, interactionsPerUser: 15, seed: 3 });
const split = leaveOneOut(data.interactions);

test("fit trains NeuMF on implicit feedback: loss falls, validation metrics and loss each epoch, tensors flat", async () => {
  await initBackend({ backend: "wasm" });
  const model = new NeuMF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 8, layers: [16, 8], seed: 1 });
  const counts: number[] = [];
  const lines: string[] = [];
  const progress: Progress = { update: () => {}, log: (l) => lines.push(l), done: (l) => l && lines.push(l) };
  const history = await fit(model, implicitBatches(split.train, { negatives: 4, batchSize: 128 }), {
    epochs: 5,
    optimizer: { name: "adam", learningRate: 0.01 },
    validate: [rankingValidation(split.test, { train: split.train }), rankingValidation(split.test, { train: split.train, protocol: "sampled", numNegatives: 20 }), lossValidation(split.test, { train: split.train })],
    progress,
    onEpochEnd: () => void counts.push(tf.memory().numTensors),
  });
  assert.equal(history.epochs.length, 5);
  const losses = history.epochs.map((e) => e.trainLoss);
  assert.ok(losses[4]! < losses[0]!, `train loss ${losses.join(" -> ")}`);
  for (const e of history.epochs) {
    assert.equal(e.examples, split.train.length * 5);
    assert.ok(e.examplesPerSecond > 0);
    for (const k of ["hr@10", "ndcg@10", "recall@10", "mrr@10", "auc", "sampled hr@10", "sampled ndcg@10", "loss"]) {
      assert.ok(Number.isFinite(e.validation![k]), `${k} in epoch ${e.epoch}`);
    }
  }
  assert.ok(history.epochs[4]!.validation!.loss! < history.epochs[0]!.validation!.loss!, "validation loss falls too");
  assert.deepEqual(new Set(counts.slice(1)).size, 1, `live tensors per epoch: ${counts.join(", ")}`);
  assert.match(lines[0]!, /^epoch 1\/5 loss [\d.]+ \([\d.]+ s, \d+k ex\/s\) \| hr@10 /);
  assert.match(lines[lines.length - 1]!, /^done: 5 epochs in [\d.]+ s; last train loss/);
  model.dispose();
});

test("early stopping watches a metric, stops after `patience` epochs and restores the best weights", async () => {
  await initBackend({ backend: "cpu" });
  const model = new MF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 4 });
  const script = [0.1, 0.3, 0.2, 0.25, 0.29, 0.5];
  const snapshots: WeightMap[] = [];
  const scripted: Validator = (_m, epoch) => ({ score: script[epoch - 1]! });
  const history = await fit(model, implicitBatches(split.train, { batchSize: 256 }), {
    epochs: 6,
    validate: scripted,
    earlyStopping: { monitor: "score", patience: 3 },
    progress: false,
    onEpochEnd: () => void snapshots.push(model.getWeights()),
  });
  assert.equal(history.epochs.length, 5, "stopped after 3 epochs without improvement on 0.3");
  assert.ok(history.stoppedEarly);
  assert.deepEqual(history.best, { epoch: 2, monitor: "score", value: 0.3 });
  assert.ok(history.restoredBest);
  const now = model.getWeights();
  for (const [name, w] of snapshots[1]!) assert.deepEqual(Array.from(now.get(name)!.values), Array.from(w.values), name);
  model.dispose();
});

test("early stopping on a loss minimises; without patience it only tracks and restores the best", async () => {
  await initBackend({ backend: "cpu" });
  const model = new MF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 4 });
  const script = [0.5, 0.4, 0.45];
  const history = await fit(model, implicitBatches(split.train), {
    epochs: 3,
    validate: (_m, e) => ({ "val loss": script[e - 1]! }),
    earlyStopping: { monitor: "val loss" },
    progress: false,
  });
  assert.equal(history.epochs.length, 3);
  assert.deepEqual(history.best, { epoch: 2, monitor: "val loss", value: 0.4 });
  assert.ok(history.restoredBest && !history.stoppedEarly);
  model.dispose();
});

test("one seed fixes the run: same seeds give the same history and weights", async () => {
  await initBackend({ backend: "cpu" });
  const run = async () => {
    const model = new NeuMF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 4, layers: [8, 4], seed: 5, denseDropout: 0.2 });
    const h = await fit(model, implicitBatches(split.train, { batchSize: 200 }), { epochs: 2, progress: false });
    const w = model.getWeights();
    model.dispose();
    return { losses: h.epochs.map((e) => e.trainLoss), w };
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a.losses, b.losses);
  for (const [name, v] of a.w) assert.deepEqual(Array.from(v.values), Array.from(b.w.get(name)!.values), name);
});

test("pairwise (bpr) and rating (mse) sources train MF", async () => {
  await initBackend({ backend: "cpu" });
  const bpr = new MF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 8 });
  const h1 = await fit(bpr, pairwiseBatches(split.train, { batchSize: 128 }), { epochs: 4, optimizer: { learningRate: 0.01 }, progress: false });
  assert.equal(bpr.loss!.name, "bpr");
  assert.ok(h1.epochs[3]!.trainLoss < h1.epochs[0]!.trainLoss);
  assert.equal(h1.epochs[0]!.examples, split.train.length);
  bpr.dispose();
  assert.ok(data.interactions.ratings, "the synthetic data has ratings");
  const mse = new MF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 8 });
  const h2 = await fit(mse, ratingBatches(split.train, { batchSize: 64 }), {
    epochs: 4,
    optimizer: { learningRate: 0.02 },
    validate: lossValidation(split.test),
    progress: false,
  });
  assert.equal(mse.loss!.name, "mse");
  assert.ok(h2.epochs[3]!.trainLoss < h2.epochs[0]!.trainLoss);
  assert.ok(Number.isFinite(h2.epochs[3]!.validation!.loss!));
  mse.dispose();
});

test("fit stops with a clear message when the loss diverges, and checks its options", async () => {
  await initBackend({ backend: "cpu" });
  const model = new MF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 8, embeddingInitStd: 1 });
  await assert.rejects(
    fit(model, ratingBatches(split.train), { epochs: 3, optimizer: { name: "sgd", learningRate: 1e6 }, progress: false }),
    /the training loss became (NaN|Infinity) in epoch 1; lower the learning rate \(now 1000000\)/,
  );
  model.dispose();
  const fresh = new MF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 8 });
  await assert.rejects(fit(fresh, implicitBatches(split.train), { epochs: 0, progress: false }), /epochs must be a positive integer, got 0/);
  await assert.rejects(
    fit(fresh, implicitBatches(split.train), { epochs: 1, earlyStopping: { monitor: "ndcg@10" }, progress: false }),
    /earlyStopping watches a validation metric \('ndcg@10'\); pass validate as well/,
  );
  await assert.rejects(
    fit(fresh, implicitBatches(split.train), { epochs: 1, validate: () => ({ hr: 1 }), earlyStopping: { monitor: "ndcg@10" }, progress: false }),
    /monitor 'ndcg@10' is not among the validation metrics \(hr\)/,
  );
  fresh.dispose();
});

test("a second fit continues: fit(2) then fit(2) trains exactly as fit(4), epochs numbered on", async () => {
  await initBackend({ backend: "cpu" });
  const make = () => new NeuMF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 4, layers: [8, 4], seed: 9, denseDropout: 0.1 });
  const source = implicitBatches(split.train, { batchSize: 128 });
  const straight = make();
  const h4 = await fit(straight, source, { epochs: 4, optimizer: { learningRate: 0.01 }, progress: false });
  const twice = make();
  await fit(twice, source, { epochs: 2, optimizer: { learningRate: 0.01 }, progress: false });
  const adam = twice.optimizer;
  const second = await fit(twice, source, { epochs: 2, optimizer: { learningRate: 0.01 }, progress: false });
  assert.equal(twice.optimizer, adam, "same optimiser options: the optimiser (and its moments) is kept");
  assert.equal(twice.epochsTrained, 4);
  assert.deepEqual(second.epochs.map((e) => e.epoch), [3, 4]);
  assert.deepEqual(second.epochs.map((e) => e.trainLoss), h4.epochs.slice(2).map((e) => e.trainLoss));
  const a = straight.getWeights();
  for (const [name, w] of twice.getWeights()) assert.deepEqual(Array.from(w.values), Array.from(a.get(name)!.values), name);
  // Different optimiser options start a fresh optimiser.
  await fit(twice, source, { epochs: 1, optimizer: { learningRate: 0.001 }, progress: false });
  assert.notEqual(twice.optimizer, adam);
  assert.equal(twice.optimizer!.config.learningRate, 0.001);
  straight.dispose();
  twice.dispose();
});

test("a diverging loss restores the best epoch's weights and hands back the history with the error", async () => {
  await initBackend({ backend: "cpu" });
  const model = new MF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 4 });
  const ratings = ratingBatches(split.train, { batchSize: 256 });
  // Epochs 1-2 train normally; epoch 3's labels are NaN, so its loss (and every weight) becomes NaN.
  const source = {
    epoch: (e: number, rng: Rng) =>
      [...ratings.epoch(e, rng)].map((b) => (e < 2 ? b : { ...b, labels: new Float32Array(b.labels!.length).fill(NaN) })),
  };
  const snapshots: WeightMap[] = [];
  const script = [0.1, 0.3, 0.2];
  let error: unknown;
  try {
    await fit(model, source, {
      epochs: 5,
      loss: "mse",
      validate: (_m, e) => ({ score: script[e - 1]! }),
      earlyStopping: { monitor: "score" },
      progress: false,
      onEpochEnd: () => void snapshots.push(model.getWeights()),
    });
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof TrainingDivergedError, `expected TrainingDivergedError, got ${error}`);
  assert.match(error.message, /the training loss became NaN in epoch 3; .*The weights of the best epoch \(2\) were restored/);
  assert.deepEqual(error.history.epochs.map((e) => e.epoch), [1, 2]);
  assert.ok(error.history.restoredBest);
  const now = model.getWeights();
  for (const [name, w] of snapshots[1]!) assert.deepEqual(Array.from(now.get(name)!.values), Array.from(w.values), name);
  model.dispose();
});

test("two validators reporting the same metric, and a NaN monitored metric, are errors that say so", async () => {
  await initBackend({ backend: "cpu" });
  const model = new MF({ numUsers: data.interactions.numUsers, numItems: data.interactions.numItems, factors: 4 });
  await assert.rejects(
    fit(model, implicitBatches(split.train), { epochs: 1, validate: [() => ({ "ndcg@10": 0.1 }), () => ({ "ndcg@10": 0.2 })], progress: false }),
    /validators 2 and an earlier one both report 'ndcg@10'; give one a prefix/,
  );
  await assert.rejects(
    fit(model, implicitBatches(split.train), { epochs: 1, validate: () => ({ "ndcg@10": NaN }), earlyStopping: { monitor: "ndcg@10" }, progress: false }),
    /earlyStopping.monitor 'ndcg@10' is NaN in epoch \d+/,
  );
  model.dispose();
});
