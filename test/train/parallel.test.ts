/**
 * Data-parallel fit ({ workers }): summed shard gradients equal the full batch's, N workers train as one within
 * float tolerance, seeded runs are reproducible bit for bit, no tensors leak in any thread, a failing worker ends
 * fit with its error and leaves no thread, and losses that cannot be split are refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { generateSynthetic, leaveOneOut } from "../../lib/data";
import { NeuMF, TwoTower, autodiffNeuMF, type Model, type TrainBatch } from "../../lib/models";
import type { PairInputs } from "../../lib/models/autodiff";
import { fromLayersModel } from "../../lib/models/layers-model";
import { recsysEmbedding } from "../../lib/nn/layers";
import type { WeightMap } from "../../lib/nn";
import { fit, implicitBatches, type BatchSource, type FitOptions } from "../../lib/train";
import { AUTO_MIN_BATCH, DataParallel, liveWorkerThreads, workersFor } from "../../lib/train/parallel";
import { Rng } from "../../lib/random";
import { tinyDot } from "./fixtures/custom-model";

const NU = 40;
const NI = 70;

function randomBatch(n: number, seed: number): TrainBatch {
  const rng = new Rng(seed);
  return {
    users: Int32Array.from({ length: n }, () => rng.int(NU)),
    items: Int32Array.from({ length: n }, () => rng.int(NI)),
    labels: Float32Array.from({ length: n }, () => rng.int(2)),
  };
}

const batches = (count: number, n: number, seed: number) => Array.from({ length: count }, (_, k) => randomBatch(n, seed * 1000 + k));

/** Largest |a - b| over all weights, relative to the largest |b| of that weight. */
function maxRelativeDiff(a: WeightMap, b: WeightMap): { name: string; rel: number } {
  let worst = { name: "", rel: 0 };
  for (const [name, x] of a) {
    const y = b.get(name)!.values;
    let diff = 0;
    let scale = 0;
    x.values.forEach((v, i) => ((diff = Math.max(diff, Math.abs(v - y[i]!))), (scale = Math.max(scale, Math.abs(y[i]!)))));
    const rel = diff / (scale || 1);
    if (rel > worst.rel) worst = { name, rel };
  }
  return worst;
}

/** A fresh model from `build` trained with 1 and with 2 workers: each run's final weights and history. */
async function oneAndTwoWorkers(build: () => Model, source: BatchSource | BatchSource["epoch"], options: FitOptions) {
  const run = async (workers: number) => {
    const model = build();
    const history = await fit(model, source, { ...options, workers, progress: false });
    const w = model.getWeights();
    model.dispose();
    return { w, history };
  };
  return { one: await run(1), two: await run(2) };
}

const builders: [string, () => Model][] = [
  ["NeuMF (hand-written)", () => new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8], seed: 5 })],
  ["autodiffNeuMF", () => autodiffNeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8], seed: 5 })],
];

for (const [label, build] of builders) {
  test(`${label}: 2 and 3 workers' summed gradients equal one worker's full-batch gradient`, async () => {
    await initBackend({ backend: "wasm" });
    // An odd batch (uneven shards). SGD with a large rate makes the step read back as the gradient: w - lr g.
    const batch = randomBatch(97, 1);
    const lr = 1000;
    for (const workers of [2, 3]) {
      const model = build();
      model.compile({ loss: "bce", optimizer: { name: "sgd", learningRate: lr } });
      const { grads } = model.lossAndGradients(batch);
      const before = model.getWeights();
      const parallel = await DataParallel.start(model, workers);
      try {
        parallel.step(batch);
      } finally {
        await parallel.close();
      }
      const after = model.getWeights();
      const stepped: WeightMap = new Map([...before].map(([name, w]) => [name, { shape: w.shape, values: w.values.map((v, i) => (v - after.get(name)!.values[i]!) / lr) }]));
      const worst = maxRelativeDiff(stepped, grads);
      assert.ok(worst.rel < 1e-5, `${workers} workers: gradient of '${worst.name}' differs by ${worst.rel} (relative)`);
      const reading = model.takeLoss();
      assert.equal(reading.examples, 97, "the main model counts the whole batch");
      model.dispose();
    }
  });
}

