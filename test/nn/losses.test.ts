/** Each loss's value and its own gradient against the formula and against tf autodiff; stability at large logits. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { LOSSES, getLoss } from "../../lib/nn/losses";

const Z = [-120, -30, -3, -0.5, 0, 0.7, 4, 35, 150];
const Y = [0, 1, 1, 0, 1, 0, 1, 0, 1];
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const expected = {
  bce: { value: (z: number, y: number) => softplus(z) - y * z, grad: (z: number, y: number) => sigmoid(z) - y },
  bpr: { value: (z: number) => softplus(-z), grad: (z: number) => sigmoid(z) - 1 },
  mse: { value: (z: number, y: number) => (z - y) ** 2, grad: (z: number, y: number) => 2 * (z - y) },
};

for (const backend of ["cpu", "wasm"] as const) {
  test(`losses match their formulas, finite at large logits, gradient = autodiff (${backend})`, async () => {
    await initBackend({ backend });
    for (const loss of Object.values(LOSSES)) {
      if (loss.inBatch) continue; // the in-batch softmax is tested in test/models/two-tower.test.ts
      const z = tf.tensor2d(Z, [Z.length, 1]);
      const y = tf.tensor2d(Y, [Y.length, 1]);
      const value = loss.value(z, y).dataSync();
      const grad = loss.gradient(z, y).dataSync();
      const auto = tf.grad((t: tf.Tensor) => tf.sum(loss.value(t, y)))(z).dataSync();
      for (let k = 0; k < Z.length; k++) {
        const formula = expected[loss.name as keyof typeof expected];
        const v = formula.value(Z[k]!, Y[k]!);
        const g = formula.grad(Z[k]!, Y[k]!);
        assert.ok(Number.isFinite(value[k]!), `${loss.name}(${Z[k]}) is finite`);
        assert.ok(Math.abs(value[k]! - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${loss.name} value at z=${Z[k]}: ${value[k]} vs ${v}`);
        assert.ok(Math.abs(grad[k]! - g) <= 1e-6 * Math.max(1, Math.abs(g)), `${loss.name} gradient at z=${Z[k]}: ${grad[k]} vs ${g}`);
        if (Math.abs(Z[k]!) < 20) assert.ok(Math.abs(auto[k]! - g) <= 1e-5 * Math.max(1, Math.abs(g)), `${loss.name} autodiff at z=${Z[k]}`);
      }
      tf.dispose([z, y]);
    }
  });
}

test("losses are chosen by name and cite their source", () => {
  assert.deepEqual(Object.keys(LOSSES), ["bce", "bpr", "mse", "softmax"]);
  assert.equal(getLoss("softmax").inBatch, true);
  assert.throws(() => getLoss("softmax").value(tf.zeros([1, 1]), tf.zeros([1, 1])), /computed by a two-tower model from its towers/);
  for (const l of Object.values(LOSSES)) assert.match(l.reference, /\d{4}/);
  assert.equal(getLoss("bpr").pairwise, true);
  assert.throws(() => getLoss("log"), /unknown loss 'log'. Valid: bce, bpr, mse, softmax/);
});
