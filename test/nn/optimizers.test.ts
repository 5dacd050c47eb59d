/** The packed optimisers against tf.train.* (same update rules), with weight decay and joint gradients. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { ParamStore, PACK_LIMIT, jointKey, type ParamSpec, type GradMap } from "../../lib/nn/params";
import { Optimizer, resolveOptimizerOptions } from "../../lib/nn/optimizers";
import { Rng } from "../../lib/random";

const SPECS: ParamSpec[] = [
  { name: "table", shape: [200, 100], group: "embedding", init: { kind: "normal", std: 0.1 } }, // 20000 >= PACK_LIMIT
  { name: "kernel", shape: [3, 4], group: "dense", init: { kind: "uniform", limit: 0.5 } },
  { name: "bias", shape: [4], group: "dense", init: { kind: "uniform", limit: 0.5 } },
  { name: "out", shape: [2], group: "dense", init: { kind: "uniform", limit: 0.5 } },
];

function gradients(rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of SPECS) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    // Sparse-ish table gradient (most rows untouched), dense small gradients.
    out.set(s.name, Float32Array.from({ length: n }, (_, k) => (s.name === "table" && Math.floor(k / 100) % 3 !== 0 ? 0 : rng.normal())));
  }
  return out;
}

async function compare(name: "adam" | "adagrad" | "sgd", reference: tf.Optimizer, options: { learningRate: number; epsilon?: number; beta1?: number; beta2?: number }, decay: Record<string, number>) {
  const store = new ParamStore(SPECS, new Rng(1));
  assert.deepEqual(store.packedNames, ["kernel", "bias", "out"]);
  assert.ok(!store.isPacked("table") && 200 * 100 >= PACK_LIMIT);
  const vars = new Map(SPECS.map((s) => [s.name, tf.variable(store.get(s.name).clone())]));
  const ours = new Optimizer({ name, ...options });
  const rng = new Rng(2);
  for (let step = 0; step < 6; step++) {
    const g = gradients(rng);
    const grads: GradMap = new Map();
    // The kernel and bias gradients arrive as one joint entry, as the NCF backward pass gives them.
    grads.set("table", tf.tensor(g.get("table")!, [200, 100]));
    grads.set(jointKey(["kernel", "bias"]), tf.tensor([...g.get("kernel")!, ...g.get("bias")!], [4, 4]));
    grads.set("out", tf.tensor(g.get("out")!, [2]));
    ours.step(store, grads, (n) => decay[n] ?? 0);
    for (const t of grads.values()) t.dispose();
    // Reference: PyTorch-style coupled weight decay, then tf.train.*.
    const refGrads: tf.NamedTensorMap = {};
    for (const s of SPECS) {
      const v = vars.get(s.name)!;
      refGrads[v.name] = tf.tidy(() => tf.add(tf.tensor(g.get(s.name)!, [...s.shape]), tf.mul(v, decay[s.name] ?? 0)));
    }
    reference.applyGradients(refGrads);
    tf.dispose(Object.values(refGrads));
  }
  for (const s of SPECS) {
    const a = store.get(s.name).dataSync();
    const b = vars.get(s.name)!.dataSync();
    let worst = 0;
    for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
    assert.ok(worst < 2e-6, `${name}: ${s.name} differs from tf.train.${name} by ${worst}`);
  }
  assert.equal(ours.iterations, 6);
  ours.dispose();
  store.dispose();
  for (const v of vars.values()) v.dispose();
  reference.dispose();
}

test("Adam matches tf.train.adam (bias-corrected), with per-group L2 weight decay", async () => {
  await initBackend({ backend: "cpu" });
  await compare("adam", tf.train.adam(0.01, 0.9, 0.999, 1e-8), { learningRate: 0.01, epsilon: 1e-8 }, {});
  await compare("adam", tf.train.adam(0.01, 0.9, 0.999, 1e-8), { learningRate: 0.01, epsilon: 1e-8 }, { table: 0.01, kernel: 0.1, bias: 0.1, out: 0.1 });
  await compare("adam", tf.train.adam(0.003, 0.8, 0.99, 1e-6), { learningRate: 0.003, epsilon: 1e-6, beta1: 0.8, beta2: 0.99 }, { kernel: 0.5 });
});

test("Adam with non-default betas matches tf.train.adam", async () => {
  await initBackend({ backend: "cpu" });
  const ours = { learningRate: 0.02, epsilon: 1e-7 };
  const store = new ParamStore(SPECS.slice(1), new Rng(3));
  const v = tf.variable(store.getPacked().clone());
  const opt = new Optimizer({ name: "adam", beta1: 0.5, beta2: 0.75, ...ours });
  const ref = tf.train.adam(0.02, 0.5, 0.75, 1e-7);
  const rng = new Rng(4);
  for (let s = 0; s < 5; s++) {
    const g = Float32Array.from({ length: store.packedSize }, () => rng.normal());
    const grads: GradMap = new Map([[jointKey(["kernel", "bias", "out"]), tf.tensor1d(g)]]);
    opt.step(store, grads, () => 0);
    grads.forEach((t) => t.dispose());
    const gt = tf.tensor1d(g);
    ref.applyGradients([{ name: v.name, tensor: gt }]);
    gt.dispose();
  }
  const a = store.getPacked().dataSync();
  const b = v.dataSync();
  for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k]! - b[k]!) < 2e-6, `${a[k]} vs ${b[k]}`);
  opt.dispose();
  store.dispose();
  v.dispose();
});

test("Adagrad matches tf.train.adagrad and SGD matches tf.train.sgd", async () => {
  await initBackend({ backend: "cpu" });
  await compare("adagrad", tf.train.adagrad(0.05, 0.1), { learningRate: 0.05 }, {});
  await compare("sgd", tf.train.sgd(0.05), { learningRate: 0.05 }, { kernel: 0.2, table: 0.01 });
});

test("optimizer options: defaults and checks", () => {
  assert.deepEqual(resolveOptimizerOptions(), {
    name: "adam",
    learningRate: 0.001,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    initialAccumulatorValue: 0.1,
    weightDecay: { embedding: 0, dense: 0 },
  });
  assert.equal(resolveOptimizerOptions({ name: "adagrad" }).epsilon, 1e-7);
  assert.deepEqual(resolveOptimizerOptions({ name: "adamw" }).weightDecay, { embedding: 0.01, dense: 0.01 });
  assert.deepEqual(resolveOptimizerOptions({ name: "adamw", weightDecay: { dense: 0.1 } }).weightDecay, { embedding: 0, dense: 0.1 });
  assert.throws(() => resolveOptimizerOptions({ name: "adam", weightDecay: 0.1 }), /weightDecay \(decoupled\) applies to 'adamw' only; for coupled L2 set the model's embeddingL2/);
  assert.throws(() => resolveOptimizerOptions({ name: "adamw", weightDecay: -1 }), /weightDecay \(embedding\) must be a number >= 0, got -1/);
  assert.throws(() => resolveOptimizerOptions({ lr: 0.1 } as never), /unknown option 'lr'/);
  assert.throws(() => resolveOptimizerOptions({ name: "rmsprop" as never }), /unknown optimizer 'rmsprop'. Valid: adam, adamw, adagrad, sgd/);
  assert.throws(() => resolveOptimizerOptions({ learningRate: 0 }), /learningRate must be a positive number, got 0/);
  assert.throws(() => resolveOptimizerOptions({ beta1: 1 }), /beta1 must be in \[0, 1\), got 1/);
});

test("an optimizer refuses a second model and a missing gradient", async () => {
  await initBackend({ backend: "cpu" });
  const a = new ParamStore(SPECS.slice(1), new Rng(1));
  const b = new ParamStore(SPECS.slice(1), new Rng(1));
  const opt = new Optimizer();
  const grads: GradMap = new Map([[jointKey(["kernel", "bias", "out"]), tf.zeros([18])]]);
  opt.step(a, grads, () => 0);
  assert.throws(() => opt.step(b, grads, () => 0), /already holds state for another model/);
  opt.reset();
  assert.throws(() => opt.step(b, new Map([["kernel", tf.zeros([3, 4])]]), () => 0), /no gradient for weight 'bias'/);
  opt.dispose();
  a.dispose();
  b.dispose();
});

/** PyTorch's AdamW in float64: w <- w (1 - lr lambda), then the bias-corrected Adam step. */
function adamwReference(w0: Float64Array, grads: Float64Array[], lr: number, lambda: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): Float64Array {
  const w = Float64Array.from(w0);
  const m = new Float64Array(w.length);
  const v = new Float64Array(w.length);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let k = 0; k < w.length; k++) {
      w[k]! *= 1 - lr * lambda;
      m[k] = b1 * m[k]! + (1 - b1) * g[k]!;
      v[k] = b2 * v[k]! + (1 - b2) * g[k]! * g[k]!;
      w[k]! -= (lr * (m[k]! / (1 - b1 ** t))) / (Math.sqrt(v[k]! / (1 - b2 ** t)) + eps);
    }
  });
  return w;
}

