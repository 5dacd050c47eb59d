/** Model options (defaults, round trip, validation) and save/load. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../lib/backend";
import * as tf from "@tensorflow/tfjs";
import { generateSynthetic, leaveOneOut, Interactions } from "../../lib/data";
import {
  MF,
  GMF,
  MLP,
  NeuMF,
  AutodiffModel,
  fromLayersModel,
  saveModel,
  loadModel,
  readModelInfo,
  registerModelClass,
  checkTrainingData,
  resolveNeuMFOptions,
  resolveMFOptions,
} from "../../lib/models";
import { embeddingLookup, embeddingWeight, recsysEmbedding } from "../../lib/nn";
import { fit, implicitBatches } from "../../lib/train";
import type { Model as TrainableModel } from "../../lib/models/model";
import { Rng } from "../../lib/random";

const NU = 9;
const NI = 11;

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

test("defaults are filled in one place and documented values hold", () => {
  const n = resolveNeuMFOptions({ numUsers: NU, numItems: NI });
  assert.deepEqual(n, {
    numUsers: NU,
    numItems: NI,
    embeddingDropout: 0,
    denseDropout: 0,
    embeddingL2: 0,
    denseL2: 0,
    seed: 0,
    factors: 8,
    layers: [64, 32, 16, 8],
    embeddingInitStd: 0.01,
  });
  const m = resolveMFOptions({ numUsers: NU, numItems: NI });
  assert.equal(m.factors, 32);
  assert.equal(m.biases, true);
  assert.equal(m.embeddingInitStd, 0.1);
});

test("constructors do not mutate the caller's options and getConfig round-trips", async () => {
  await initBackend({ backend: "cpu" });
  const options = deepFreeze({ numUsers: NU, numItems: NI, layers: [8, 4], denseDropout: 0.1, seed: 3 });
  const a = new NeuMF(options); // a frozen object would throw on any write
  const cfg = a.getConfig();
  cfg.layers.push(99); // the copy is the caller's own
  assert.deepEqual(a.getConfig().layers, [8, 4]);
  const b = new NeuMF(a.getConfig());
  assert.deepEqual(b.getConfig(), a.getConfig());
  // Same config and seed: same initial weights.
  assert.deepEqual(Array.from(b.getWeights().get("mlp.dense0.kernel")!.values), Array.from(a.getWeights().get("mlp.dense0.kernel")!.values));
  a.dispose();
  b.dispose();
});

test("options are checked with messages that name the value and the fix", () => {
  assert.throws(() => new MF({ numUsers: 0, numItems: 3 }), /MF: numUsers must be a positive integer, got 0/);
  assert.throws(() => new GMF({ numUsers: 3, numItems: 3, embeddingDropout: 1 }), /GMF: embeddingDropout must be in \[0, 1\), got 1/);
  assert.throws(() => new MLP({ numUsers: 3, numItems: 3, layers: [7, 4] }), /layers\[0\] is the concatenation of a user and an item embedding and must be even, got 7/);
  assert.throws(() => new NeuMF({ numUsers: 3, numItems: 3, layers: [8] }), /layers must list at least the input width and one layer/);
  assert.throws(() => new NeuMF({ numUsers: 3, numItems: 3, factor: 8 } as never), /NeuMF: unknown option 'factor'. Valid: .*factors/);
  assert.throws(() => new MF({ numUsers: 3, numItems: 3, denseL2: -1 }), /MF: denseL2 must be a number >= 0, got -1/);
});

test("save and load round-trip: same class, config and bit-identical scores", async () => {
  await initBackend({ backend: "cpu" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-lab-io-"));
  try {
    const rng = new Rng(5);
    const users = Int32Array.from({ length: 50 }, () => rng.int(NU));
    const items = Int32Array.from({ length: 50 }, () => rng.int(NI));
    const labels = Float32Array.from({ length: 50 }, () => rng.int(2));
    const models: TrainableModel[] = [
      new MF({ numUsers: NU, numItems: NI, factors: 5, embeddingL2: 1e-4 }),
      new MF({ numUsers: NU, numItems: NI, factors: 5, biases: false }),
      new GMF({ numUsers: NU, numItems: NI, factors: 4 }),
      new MLP({ numUsers: NU, numItems: NI, layers: [12, 6, 3], denseDropout: 0.2 }),
      new NeuMF({ numUsers: NU, numItems: NI, factors: 3, layers: [10, 5], seed: 4 }),
    ];
    for (const [k, model] of models.entries()) {
      model.compile({ loss: "bce", optimizer: { learningRate: 0.05 } });
      for (let s = 0; s < 5; s++) model.trainStep({ users, items, labels });
      const where = path.join(dir, `m${k}`);
      await saveModel(model, where, { optimizer: false });
      assert.deepEqual(fs.readdirSync(where).sort(), ["config.json", "weights.bin", "weights.json"]);
      const loaded = await loadModel(where);
      assert.equal(loaded.className, model.className);
      assert.deepEqual(loaded.getConfig(), model.getConfig());
      assert.deepEqual(Array.from(await loaded.score(users, items)), Array.from(await model.score(users, items)));
      assert.deepEqual(Array.from(await loaded.scoreAll(Int32Array.of(0, 8))), Array.from(await model.scoreAll(Int32Array.of(0, 8))));
      loaded.dispose();
      model.dispose();
    }
    const config = JSON.parse(fs.readFileSync(path.join(dir, "m4", "config.json"), "utf8"));
    assert.equal(config.format, "recsys-lab-model");
    assert.equal(config.className, "NeuMF");
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "m4", "weights.json"), "utf8"));
    const total = manifest.reduce((s: number, e: { length: number }) => s + e.length, 0);
    assert.equal(fs.statSync(path.join(dir, "m4", "weights.bin")).size, total * 4);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("load explains bad folders", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-lab-io-"));
  try {
    await assert.rejects(loadModel(path.join(dir, "missing")), /cannot read .*config.json.*is it a folder written by saveModel/);
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ format: "recsys-lab-model", version: 2, className: "Wide" }));
    await assert.rejects(loadModel(dir), /holds a 'Wide', which no factory is registered for. Registered: MF, GMF, MLP, NeuMF, .*registerModelClass\('Wide'/);
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ format: "other" }));
    await assert.rejects(loadModel(dir), /is not a recsys-lab-model file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("save replaces a previous model atomically, leaves no temporary folders, and load detects corrupted weights", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-lab-io-"));
  try {
    const where = path.join(dir, "model");
    const a = new MF({ numUsers: 4, numItems: 5, factors: 2, seed: 1 });
    const b = new MF({ numUsers: 4, numItems: 5, factors: 2, seed: 2 });
    await saveModel(a, where);
    await saveModel(b, where); // overwrite
    assert.deepEqual(fs.readdirSync(dir), ["model"], "no temporary or backup folders left");
    const loaded = await loadModel(where);
    const u = Int32Array.of(0, 1, 3);
    const i = Int32Array.of(4, 0, 2);
    assert.deepEqual(Array.from(await loaded.score(u, i)), Array.from(await b.score(u, i)));
    loaded.dispose();
    const bin = path.join(where, "weights.bin");
    const bytes = fs.readFileSync(bin);
    bytes[5] = bytes[5]! ^ 0xff;
    fs.writeFileSync(bin, bytes);
    await assert.rejects(loadModel(where), /weights\.bin does not match the checksum in config\.json/);
    a.dispose();
    b.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a saved model knows its data: ids and fingerprint are saved, and loading against other data fails", async () => {
  await initBackend({ backend: "cpu" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-lab-io-"));
  try {
    const data = generateSynthetic({ numUsers: 30, numItems: 40, interactionsPerUser: 8, seed: 1 });
    const { train } = leaveOneOut(data.interactions);
    const model = new MF({ numUsers: train.numUsers, numItems: train.numItems, factors: 3 });
    await saveModel(model, dir, { train, training: { note: "kept as is" } });
    const info = await readModelInfo(dir);
    assert.deepEqual(info.data, { numUsers: 30, numItems: 40, interactions: train.length, fingerprint: train.fingerprint() });
    assert.deepEqual(info.training, { note: "kept as is" });
    (await loadModel(dir, { data: data.interactions })).dispose();
    // Same sizes, other raw ids: a CSV whose item ids are not the ones the model was trained on.
    const renamed = new Interactions({ ...columnsOf(data.interactions), itemIds: data.interactions.itemIds.map((id) => `x${id}`) });
    await assert.rejects(loadModel(dir, { data: renamed }), /has item '1' at index 0, but this data has 'x1' there; load it with the dataset it was trained on/);
    const smaller = generateSynthetic({ numUsers: 29, numItems: 40, interactionsPerUser: 8, seed: 1 }).interactions;
    await assert.rejects(loadModel(dir, { data: smaller }), /was trained on 30 users x 40 items, but this data has 29 x 40/);
    // Same ids, another split: the fingerprint tells.
    const other = leaveOneOut(generateSynthetic({ numUsers: 30, numItems: 40, interactionsPerUser: 8, seed: 2 }).interactions).train;
    assert.throws(() => checkTrainingData(dir, info, other), /another dataset version, split or seed/);
    checkTrainingData(dir, info, train);
    model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("save, load and fit again resume exactly: optimiser state and epoch count travel with the model", async () => {
  await initBackend({ backend: "cpu" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-lab-io-"));
  try {
    const data = generateSynthetic({ numUsers: 40, numItems: 50, interactionsPerUser: 10, seed: 3 });
    const { train } = leaveOneOut(data.interactions);
    const source = implicitBatches(train, { batchSize: 64 });
    const make = () => new NeuMF({ numUsers: train.numUsers, numItems: train.numItems, factors: 4, layers: [8, 4], seed: 2 });
    const straight = make();
    await fit(straight, source, { epochs: 4, optimizer: { learningRate: 0.01 }, progress: false });
    const first = make();
    await fit(first, source, { epochs: 2, optimizer: { learningRate: 0.01 }, progress: false });
    await saveModel(first, dir, { train });
    first.dispose();
    const resumed = await loadModel(dir, { data: train });
    assert.equal(resumed.epochsTrained, 2);
    assert.equal(resumed.optimizer!.iterations, 2 * source.batchesPerEpoch!);
    const h = await fit(resumed, source, { epochs: 2, optimizer: { learningRate: 0.01 }, progress: false });
    assert.deepEqual(h.epochs.map((e) => e.epoch), [3, 4]);
    const want = straight.getWeights();
    for (const [name, w] of resumed.getWeights()) assert.deepEqual(Array.from(w.values), Array.from(want.get(name)!.values), name);
    straight.dispose();
    resumed.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("custom classes are registered for save and load; a tf.layers model saves with its topology", async () => {
  await initBackend({ backend: "cpu" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-lab-io-"));
  try {
    const build = (settings: { dim: number }, seed = 0) =>
      new AutodiffModel({
        name: "Dot",
        numUsers: NU,
        numItems: NI,
        seed,
        settings,
        weights: { u: embeddingWeight(NU, settings.dim, 0.3), i: embeddingWeight(NI, settings.dim, 0.3) },
        forward: (w, b) => tf.sum(tf.mul(embeddingLookup(w.u!, b.userIds), embeddingLookup(w.i!, b.itemIds)), 1),
      });
    const dot = build({ dim: 3 }, 5);
    await assert.rejects(saveModel(dot, path.join(dir, "dot")), /no factory is registered for class 'Dot'.*registerModelClass\('Dot'/);
    registerModelClass("Dot", (config, weights) => {
      const model = build(config.settings as { dim: number }, config.seed as number);
      model.setWeights(weights);
      return model;
    });
    await saveModel(dot, path.join(dir, "dot"));
    const u = Int32Array.of(0, 3, 8);
    const i = Int32Array.of(10, 2, 0);
    const back = await loadModel(path.join(dir, "dot"));
    assert.deepEqual(Array.from(await back.score(u, i)), Array.from(await dot.score(u, i)));
    back.dispose();
    dot.dispose();

    const user = tf.input({ shape: [1], dtype: "int32" });
    const item = tf.input({ shape: [1], dtype: "int32" });
    const eu = tf.layers.flatten().apply(recsysEmbedding({ inputDim: NU, outputDim: 4, name: "user_emb" }).apply(user)) as tf.SymbolicTensor;
    const ei = tf.layers.flatten().apply(recsysEmbedding({ inputDim: NI, outputDim: 4, name: "item_emb" }).apply(item)) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 1 }).apply(tf.layers.concatenate().apply([eu, ei])) as tf.SymbolicTensor;
    const layered = fromLayersModel(tf.model({ inputs: [user, item], outputs: out }), { numUsers: NU, numItems: NI, seed: 1 });
    layered.compile({ loss: "bce", optimizer: { learningRate: 0.1 } });
    layered.trainStep({ users: u, items: i, labels: Float32Array.of(1, 0, 1) });
    await saveModel(layered, path.join(dir, "layers"));
    const again = await loadModel(path.join(dir, "layers"));
    assert.equal(again.className, "LayersModel");
    assert.deepEqual(Array.from(await again.score(u, i)), Array.from(await layered.score(u, i)));
    again.dispose();
    layered.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed save leaves the previous model in place; a manifest whose lengths disagree with the shapes is refused", async () => {
  await initBackend({ backend: "cpu" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-lab-io-"));
  const where = path.join(dir, "model");
  const original = fs.promises.writeFile;
  try {
    const a = new MF({ numUsers: 4, numItems: 5, factors: 2, seed: 1 });
    const b = new MF({ numUsers: 4, numItems: 5, factors: 2, seed: 2 });
    await saveModel(a, where);
    // A disk that fills up while weights.bin is written (fault injected into the real file system calls).
    fs.promises.writeFile = (async (file: fs.PathLike, ...rest: unknown[]) => {
      if (String(file).endsWith("weights.bin")) throw new Error("ENOSPC: no space left on device");
      return (original as (...args: unknown[]) => Promise<void>)(file, ...rest);
    }) as typeof fs.promises.writeFile;
    await assert.rejects(saveModel(b, where), /ENOSPC/);
    fs.promises.writeFile = original;
    assert.deepEqual(fs.readdirSync(dir), ["model"], "no temporary folder left behind");
    const loaded = await loadModel(where);
    const u = Int32Array.of(0, 1, 3);
    const i = Int32Array.of(4, 0, 2);
    assert.deepEqual(Array.from(await loaded.score(u, i)), Array.from(await a.score(u, i)), "the previous model is intact");
    loaded.dispose();
    const manifestFile = path.join(where, "weights.json");
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as { name: string; shape: number[]; length: number }[];
    manifest[0]!.shape = [3, 2];
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    await assert.rejects(loadModel(where), /weights.json says 'mf.factors' has shape \[3, 2\] but 18 values; the manifest is corrupt/);
    a.dispose();
    b.dispose();
  } finally {
    fs.promises.writeFile = original;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function columnsOf(x: Interactions) {
  return { users: x.users, items: x.items, numUsers: x.numUsers, numItems: x.numItems, userIds: x.userIds, itemIds: x.itemIds, timestamps: x.timestamps };
}
