/**
 * NCF's first MLP layer computed per distinct user and item (lib/models/factored-input.ts): the plan on a
 * hand-made batch, and the factored layer against the per-pair layer on wasm (loss, every gradient, scores,
 * training), when the default rule takes it, and that it holds no tensors across steps.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { MLP, NeuMF, type TrainBatch } from "../../lib/models";
import { distinctRows, factoredShare, setFactoredInput, worthFactoring, type FactoredInputMode } from "../../lib/models/factored-input";
import { Rng } from "../../lib/random";

const NU = 40;
const NI = 60;

function randomBatch(seed: number, n: number, nu = NU, ni = NI): TrainBatch {
  const rng = new Rng(seed);
  return {
    users: Int32Array.from({ length: n }, () => rng.int(nu)),
    items: Int32Array.from({ length: n }, () => rng.int(ni)),
    labels: Float32Array.from({ length: n }, () => rng.int(2)),
    negItems: Int32Array.from({ length: n }, () => rng.int(ni)),
  };
}

function withMode<T>(mode: FactoredInputMode, f: () => T): T {
  const old = setFactoredInput(mode);
  try {
    return f();
  } finally {
    setFactoredInput(old);
  }
}

/** Kernel names launched while f runs. */
function kernelsOf(f: () => void): Set<string> {
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
  const original = engine.runKernel;
  const names = new Set<string>();
  engine.runKernel = function (this: unknown, ...a: unknown[]) {
    names.add(a[0] as string);
    return original.apply(this, a);
  };
  try {
    f();
  } finally {
    engine.runKernel = original;
  }
  return names;
}

test("distinctRows: first-seen order, each pair's local indices, and the scratch left clean", () => {
  // Table rows: users 0-3, items 4-6 (numUsers = 4). Pairs (user, 4 + item).
  const pairs = Int32Array.from([0, 5, 2, 5, 0, 6, 1, 5]);
  const scratch = new Int32Array(7).fill(-1);
  const plan = distinctRows(pairs, scratch);
  assert.deepEqual(Array.from(plan.rows.subarray(0, plan.users)), [0, 2, 1]);
  assert.deepEqual(Array.from(plan.rows.subarray(plan.users)), [5, 6]);
  assert.deepEqual(Array.from(plan.local), [0, 0, 1, 0, 0, 1, 2, 0]);
  assert.deepEqual(Array.from(scratch), [-1, -1, -1, -1, -1, -1, -1]);
  // (3 users + 2 items) / (2 x 4 pairs)
  assert.equal(factoredShare(plan), 5 / 8);
  assert.equal(withMode("auto", () => worthFactoring(plan)), true);
  const allDistinct = distinctRows(Int32Array.from([0, 4, 1, 5, 2, 6]), scratch);
  assert.equal(factoredShare(allDistinct), 1);
  assert.equal(withMode("auto", () => worthFactoring(allDistinct)), false);
  assert.equal(withMode("always", () => worthFactoring(allDistinct)), true);
  assert.equal(withMode("never", () => worthFactoring(plan)), false);
});

function compareGradients(make: () => MLP | NeuMF, batch: TrainBatch, loss: "bce" | "bpr") {
  const model = make();
  const plain = withMode("never", () => model.lossAndGradients(batch, loss));
  const factored = withMode("always", () => model.lossAndGradients(batch, loss));
  assert.ok(Math.abs(plain.loss - factored.loss) <= 1e-6 * Math.max(1, Math.abs(plain.loss)), `${model.name}/${loss}: loss ${factored.loss} vs ${plain.loss}`);
  let largest = 0;
  for (const [name, g] of plain.grads) {
    const f = factored.grads.get(name)!.values;
    assert.equal(f.length, g.values.length, name);
    let scale = 0;
    for (const v of g.values) scale = Math.max(scale, Math.abs(v));
    largest = Math.max(largest, scale);
    for (let k = 0; k < f.length; k++) {
      assert.ok(Math.abs(f[k]! - g.values[k]!) <= 1e-5 * scale + 1e-9, `${model.name}/${loss}: d ${name}[${k}] = ${f[k]} factored vs ${g.values[k]} per pair`);
    }
  }
  assert.ok(largest > 1e-4, `${model.name}/${loss}: gradients are not all ~0`);
  model.dispose();
}