for (const backend of ["cpu", "wasm"] as const) {
  test(`AdamW (decoupled weight decay) matches PyTorch's update rule, per group (${backend})`, async () => {
    await initBackend({ backend });
    const store = new ParamStore(SPECS, new Rng(5));
    const start = new Map(SPECS.map((s) => [s.name, Float64Array.from(store.get(s.name).dataSync())]));
    const opt = new Optimizer({ name: "adamw", learningRate: 0.05, weightDecay: { embedding: 0.5, dense: 0.1 } });
    const rng = new Rng(6);
    const steps: Map<string, Float32Array>[] = [];
    for (let s = 0; s < 5; s++) {
      const g = gradients(rng);
      steps.push(g);
      const grads: GradMap = new Map(SPECS.map((p) => [p.name, tf.tensor(g.get(p.name)!, [...p.shape])]));
      opt.step(store, grads, () => 0);
      grads.forEach((t) => t.dispose());
    }
    for (const spec of SPECS) {
      const lambda = spec.group === "embedding" ? 0.5 : 0.1;
      const want = adamwReference(start.get(spec.name)!, steps.map((g) => Float64Array.from(g.get(spec.name)!)), 0.05, lambda);
      const got = store.get(spec.name).dataSync();
      let worst = 0;
      for (let k = 0; k < got.length; k++) worst = Math.max(worst, Math.abs(got[k]! - want[k]!));
      assert.ok(worst < 2e-6, `adamw ${spec.name}: off by ${worst}`);
    }
    // The decay is really there: without it the weights end elsewhere.
    const plain = adamwReference(start.get("kernel")!, steps.map((g) => Float64Array.from(g.get("kernel")!)), 0.05, 0);
    assert.ok(Math.abs(plain[0]! - store.get("kernel").dataSync()[0]!) > 1e-4);
    opt.dispose();
    store.dispose();
  });
}

