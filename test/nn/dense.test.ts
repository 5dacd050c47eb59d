/** dense(): forward and its own gradient against TensorFlow.js's autodiff of the plain ops, on cpu and wasm. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { dense, denseWeights } from "../../lib/nn/dense";
import { Rng } from "../../lib/random";

const random = (shape: number[], seed: number) => {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
};

for (const backend of ["cpu", "wasm"] as const) {
  test(`dense (relu and linear) matches tf ops and their autodiff gradients (${backend})`, async () => {
    await initBackend({ backend });
    // 37 rows (not a multiple of 4 or 16), 12 -> 8 units: the SIMD weight-gradient kernel's shapes on wasm.
    const x = random([37, 12], 1);
    const w = random([12, 8], 2);
    const b = random([8], 3);
    const g = random([37, 8], 4); // an arbitrary upstream gradient
    for (const activation of ["relu", "linear"] as const) {
      const ours = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.sum(tf.mul(dense(xs, ws, bs, activation), g));
      const ref = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => {
        const z = tf.add(tf.matMul(xs as tf.Tensor2D, ws as tf.Tensor2D), bs);
        return tf.sum(tf.mul(activation === "relu" ? tf.relu(z) : z, g));
      };
      const a = tf.grads(ours)([x, w, b]);
      const r = tf.grads(ref)([x, w, b]);
      assert.ok(Math.abs(ours(x, w, b).dataSync()[0]! - ref(x, w, b).dataSync()[0]!) < 1e-3);
      ["x", "kernel", "bias"].forEach((name, k) => {
        const got = a[k]!.dataSync();
        const want = r[k]!.dataSync();
        for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)), `${activation} d${name}[${i}] ${got[i]} vs ${want[i]}`);
      });
    }
    assert.throws(() => dense(x, random([11, 8], 5), b), /x \[37, 12\] and kernel \[11, 8\] do not chain/);
    assert.throws(() => dense(x, w, random([7], 6)), /bias must be \[8\], got \[7\]/);
  });
}

test("denseWeights: PyTorch nn.Linear's initialisation bounds", () => {
  const { kernel, bias } = denseWeights(16, 4);
  assert.deepEqual(kernel, { shape: [16, 4], group: "dense", init: { kind: "uniform", limit: 0.25 } });
  assert.deepEqual(bias, { shape: [4], group: "dense", init: { kind: "uniform", limit: 0.25 } });
});
