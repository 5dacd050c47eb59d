/**
 * Training behaviour of every model: it can overfit a tiny dataset, a seeded run repeats exactly, the live tensor
 * count stays flat, and scores agree between score(), scoreAll() and factors().
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { MF, GMF, MLP, NeuMF, type TrainBatch } from "../../lib/models";
import type { Model as TrainableModel } from "../../lib/models/model";
import type { LossName } from "../../lib/nn/losses";
import { Rng } from "../../lib/random";

const NU = 6;
const NI = 8;

/** All NU x NI pairs with a fixed random 0/1 pattern (or ratings 1..5), repeated `copies` times. */
function everyPair(seed: number, target: "binary" | "rating", copies = 1): TrainBatch {
  const rng = new Rng(seed);
  const labels = Float32Array.from({ length: NU * NI }, () => (target === "binary" ? rng.int(2) : 1 + rng.int(5)));
  const n = NU * NI * copies;
  const b = { users: new Int32Array(n), items: new Int32Array(n), labels: new Float32Array(n) };
  for (let k = 0; k < n; k++) {
    const p = k % (NU * NI);
    b.users[k] = Math.floor(p / NI);
    b.items[k] = p % NI;
    b.labels[k] = labels[p]!;
  }
  return b;
}

/** Pairs (u, positive, negative) from a binary pattern: every positive with every negative of the same user. */
function bprPairs(seed: number): TrainBatch {
  const pattern = everyPair(seed, "binary");
  const users: number[] = [], items: number[] = [], negItems: number[] = [];
  for (let u = 0; u < NU; u++) {
    const pos: number[] = [], neg: number[] = [];
    for (let i = 0; i < NI; i++) (pattern.labels![u * NI + i] ? pos : neg).push(i);
    for (const i of pos) for (const j of neg) (users.push(u), items.push(i), negItems.push(j));
  }
  return { users: Int32Array.from(users), items: Int32Array.from(items), negItems: Int32Array.from(negItems) };
}

const models: Array<{ make: (seed?: number) => TrainableModel; loss: LossName; data: () => TrainBatch; lr: number; steps: number; below: number }> = [
  { make: (s = 1) => new MF({ numUsers: NU, numItems: NI, factors: 8, seed: s }), loss: "mse", data: () => everyPair(1, "rating"), lr: 0.05, steps: 400, below: 1e-3 },
  { make: (s = 1) => new MF({ numUsers: NU, numItems: NI, factors: 8, seed: s }), loss: "bce", data: () => everyPair(2, "binary"), lr: 0.1, steps: 400, below: 0.02 },
  { make: (s = 1) => new MF({ numUsers: NU, numItems: NI, factors: 8, seed: s }), loss: "bpr", data: () => bprPairs(3), lr: 0.1, steps: 400, below: 0.02 },
  { make: (s = 1) => new GMF({ numUsers: NU, numItems: NI, factors: 8, embeddingInitStd: 0.1, seed: s }), loss: "bce", data: () => everyPair(4, "binary"), lr: 0.1, steps: 400, below: 0.02 },
  { make: (s = 1) => new MLP({ numUsers: NU, numItems: NI, layers: [16, 16, 8], embeddingInitStd: 0.1, seed: s }), loss: "bce", data: () => everyPair(5, "binary"), lr: 0.05, steps: 400, below: 0.02 },
  { make: (s = 1) => new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8, 4], embeddingInitStd: 0.1, seed: s }), loss: "bce", data: () => everyPair(6, "binary"), lr: 0.05, steps: 400, below: 0.02 },
  { make: (s = 1) => new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8, 4], embeddingInitStd: 0.1, seed: s }), loss: "bpr", data: () => bprPairs(7), lr: 0.05, steps: 400, below: 0.02 },
];

test("every model overfits a tiny dataset to near-zero loss (cpu)", async () => {
  await initBackend({ backend: "cpu" });
  for (const m of models) {
    const model = m.make();
    model.compile({ loss: m.loss, optimizer: { name: "adam", learningRate: m.lr } });
    const batch = m.data();
    model.trainStep(batch);
    const first = model.takeLoss().loss;
    for (let s = 1; s < m.steps; s++) model.trainStep(batch);
    model.takeLoss();
    model.trainStep(batch);
    const last = model.takeLoss().loss;
    assert.ok(last < m.below, `${model.name}/${m.loss}: loss ${first} -> ${last}, expected < ${m.below}`);
    model.dispose();
  }
});