test("fit with workers 2 trains as workers 1 (within float tolerance, no dropout), and the loss covers the whole batch", async () => {
  await initBackend({ backend: "wasm" });
  const data = batches(6, 64, 2);
  const { one, two } = await oneAndTwoWorkers(() => new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8], seed: 5 }), { epoch: () => data }, { epochs: 2 });
  const worst = maxRelativeDiff(two.w, one.w);
  assert.ok(worst.rel < 1e-4, `'${worst.name}' differs by ${worst.rel} (relative)`);
  for (let e = 0; e < 2; e++) assert.ok(Math.abs(two.history.epochs[e]!.trainLoss - one.history.epochs[e]!.trainLoss) < 1e-5);
  assert.equal(two.history.epochs[0]!.examples, 6 * 64);
  assert.equal(two.history.parallel?.workers, 2);
  assert.equal(two.history.parallel?.steps, 12);
  assert.equal(one.history.parallel, undefined);
});

test("two seeded runs with workers 2 (and dropout) give identical weights bit for bit; tensors stay flat in every thread", async () => {
  await initBackend({ backend: "wasm" });
  const data = generateSynthetic({ numUsers: NU, numItems: NI, interactionsPerUser: 10, seed: 3 });
  const { train } = leaveOneOut(data.interactions);
  const run = async () => {
    const model = new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8], seed: 7, embeddingDropout: 0.2, denseDropout: 0.2 });
    const mainTensors: number[] = [];
    const history = await fit(model, implicitBatches(train, { batchSize: 100, negatives: 2 }), {
      epochs: 4,
      workers: 2,
      progress: false,
      onEpochEnd: () => void mainTensors.push(tf.memory().numTensors),
    });
    const w = model.getWeights();
    model.dispose();
    return { w, history, mainTensors };
  };
  const a = await run();
  const b = await run();
  for (const [name, x] of a.w) assert.deepEqual(x.values, b.w.get(name)!.values, `weight '${name}'`);
  assert.deepEqual(a.history.epochs.map((e) => e.trainLoss), b.history.epochs.map((e) => e.trainLoss));
  const perEpoch = a.history.parallel!.numTensors;
  assert.equal(perEpoch.length, 4);
  for (const row of perEpoch) assert.deepEqual(row, perEpoch[0], `tensors per replica by epoch: ${JSON.stringify(perEpoch)}`);
  assert.equal(new Set(a.mainTensors).size, 1, `main thread tensors by epoch: ${a.mainTensors.join(", ")}`);
  const t = a.history.parallel!.timing;
  assert.equal(t.length, 2);
  for (const r of t) for (const v of [r.computeMs, r.waitMs, r.copyMs]) assert.ok(v >= 0 && Number.isFinite(v));
});

test("a second fit with workers continues the first exactly as one fit would (optimiser state goes to the workers)", async () => {
  await initBackend({ backend: "wasm" });
  const data = batches(4, 50, 3);
  const make = () => new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8], seed: 1 });
  const once = make();
  await fit(once, { epoch: () => data }, { epochs: 2, workers: 2, progress: false });
  const twice = make();
  await fit(twice, { epoch: () => data }, { epochs: 1, workers: 2, progress: false });
  await fit(twice, { epoch: () => data }, { epochs: 1, workers: 2, progress: false });
  const w = twice.getWeights();
  for (const [name, x] of once.getWeights()) assert.deepEqual(x.values, w.get(name)!.values, `weight '${name}'`);
  once.dispose();
  twice.dispose();
});

test("a model class of your own trains with workers when workerModules registers it; unregistered, the error says how", async () => {
  await initBackend({ backend: "wasm" });
  const data = batches(3, 40, 4);
  const fixture = path.join(__dirname, "fixtures", "custom-model.ts");
  const model = tinyDot(NU, NI, 2);
  const h = await fit(model, { epoch: () => data }, { epochs: 1, workers: 2, workerModules: [fixture], progress: false });
  assert.equal(h.parallel?.workers, 2);
  model.dispose();
  const stranger = tinyDot(NU, NI, 2, "OnlyOnMain");
  await assert.rejects(
    fit(stranger, { epoch: () => data }, { epochs: 1, workers: 2, progress: false }),
    /fit: worker 1 could not start: model class 'OnlyOnMain' is not registered in the worker thread .*pass fit's workerModules the module that calls registerModelClass\('OnlyOnMain'/,
  );
  stranger.dispose();
});