test("factored and per-pair first layers give the same loss and gradients (MLP, NeuMF; bce, bpr; padded rows)", async () => {
  await initBackend({ backend: "wasm" });
  const layers = [16, 8, 4];
  // 200 examples pad to 208 rows on wasm; users and items repeat, so rows are shared by many pairs.
  const batch = randomBatch(1, 200);
  compareGradients(() => new MLP({ numUsers: NU, numItems: NI, layers, embeddingInitStd: 0.3, seed: 1 }), batch, "bce");
  compareGradients(() => new NeuMF({ numUsers: NU, numItems: NI, layers, factors: 4, embeddingInitStd: 0.3, seed: 2 }), batch, "bce");
  compareGradients(() => new NeuMF({ numUsers: NU, numItems: NI, layers, factors: 4, embeddingInitStd: 0.3, seed: 3 }), batch, "bpr");
  // Every pair distinct: the factored layer still computes the same thing.
  const distinct = { users: Int32Array.from({ length: 30 }, (_, k) => k), items: Int32Array.from({ length: 30 }, (_, k) => 2 * k), labels: new Float32Array(30).fill(1) };
  compareGradients(() => new MLP({ numUsers: NU, numItems: NI, layers, embeddingInitStd: 0.3, seed: 4 }), distinct, "bce");
});

test("factored scores equal per-pair scores, and training with either ends at the same weights", async () => {
  await initBackend({ backend: "wasm" });
  const make = () => {
    const m = new NeuMF({ numUsers: NU, numItems: NI, layers: [16, 8, 4], factors: 4, embeddingInitStd: 0.3, seed: 5 });
    m.compile({ loss: "bce", optimizer: { name: "adam", learningRate: 1e-2 } });
    return m;
  };
  const users = Int32Array.from({ length: 500 }, (_, k) => k % NU);
  const items = Int32Array.from({ length: 500 }, (_, k) => (k * 7) % NI);
  const scorer = make();
  const plain = await withMode("never", () => scorer.score(users, items));
  const factored = await withMode("always", () => scorer.score(users, items));
  for (let k = 0; k < plain.length; k++) assert.ok(Math.abs(plain[k]! - factored[k]!) <= 1e-5, `score ${k}: ${factored[k]} vs ${plain[k]}`);
  scorer.dispose();

  const train = (mode: FactoredInputMode) =>
    withMode(mode, () => {
      const m = make();
      for (let s = 0; s < 20; s++) m.trainStep(randomBatch(10 + s, 256));
      const w = m.getWeights();
      m.dispose();
      return w;
    });
  const a = train("never");
  const b = train("always");
  let moved = 0;
  const start = make().getWeights();
  for (const [name, t] of a) {
    const u = b.get(name)!.values;
    t.values.forEach((v, k) => {
      assert.ok(Math.abs(v - u[k]!) <= 1e-4, `${name}[${k}] after 20 steps: ${u[k]} factored vs ${v} per pair`);
      moved = Math.max(moved, Math.abs(v - start.get(name)!.values[k]!));
    });
  }
  assert.ok(moved > 1e-2, "training moved the weights");
});

test("the default rule factors large batches, not small ones nor embedding dropout, and holds no tensors across steps", async () => {
  await initBackend({ backend: "wasm" });
  const model = new NeuMF({ numUsers: NU, numItems: NI, seed: 6 });
  model.compile({ loss: "bce", optimizer: { name: "adam" } });
  const factoredKernel = "RecsysPairSumRelu";
  // 1000 examples over 40 users and 60 items: shared rows everywhere.
  assert.ok(kernelsOf(() => model.trainStep(randomBatch(7, 1000))).has(factoredKernel), "a batch of 1000 over 100 rows is factored");
  // 8 distinct users and items: nothing to share.
  const small = { users: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), items: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), labels: new Float32Array(8) };
  assert.ok(!kernelsOf(() => model.trainStep(small)).has(factoredKernel), "distinct pairs keep the per-pair layer");
  model.takeLoss();
  const before = tf.memory().numTensors;
  for (let s = 0; s < 5; s++) model.trainStep(randomBatch(20 + s, 1000));
  model.takeLoss();
  assert.equal(tf.memory().numTensors, before, "live tensors after 5 more factored steps");
  model.dispose();

  const dropout = new NeuMF({ numUsers: NU, numItems: NI, seed: 7, embeddingDropout: 0.2 });
  dropout.compile({ loss: "bce", optimizer: { name: "adam" } });
  assert.ok(!kernelsOf(() => dropout.trainStep(randomBatch(8, 1000))).has(factoredKernel), "embedding dropout keeps the per-pair layer");
  dropout.dispose();
});
