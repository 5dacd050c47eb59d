/** The fused WebAssembly Adam kernel against the same update as tf ops: bit-identical, on wasm. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { adamModuleBytes, disableFusedAdam, fusedAdamStatus } from "../../lib/nn/kernels/adam";
import { Optimizer } from "../../lib/nn/optimizers";
import { ParamStore, jointKey, type GradMap, type ParamSpec } from "../../lib/nn/params";
import { NeuMF, MF } from "../../lib/models";
import { Rng } from "../../lib/random";

test("the assembled module is valid WebAssembly", () => {
  assert.ok((globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(adamModuleBytes()));
});

const SPECS: ParamSpec[] = [
  { name: "table", shape: [201, 101], group: "embedding", init: { kind: "normal", std: 0.1 } }, // odd size: SIMD body + scalar tail
  { name: "kernel", shape: [3, 5], group: "dense", init: { kind: "uniform", limit: 0.5 } },
  { name: "bias", shape: [5], group: "dense", init: { kind: "uniform", limit: 0.5 } },
];

function run(fused: boolean, decay: Record<string, number>): Map<string, Float32Array> {
  const old = disableFusedAdam(!fused);
  try {
    const store = new ParamStore(SPECS, new Rng(1));
    const opt = new Optimizer({ name: "adam", learningRate: 0.01 });
    const rng = new Rng(2);
    for (let s = 0; s < 7; s++) {
      const grads: GradMap = new Map();
      grads.set("table", tf.tensor(Float32Array.from({ length: 201 * 101 }, (_, k) => (k % 7 === 0 ? 0 : rng.normal())), [201, 101]));
      grads.set(jointKey(["kernel", "bias"]), tf.tensor(Float32Array.from({ length: 20 }, () => rng.normal()), [4, 5]));
      opt.step(store, grads, (n) => decay[n] ?? 0);
      grads.forEach((t) => t.dispose());
    }
    const out = new Map(SPECS.map((s) => [s.name, store.get(s.name).dataSync() as Float32Array]));
    opt.dispose();
    store.dispose();
    return out;
  } finally {
    disableFusedAdam(old);
  }
}

test("fused Adam equals the tf-op Adam bit for bit (no decay, scalar decay, per-element decay)", async () => {
  await initBackend({ backend: "wasm" });
  assert.deepEqual(fusedAdamStatus(), { available: true });
  for (const decay of [{}, { table: 0.01, kernel: 0.01, bias: 0.01 }, { table: 0.02, kernel: 0.1, bias: 0 }] as Record<string, number>[]) {
    const a = run(true, decay);
    const b = run(false, decay);
    for (const [name, values] of a) assert.deepEqual(Array.from(values), Array.from(b.get(name)!), `${name} with decay ${JSON.stringify(decay)}`);
  }
});

test("training with the fused kernel gives the same weights as without, and leaks nothing", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(3);
  const batches = Array.from({ length: 5 }, () => ({
    users: Int32Array.from({ length: 100 }, () => rng.int(30)),
    items: Int32Array.from({ length: 100 }, () => rng.int(40)),
    labels: Float32Array.from({ length: 100 }, () => rng.int(2)),
  }));
  for (const make of [() => new NeuMF({ numUsers: 30, numItems: 40, layers: [16, 8], denseL2: 0.01 }), () => new MF({ numUsers: 30, numItems: 40, embeddingL2: 0.001 })]) {
    const weights = [true, false].map((fused) => {
      const old = disableFusedAdam(!fused);
      try {
        const model = make();
        model.compile({ optimizer: { learningRate: 0.01 } });
        for (const b of batches) model.trainStep(b);
        const before = tf.memory().numTensors;
        for (const b of batches) model.trainStep(b);
        model.takeLoss();
        model.trainStep(batches[0]!);
        model.takeLoss();
        assert.ok(tf.memory().numTensors <= before, "no growth");
        const w = model.getWeights();
        model.dispose();
        return w;
      } finally {
        disableFusedAdam(old);
      }
    });
    for (const [name, w] of weights[0]!) assert.deepEqual(Array.from(w.values), Array.from(weights[1]!.get(name)!.values), name);
  }
});

test("on other backends the tf-op path runs and says why", async () => {
  await initBackend({ backend: "cpu" });
  const s = fusedAdamStatus();
  assert.equal(s.available, false);
  assert.match(s.reason!, /backend is cpu, not wasm/);
});
