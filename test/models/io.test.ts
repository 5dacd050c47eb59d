/** Model options (defaults, round trip, validation) and save/load. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../lib/backend";
import { MF, GMF, MLP, NeuMF, saveModel, loadModel, resolveNeuMFOptions, resolveMFOptions } from "../../lib/models";
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
      await saveModel(model, where);
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
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ format: "recsys-lab-model", version: 1, className: "Wide" }));
    await assert.rejects(loadModel(dir), /unknown model class 'Wide'. Valid: MF, GMF, MLP, NeuMF/);
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