test("NeuMF overfits on wasm too, with padded batches (96 examples -> 112 rows)", async () => {
  const info = await initBackend({ backend: "wasm" });
  assert.equal(info.backend, "wasm");
  const model = new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8, 4], embeddingInitStd: 0.1, seed: 1 });
  model.compile({ loss: "bce", optimizer: { learningRate: 0.05 } });
  const batch = everyPair(6, "binary", 2);
  for (let s = 0; s < 400; s++) model.trainStep(batch);
  model.takeLoss();
  model.trainStep(batch);
  const { loss, examples } = model.takeLoss();
  assert.equal(examples, 96);
  assert.ok(loss < 0.02, `loss ${loss}`);
  model.dispose();
});

test("a seeded run repeated gives identical weights and losses; another seed differs", async () => {
  await initBackend({ backend: "cpu" });
  const run = (seed: number) => {
    const model = new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [16, 8, 4], seed, embeddingDropout: 0.2, denseDropout: 0.3 });
    model.compile({ loss: "bce", optimizer: { learningRate: 0.01 } });
    const rng = new Rng(99);
    const losses: number[] = [];
    for (let s = 0; s < 30; s++) {
      const n = 20;
      model.trainStep({
        users: Int32Array.from({ length: n }, () => rng.int(NU)),
        items: Int32Array.from({ length: n }, () => rng.int(NI)),
        labels: Float32Array.from({ length: n }, () => rng.int(2)),
      });
      if (s % 10 === 9) losses.push(model.takeLoss().loss);
    }
    const weights = model.getWeights();
    model.dispose();
    return { losses, weights };
  };
  const a = run(7);
  const b = run(7);
  const c = run(8);
  assert.deepEqual(a.losses, b.losses);
  for (const [name, w] of a.weights) assert.deepEqual(Array.from(w.values), Array.from(b.weights.get(name)!.values), name);
  assert.notDeepEqual(Array.from(a.weights.get("mlp.embedding")!.values), Array.from(c.weights.get("mlp.embedding")!.values));
});

for (const backend of ["cpu", "wasm"] as const) {
  test(`no tensor leaks across many steps, loss reads and scoring (${backend})`, async () => {
    await initBackend({ backend });
    const base = tf.memory().numTensors;
    const batch = everyPair(3, "binary", 2);
    for (const make of [
      () => new MF({ numUsers: NU, numItems: NI, factors: 4, embeddingDropout: 0.1 }),
      () => new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers: [8, 4], embeddingDropout: 0.1, denseDropout: 0.1, embeddingL2: 1e-4, denseL2: 1e-3 }),
    ]) {
      for (const loss of ["bce", "bpr"] as const) {
        const model = make();
        model.compile({ loss, optimizer: { name: "adam" } });
        const b = loss === "bpr" ? bprPairs(3) : batch;
        // One epoch first: it creates the optimizer state, cached constants and weight views.
        let after1 = 0;
        for (let epoch = 0; epoch < 4; epoch++) {
          for (let s = 0; s < 20; s++) model.trainStep(b);
          model.takeLoss();
          await model.score(b.users, b.items);
          await model.scoreAll(Int32Array.of(0, 1, 2));
          if (epoch === 0) after1 = tf.memory().numTensors;
          assert.equal(tf.memory().numTensors, after1, `${model.name}/${loss}: live tensors grew in epoch ${epoch}`);
        }
        model.getWeights();
        model.setWeights(model.getWeights());
        await model.score(b.users, b.items);
        assert.equal(tf.memory().numTensors, after1, `${model.name}: getWeights/setWeights leaked`);
        model.dispose();
        assert.equal(tf.memory().numTensors, base, `${model.name}/${loss}: dispose left tensors behind`);
      }
    }
    for (const name of ["adagrad", "sgd"] as const) {
      const model = new GMF({ numUsers: NU, numItems: NI });
      model.compile({ optimizer: { name } });
      model.trainStep(batch);
      model.takeLoss();
      const after1 = tf.memory().numTensors;
      for (let s = 0; s < 10; s++) model.trainStep(batch);
      model.takeLoss();
      assert.equal(tf.memory().numTensors, after1, `${name}: live tensors grew`);
      model.dispose();
      assert.equal(tf.memory().numTensors, base);
    }
  });
}

