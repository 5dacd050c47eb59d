/** The WebAssembly kernels of lib/models/kernels against tf ops, and the wasm training path against cpu. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { validate } from "../../lib/nn/kernels/asm";
import { weightGradModuleBytes, weightGradient, disableWeightGradKernel } from "../../lib/nn/kernels/weight-grad";
import { NeuMF, MLP, MF } from "../../lib/models";
import { disableRowKernels } from "../../lib/nn/kernels/rows";
import { disableGlueKernels, pointwiseLoss } from "../../lib/nn/kernels/glue";
import { getLoss } from "../../lib/nn/losses";
import { Rng } from "../../lib/random";

function rand(rows: number, cols: number, rng: Rng): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
}

test("weight-gradient modules are valid WebAssembly for odd and even shapes", () => {
  for (const [m, n] of [[1, 4], [3, 8], [64, 32], [65, 12], [17, 40]]) {
    for (const ones of [true, false]) assert.ok(validate(weightGradModuleBytes(m!, n!, ones)), `${m}x${n} ones=${ones}`);
  }
});

test("[A | 1]^T dZ by the kernel equals transpose + concat + matMul (wasm)", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(1);
  for (const [rows, m, n] of [[1, 1, 4], [5, 3, 8], [70, 64, 32], [33, 7, 12], [129, 17, 40], [4, 2, 4]]) {
    const a = rand(rows!, m!, rng);
    const dz = rand(rows!, n!, rng);
    for (const ones of [true, false]) {
      const got = weightGradient(a, dz, ones);
      assert.ok(got, "the kernel applies on wasm");
      assert.deepEqual(got.shape, [m! + (ones ? 1 : 0), n!]);
      const at = tf.transpose(a);
      const want = tf.matMul(ones ? tf.concat([at, tf.ones([1, rows!])], 0) : at, dz);
      const x = got.dataSync();
      const y = want.dataSync();
      for (let k = 0; k < x.length; k++) assert.ok(Math.abs(x[k]! - y[k]!) <= 1e-5 * (1 + Math.abs(y[k]!)), `${rows}x${m}x${n}[${k}]: ${x[k]} vs ${y[k]}`);
      tf.dispose([got, at, want]);
    }
  }
  assert.equal(weightGradient(rand(4, 3, rng), rand(4, 6, rng), true), null, "n not a multiple of 4: caller falls back");
});

test("on wasm (padding, fused kernels) a model's loss and gradients equal the cpu ones", async () => {
  const rng = new Rng(2);
  const batch = {
    users: Int32Array.from({ length: 100 }, () => rng.int(20)),
    items: Int32Array.from({ length: 100 }, () => rng.int(30)),
    labels: Float32Array.from({ length: 100 }, () => rng.int(2)),
    negItems: Int32Array.from({ length: 100 }, () => rng.int(30)),
  };
  const results = [];
  for (const backend of ["cpu", "wasm"] as const) {
    await initBackend({ backend });
    for (const off of [false, true]) {
      if (backend === "cpu" && off) continue;
      disableWeightGradKernel(off);
      disableRowKernels(off);
      const model = new NeuMF({ numUsers: 20, numItems: 30, factors: 4, layers: [16, 8, 4], embeddingInitStd: 0.3, seed: 3 });
      const mlp = new MLP({ numUsers: 20, numItems: 30, layers: [10, 6], embeddingInitStd: 0.3, seed: 3 }); // widths not /4: tf-op path
      const mf = new MF({ numUsers: 20, numItems: 30, factors: 8, seed: 3 });
      const w = mf.getWeights();
      w.get("mf.bias")!.values.forEach((_, k, a) => (a[k] = Math.cos(k)));
      mf.setWeights(w);
      results.push({
        backend,
        off,
        neumf: model.lossAndGradients(batch, "bce"),
        neumfBpr: model.lossAndGradients(batch, "bpr"),
        mlp: mlp.lossAndGradients(batch, "bce"),
        mf: mf.lossAndGradients(batch, "bce"),
        mfBpr: mf.lossAndGradients(batch, "bpr"),
      });
      for (const m of [model, mlp, mf]) m.dispose();
      disableWeightGradKernel(false);
      disableRowKernels(false);
    }
  }
  const ref = results[0]!;
  for (const r of results.slice(1)) {
    for (const key of ["neumf", "neumfBpr", "mlp", "mf", "mfBpr"] as const) {
      assert.ok(Math.abs(r[key].loss - ref[key].loss) < 1e-6, `${key} loss on ${r.backend}`);
      for (const [name, g] of ref[key].grads) {
        const other = r[key].grads.get(name)!.values;
        for (let k = 0; k < g.values.length; k++) {
          assert.ok(Math.abs(other[k]! - g.values[k]!) <= 1e-6 + 1e-4 * Math.abs(g.values[k]!), `${key} ${name}[${k}] on ${r.backend}${r.off ? " (kernel off)" : ""}: ${other[k]} vs cpu ${g.values[k]}`);
        }
      }
    }
  }
});

test("the one-pass loss kernel matches the tf-op loss and gradient, also at large logits", async () => {
  await initBackend({ backend: "wasm" });
  const zs = [-90, -20, -3, -0.4, 0, 0.3, 2, 17, 80];
  const z = tf.tensor2d(zs, [zs.length, 1]);
  const y = tf.tensor2d(zs.map((_, k) => k % 2), [zs.length, 1]);
  const w = tf.fill([zs.length, 1], 1 / 7) as tf.Tensor2D;
  const mask = tf.tensor2d(zs.map((_, k) => (k < 7 ? 1 : 0)), [zs.length, 1]);
  for (const loss of ["bce", "bpr", "mse"] as const) {
    const [dz, total] = pointwiseLoss(z, y, w, mask, tf.fill([1, 1], 0.5), loss)!;
    const L = getLoss(loss);
    const refDz = tf.mul(L.gradient(z, y), w).dataSync();
    const refSum = 0.5 + tf.sum(tf.mul(mask, L.value(z, y))).dataSync()[0]!;
    const got = dz.dataSync();
    // float32 sigmoid(z) - 1 cancels for large z; the kernel works in double: compare with an absolute floor.
    for (let k = 0; k < zs.length; k++) assert.ok(Math.abs(got[k]! - refDz[k]!) <= 1e-7 + 1e-5 * Math.abs(refDz[k]!), `${loss} dz at z=${zs[k]}: ${got[k]} vs ${refDz[k]}`);
    assert.ok(Math.abs(total.dataSync()[0]! - refSum) <= 1e-5 * Math.max(1, refSum), `${loss} sum`);
  }
});

test("training steps on wasm with and without the glue kernels agree (losses, weights)", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(4);
  const batches = Array.from({ length: 4 }, () => ({
    users: Int32Array.from({ length: 100 }, () => rng.int(20)),
    items: Int32Array.from({ length: 100 }, () => rng.int(30)),
    labels: Float32Array.from({ length: 100 }, () => 1 + rng.int(5)),
    negItems: Int32Array.from({ length: 100 }, () => rng.int(30)),
  }));
  const binary = batches.map((b) => ({ ...b, labels: b.labels.map((v) => (v > 3 ? 1 : 0)) }));
  for (const [loss, data] of [["bce", binary], ["bpr", binary], ["mse", batches]] as const) {
    const runs = [false, true].map((off) => {
      const old = disableGlueKernels(off);
      try {
        const model = loss === "mse" ? new MF({ numUsers: 20, numItems: 30, factors: 8 }) : new NeuMF({ numUsers: 20, numItems: 30, factors: 4, layers: [16, 8] });
        // SGD: Adam's normalised step would turn float-noise gradients (sigmoid(z) - 1 for large z) into full steps.
        model.compile({ loss, optimizer: { name: "sgd", learningRate: 0.5 } });
        for (const b of data) model.trainStep(b);
        const result = { loss: model.takeLoss().loss, weights: model.getWeights() };
        model.dispose();
        return result;
      } finally {
        disableGlueKernels(old);
      }
    });
    assert.ok(Math.abs(runs[0]!.loss - runs[1]!.loss) < 1e-5 * Math.max(1, Math.abs(runs[1]!.loss)), `${loss}: loss ${runs[0]!.loss} vs ${runs[1]!.loss}`);
    for (const [name, w] of runs[1]!.weights) {
      const a = runs[0]!.weights.get(name)!.values;
      for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k]! - w.values[k]!) < 1e-5, `${loss}: ${name}[${k}] ${a[k]} vs ${w.values[k]}`);
    }
  }
});

test("with dropout, wasm and cpu give the same loss and gradients (same seed, same masks)", async () => {
  const rng = new Rng(5);
  const batch = {
    users: Int32Array.from({ length: 60 }, () => rng.int(20)), // < 64 rows: no padding, so both draw the same masks
    items: Int32Array.from({ length: 60 }, () => rng.int(30)),
    labels: Float32Array.from({ length: 60 }, () => rng.int(2)),
  };
  const results = [];
  for (const backend of ["cpu", "wasm"] as const) {
    await initBackend({ backend });
    const neumf = new NeuMF({ numUsers: 20, numItems: 30, factors: 4, layers: [16, 8, 4], embeddingInitStd: 0.3, seed: 6, embeddingDropout: 0.2, denseDropout: 0.3 });
    const mf = new MF({ numUsers: 20, numItems: 30, factors: 8, seed: 6, embeddingDropout: 0.25 });
    results.push({ neumf: neumf.lossAndGradients(batch, "bce"), mf: mf.lossAndGradients(batch, "bce") });
    neumf.dispose();
    mf.dispose();
  }
  for (const key of ["neumf", "mf"] as const) {
    const [cpu, wasm] = [results[0]![key], results[1]![key]];
    assert.ok(Math.abs(cpu.loss - wasm.loss) < 1e-6, key);
    for (const [name, g] of cpu.grads) {
      const other = wasm.grads.get(name)!.values;
      for (let k = 0; k < g.values.length; k++) assert.ok(Math.abs(other[k]! - g.values[k]!) <= 1e-6 + 1e-4 * Math.abs(g.values[k]!), `${key} ${name}[${k}]`);
    }
  }
});