test("optimizer state saved after some steps and put into a new optimizer continues exactly", async () => {
  await initBackend({ backend: "cpu" });
  const rng = new Rng(7);
  const g = Array.from({ length: 6 }, () => gradients(rng));
  const run = (store: ParamStore, opt: Optimizer, from: number, to: number) => {
    for (let s = from; s < to; s++) {
      const grads: GradMap = new Map(SPECS.map((p) => [p.name, tf.tensor(g[s]!.get(p.name)!, [...p.shape])]));
      opt.step(store, grads, (n) => (n === "table" ? 0.01 : 0));
      grads.forEach((t) => t.dispose());
    }
  };
  for (const name of ["adam", "adagrad", "adamw"] as const) {
    const straight = new ParamStore(SPECS, new Rng(8));
    const a = new Optimizer({ name, learningRate: 0.01 });
    run(straight, a, 0, 6);
    const first = new ParamStore(SPECS, new Rng(8));
    const b = new Optimizer({ name, learningRate: 0.01 });
    run(first, b, 0, 3);
    const state = b.getState();
    assert.equal(state.iterations, 3);
    const resumed = new ParamStore(SPECS, new Rng(99), first.snapshot());
    const c = new Optimizer({ name, learningRate: 0.01 });
    c.setState(state);
    run(resumed, c, 3, 6);
    assert.equal(c.iterations, 6);
    for (const spec of SPECS) assert.deepEqual(resumed.get(spec.name).dataSync(), straight.get(spec.name).dataSync(), `${name}: ${spec.name}`);
    assert.throws(() => new Optimizer({ name, learningRate: 0.02 }).setState(state), /the saved state is for/);
    for (const x of [straight, first, resumed]) x.dispose();
    for (const x of [a, b, c]) x.dispose();
  }
});
