/** The row kernels (lib/nn/kernels/rows.ts) against the tf ops they replace: bit-identical on wasm. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { gatherRows, scatterAddRows, pairProductGrad, reluGrad, outputGradient, disableRowKernels } from "../../lib/nn/kernels/rows";
import { Rng } from "../../lib/random";

function rand(shape: number[], rng: Rng): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}
const same = (a: tf.Tensor, b: tf.Tensor, what: string) => assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), what);

test("gatherRows and scatterAddRows equal gatherND and scatterND bit for bit (repeated ids, odd widths)", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(1);
  for (const d of [1, 3, 4, 8, 13, 32]) {
    const table = rand([11, d], rng) as tf.Tensor2D;
    const ids = tf.tensor2d(Int32Array.from({ length: 2 * 9 }, () => rng.int(11)), [9, 2], "int32");
    const got = gatherRows(table, ids)!;
    same(got, tf.reshape(tf.gatherND(table, tf.reshape(ids, [9, 2, 1])), [18, d]), `gather d=${d}`);
    const rows = rand([9, 2, d], rng);
    const sc = scatterAddRows(ids, rows, 11)!;
    same(sc, tf.scatterND(tf.reshape(ids, [9, 2, 1]), rows, [11, d]), `scatter d=${d}`);
  }
});

test("pairProductGrad equals the tf-op GMF and MF backward bit for bit", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(2);
  for (const d of [4, 8, 32]) {
    const numRows = 13;
    const pairs = Int32Array.from({ length: 2 * 50 }, (_, k) => (k % 2 ? 5 + rng.int(8) : rng.int(5)));
    const ids = tf.tensor2d(pairs, [50, 2], "int32");
    const swapped = tf.tensor3d(Int32Array.from(pairs, (_, k) => pairs[k % 2 ? k - 1 : k + 1]!), [50, 2, 1], "int32");
    const table = rand([numRows, d], rng) as tf.Tensor2D;
    const u = tf.gatherND(table, tf.reshape(tf.tensor1d(Int32Array.from({ length: 50 }, (_, b) => pairs[2 * b]!), "int32"), [50, 1])) as tf.Tensor2D;
    const v = tf.gatherND(table, tf.reshape(tf.tensor1d(Int32Array.from({ length: 50 }, (_, b) => pairs[2 * b + 1]!), "int32"), [50, 1])) as tf.Tensor2D;
    const dz = rand([50, 1], rng);
    const w = rand([d, 1], rng);
    const partner = tf.gatherND(table, swapped);
    const ref = (weighted: boolean) => {
      const s = weighted ? tf.mul(dz, tf.reshape(w, [1, d])) : dz;
      return tf.scatterND(tf.reshape(ids, [50, 2, 1]), tf.mul(tf.reshape(s, [50, 1, weighted ? d : 1]), partner), [numRows, d]);
    };
    same(pairProductGrad(ids, u, v, dz, w, numRows)!, ref(true), `weighted d=${d}`);
    same(pairProductGrad(ids, u, v, dz, null, numRows)!, ref(false), `unweighted d=${d}`);
  }
});

test("reluGrad is dh where h > 0 (all sizes, including a scalar tail)", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(3);
  for (const n of [1, 4, 7, 33, 1000]) {
    const dh = rand([n], rng);
    const h = tf.relu(rand([n], rng));
    const got = reluGrad(dh, h)!.dataSync();
    const want = tf.mul(dh, tf.step(h)).dataSync();
    for (let k = 0; k < n; k++) assert.ok(got[k] === want[k] || (got[k] === 0 && want[k] === 0), `n=${n} [${k}]: ${got[k]} vs ${want[k]}`);
  }
});

test("outputGradient equals [t_1^T; t_2^T; 1] dz", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(4);
  for (const [rows, widths] of [[1, [4]], [37, [8, 8]], [300, [4, 12, 8]]] as const) {
    const terms = widths.map((w) => rand([rows, w], rng) as tf.Tensor2D);
    const dz = rand([rows, 1], rng) as tf.Tensor2D;
    const got = outputGradient(terms, dz)!.dataSync();
    const want = tf.matMul(tf.concat([...terms.map((t) => tf.transpose(t)), tf.ones([1, rows])], 0), dz).dataSync();
    assert.equal(got.length, want.length);
    for (let k = 0; k < got.length; k++) assert.ok(Math.abs(got[k]! - want[k]!) <= 1e-5 * (1 + Math.abs(want[k]!)), `${rows} ${widths}: [${k}] ${got[k]} vs ${want[k]}`);
  }
  assert.equal(outputGradient([rand([3, 6], rng) as tf.Tensor2D], rand([3, 1], rng) as tf.Tensor2D), null, "widths not /4 fall back");
});

test("off wasm, or when disabled, the kernels step aside (null)", async () => {
  await initBackend({ backend: "wasm" });
  const old = disableRowKernels(true);
  assert.equal(gatherRows(tf.zeros([2, 4]) as tf.Tensor2D, tf.zeros([1], "int32")), null);
  disableRowKernels(old);
  await initBackend({ backend: "cpu" });
  assert.equal(reluGrad(tf.zeros([4]), tf.zeros([4])), null);
});