test("score, scoreAll and factors agree (cpu and wasm)", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await initBackend({ backend });
    for (const model of [
      new MF({ numUsers: NU, numItems: NI, factors: 3, seed: 2 }),
      new MF({ numUsers: NU, numItems: NI, factors: 3, biases: false, seed: 2 }),
      new GMF({ numUsers: NU, numItems: NI, embeddingInitStd: 0.5, seed: 3 }),
      new MLP({ numUsers: NU, numItems: NI, layers: [8, 4], embeddingInitStd: 0.5, seed: 4 }),
      new NeuMF({ numUsers: NU, numItems: NI, factors: 2, layers: [8, 4], embeddingInitStd: 0.5, seed: 5 }),
    ]) {
      // Give MF non-zero biases.
      model.compile({ loss: "bce", optimizer: { learningRate: 0.1 } });
      for (let s = 0; s < 3; s++) model.trainStep(everyPair(s, "binary"));
      const users = Int32Array.of(0, 3, 5);
      const all = await model.scoreAll(users);
      assert.equal(all.length, users.length * NI);
      const u = new Int32Array(users.length * NI);
      const i = new Int32Array(users.length * NI);
      for (let a = 0; a < users.length; a++) for (let k = 0; k < NI; k++) (u[a * NI + k] = users[a]!), (i[a * NI + k] = k);
      const pairs = await model.score(u, i);
      for (let k = 0; k < all.length; k++) assert.ok(Math.abs(all[k]! - pairs[k]!) < 1e-5, `${model.name}: scoreAll ${all[k]} vs score ${pairs[k]}`);
      if (model instanceof MF) {
        const f = model.factors();
        const w = model.getWeights();
        const userBias = (x: number) => (model.getConfig().biases ? w.get("mf.bias")!.values[x]! + w.get("mf.globalBias")!.values[0]! : 0);
        for (let a = 0; a < users.length; a++) {
          for (let k = 0; k < NI; k++) {
            let dot = f.itemBias ? f.itemBias[k]! : 0;
            for (let d = 0; d < f.dim; d++) dot += f.users[users[a]! * f.dim + d]! * f.items[k * f.dim + d]!;
            assert.ok(Math.abs(dot + userBias(users[a]!) - all[a * NI + k]!) < 1e-5, "factors reproduce the scores");
          }
        }
      }
      model.dispose();
    }
  }
});

test("NeuMF.fromPretrained fuses GMF and MLP: its logit is alpha z_GMF + (1 - alpha) z_MLP", async () => {
  await initBackend({ backend: "cpu" });
  const gmf = new GMF({ numUsers: NU, numItems: NI, factors: 3, embeddingInitStd: 0.5, seed: 1 });
  const mlp = new MLP({ numUsers: NU, numItems: NI, layers: [8, 4], embeddingInitStd: 0.5, seed: 2 });
  const users = Int32Array.of(0, 1, 5, 2);
  const items = Int32Array.of(7, 0, 3, 3);
  for (const alpha of [0.5, 0.2]) {
    const neumf = NeuMF.fromPretrained(gmf, mlp, { alpha, options: { seed: 3 } });
    assert.deepEqual(neumf.getConfig().layers, [8, 4]);
    assert.equal(neumf.getConfig().factors, 3);
    const zg = await gmf.score(users, items);
    const zm = await mlp.score(users, items);
    const z = await neumf.score(users, items);
    for (let k = 0; k < z.length; k++) assert.ok(Math.abs(z[k]! - (alpha * zg[k]! + (1 - alpha) * zm[k]!)) < 1e-5);
    neumf.dispose();
  }
  assert.throws(() => NeuMF.fromPretrained(gmf, mlp, { alpha: 1.5 }), /alpha must be in \[0, 1\], got 1.5/);
  const other = new MLP({ numUsers: NU + 1, numItems: NI });
  assert.throws(() => NeuMF.fromPretrained(gmf, other), /GMF has 6 users x 8 items but MLP has 7 x 8/);
  for (const m of [gmf, mlp, other]) m.dispose();
});

test("trainStep explains what is missing", async () => {
  await initBackend({ backend: "cpu" });
  const model = new MF({ numUsers: NU, numItems: NI });
  const b = everyPair(1, "binary");
  assert.throws(() => model.trainStep(b), /MF.trainStep: call compile\(\{ loss, optimizer \}\) first/);
  model.compile({ loss: "bpr" });
  assert.throws(() => model.trainStep(b), /the pairwise loss needs batch.negItems/);
  model.compile({ loss: "bce" });
  assert.throws(() => model.trainStep({ ...b, items: b.items.map((i) => i + NI) }), /items\[0\] = 8 is outside \[0, 8\)/);
  assert.throws(() => model.trainStep({ users: b.users, items: b.items }), /the pointwise loss needs batch.labels/);
  assert.throws(() => model.compile({ loss: "hinge" as LossName }), /unknown loss 'hinge'. Valid: bce, bpr, mse/);
  model.dispose();
  assert.throws(() => model.trainStep(b), /MF: this model was disposed/);
});