test("a worker that fails (module that throws; a step that throws) ends fit with its error, quickly, and leaves no thread", async () => {
  await initBackend({ backend: "wasm" });
  const data = batches(5, 40, 5);
  const model = new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8], seed: 1 });
  // Each failing fit must end promptly (a deadlocked barrier would hang until the 300 s stall limit). Starting a
  // worker under tsx takes about 2 s, and more on a loaded machine.
  const bounded = async (run: Promise<unknown>, error: RegExp) => {
    const t0 = performance.now();
    await assert.rejects(run, error);
    assert.ok(performance.now() - t0 < 60_000, `${error} took ${Math.round(performance.now() - t0)} ms`);
  };
  await bounded(
    fit(model, { epoch: () => data }, { epochs: 1, workers: 2, workerModules: [path.join(__dirname, "fixtures", "throwing-module.ts")], progress: false }),
    /fit: worker 1 could not start: fixture module refuses to load/,
  );
  let during = 0;
  await bounded(
    fit(model, { epoch: () => data }, { epochs: 2, workers: 3, workerFailAtStep: 8, progress: false, onEpochEnd: () => void (during = liveWorkerThreads()) }),
    /data-parallel training \(workers\): worker 1 failed: injected failure at step 8/,
  );
  assert.equal(during, 2, "both workers ran through epoch 1");
  // A bad id in the main thread's shard, then in a worker's: each ends fit with the model's own message.
  const bad = (at: number) => {
    const b = randomBatch(40, 9);
    b.users[at] = 999;
    return [b];
  };
  await bounded(fit(model, { epoch: () => bad(3) }, { epochs: 1, workers: 2, progress: false }), /users\[3\] = 999 is outside \[0, 40\)/);
  await bounded(fit(model, { epoch: () => bad(30) }, { epochs: 1, workers: 2, progress: false }), /data-parallel training \(workers\): worker 1 failed: NeuMF.trainStep: users\[10\] = 999 is outside \[0, 40\)/);
  assert.equal(liveWorkerThreads(), 0, "no worker thread is left");
  // The model is usable afterwards, on one thread again.
  const h = await fit(model, { epoch: () => data }, { epochs: 1, progress: false });
  assert.ok(Number.isFinite(h.epochs[0]!.trainLoss));
  model.dispose();
});

test("a Two-Tower with BCE (rebuilt in the workers from its saved extras) trains with workers 2 as with 1", async () => {
  await initBackend({ backend: "wasm" });
  const ds = generateSynthetic({ numUsers: 30, numItems: 40, interactionsPerUser: 8, seed: 2 });
  const { train } = leaveOneOut(ds.interactions);
  const { one, two } = await oneAndTwoWorkers(() => TwoTower.fromDataset(ds, train, { seed: 1, dim: 8 }), implicitBatches(train, { batchSize: 64, negatives: 1 }), { loss: "bce", epochs: 1 });
  assert.equal(two.history.parallel?.workers, 2);
  const worst = maxRelativeDiff(two.w, one.w);
  assert.ok(worst.rel < 1e-4, `'${worst.name}' differs by ${worst.rel} (relative)`);
});

test("workers > 1 with the in-batch softmax is refused, naming the option; a bad workers value too", async () => {
  await initBackend({ backend: "wasm" });
  const ds = generateSynthetic({ numUsers: 30, numItems: 40, interactionsPerUser: 8, seed: 2 });
  const { train } = leaveOneOut(ds.interactions);
  const model = TwoTower.fromDataset(ds, train, { seed: 1, dim: 8 });
  await assert.rejects(fit(model, implicitBatches(train, { batchSize: 32 }), { loss: "softmax", epochs: 1, workers: 2, progress: false }), /fit: workers 2 cannot split a batch for loss 'softmax'.*use workers: 1/);
  await assert.rejects(fit(model, implicitBatches(train, { batchSize: 32 }), { epochs: 1, workers: 0, progress: false }), /fit: workers must be a positive integer or "auto", got 0/);
  model.dispose();
});

test("workers 'auto' trains on one thread at small batches; the rule gives several at large ones on free cores", async () => {
  await initBackend({ backend: "wasm" });
  const model = new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8], seed: 1 });
  const small = await fit(model, { epoch: () => batches(2, 64, 6) }, { epochs: 1, workers: "auto", progress: false });
  assert.equal(small.parallel, undefined);
  model.dispose();
  // (A fit at a large batch is not asserted: what "auto" picks there depends on this machine's load at that moment.)
  // The rule: one worker below AUTO_MIN_BATCH; else one per core that other processes leave free (at most 8).
  assert.equal(workersFor("auto", AUTO_MIN_BATCH - 1, 0, 4), 1);
  assert.equal(workersFor("auto", AUTO_MIN_BATCH, 1, 4), 4, "idle but for this process");
  assert.equal(workersFor("auto", AUTO_MIN_BATCH, 2.5, 4), 2);
  assert.equal(workersFor("auto", AUTO_MIN_BATCH, 4, 2), 1, "loaded");
  assert.equal(workersFor("auto", 64, 1, 32), 1);
  assert.equal(workersFor("auto", 1 << 20, 1, 32), 8);
  assert.equal(workersFor(3, 1, 9, 1), 3, "a number is taken as given");
});

test("a wrapped tf.layers model (fromLayersModel) trains with workers 2 as with 1; with custom inputs the workers cannot rebuild it, and fit says so", async () => {
  await initBackend({ backend: "wasm" });
  const data = batches(4, 64, 8);
  const build = (inputs?: (b: PairInputs) => tf.Tensor[]) => {
    const user = tf.input({ shape: [1], dtype: "int32" });
    const item = tf.input({ shape: [1], dtype: "int32" });
    const eu = tf.layers.flatten().apply(recsysEmbedding({ inputDim: NU, outputDim: 8, name: "user_emb" }).apply(user)) as tf.SymbolicTensor;
    const ei = tf.layers.flatten().apply(recsysEmbedding({ inputDim: NI, outputDim: 8, name: "item_emb" }).apply(item)) as tf.SymbolicTensor;
    const hidden = tf.layers.dense({ units: 8, activation: "relu", name: "hidden" }).apply(tf.layers.concatenate().apply([eu, ei])) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 1, name: "logit" }).apply(hidden) as tf.SymbolicTensor;
    return fromLayersModel(tf.model({ inputs: [user, item], outputs: out }), { numUsers: NU, numItems: NI, seed: 3, ...(inputs ? { inputs } : {}) });
  };
  const { one, two } = await oneAndTwoWorkers(() => build(), { epoch: () => data }, { epochs: 2, optimizer: { name: "adam", learningRate: 0.01 } });
  assert.equal(two.history.parallel?.workers, 2);
  const worst = maxRelativeDiff(two.w, one.w);
  assert.ok(worst.rel < 1e-4, `'${worst.name}' differs by ${worst.rel} (relative)`);
  assert.ok(Math.abs(two.history.epochs[1]!.trainLoss - one.history.epochs[1]!.trainLoss) < 1e-5);

  const custom = build((b) => [tf.reshape(b.userIds, [-1, 1]), tf.reshape(b.itemIds, [-1, 1])]);
  await assert.rejects(fit(custom, { epoch: () => data }, { epochs: 1, workers: 2, progress: false }), /fit: workers 2 rebuilds the model in each worker thread from its saved form, which cannot hold the custom `inputs` function of LayersModel; use workers: 1/);
  assert.equal(liveWorkerThreads(), 0);
  // "auto" at a small batch trains on one thread, which needs no rebuild: no refusal.
  const small = await fit(custom, { epoch: () => data }, { epochs: 1, workers: "auto", progress: false });
  assert.equal(small.parallel, undefined);
  custom.dispose();
});
