/**
 * The factored first layer's kernels (lib/nn/kernels/pair-rows.ts, small-matrix.ts, splitWeightGradient) against
 * the tf ops they stand for, on wasm.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { gatherTwo, pairScatterAdd, pairSumRelu, scatterAddTwo } from "../../lib/nn/kernels/pair-rows";
import { splitHalves, transposeSmall } from "../../lib/nn/kernels/small-matrix";
import { splitWeightGradient } from "../../lib/nn/kernels/weight-grad";
import { Rng } from "../../lib/random";

function rand(shape: number[], rng: Rng): tf.Tensor2D {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape as [number, number]) as tf.Tensor2D;
}
const same = (a: tf.Tensor, b: tf.Tensor, what: string) => assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), what);
const column = (ids: Int32Array, c: number) => tf.tensor2d(Int32Array.from({ length: ids.length / 2 }, (_, r) => ids[2 * r + c]!), [ids.length / 2, 1], "int32");

test("pairSumRelu is relu(users[u] + items[i] + bias) and pairScatterAdd sums each pair's row into both tables, bit for bit", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(1);
  for (const w of [4, 8, 32]) {
    const nu = 5;
    const ni = 7;
    const rows = 23;
    // Repeated ids, so several pairs share a row in both directions.
    const ids = Int32Array.from({ length: 2 * rows }, (_, k) => (k % 2 ? rng.int(ni) : rng.int(nu)));
    const idT = tf.tensor2d(ids, [rows, 2], "int32");
    const users = rand([nu, w], rng);
    const items = rand([ni, w], rng);
    const bias = tf.tensor1d(Float32Array.from({ length: w }, () => rng.normal()));
    const want = tf.relu(tf.add(tf.add(tf.gatherND(users, column(ids, 0)), tf.gatherND(items, column(ids, 1))), bias));
    same(pairSumRelu(users, items, idT, bias)!, want, `forward w=${w}`);
    // Some outputs are cut by the relu and some are not: the check covers both sides.
    const h = want.dataSync();
    assert.ok(h.some((v) => v === 0) && h.some((v) => v > 0), "relu cuts some values");

    const dA = rand([rows, w], rng);
    const [du, di] = pairScatterAdd(idT, dA, nu, ni)!;
    same(du!, tf.scatterND(column(ids, 0), dA, [nu, w]), `users' sums w=${w}`);
    same(di!, tf.scatterND(column(ids, 1), dA, [ni, w]), `items' sums w=${w}`);
  }
});

test("splitWeightGradient stacks both groups' weight gradients and the bias gradient", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(2);
  for (const [m, n] of [[3, 4], [8, 8], [32, 32]] as const) {
    const a1 = rand([9, m], rng);
    const dz1 = rand([9, n], rng);
    const a2 = rand([13, m], rng);
    const dz2 = rand([13, n], rng);
    const got = splitWeightGradient(a1, dz1, a2, dz2)!;
    assert.deepEqual(got.shape, [2 * m + 1, n]);
    const want = tf.concat([tf.matMul(a1, dz1, true), tf.matMul(a2, dz2, true), tf.sum(dz2, 0, true)], 0).dataSync();
    const g = got.dataSync();
    for (let k = 0; k < g.length; k++) assert.ok(Math.abs(g[k]! - want[k]!) <= 1e-5 * (1 + Math.abs(want[k]!)), `m=${m} n=${n} [${k}]: ${g[k]} vs ${want[k]}`);
  }
  // Widths that are not a multiple of 4 are refused (the caller keeps the per-pair layer).
  assert.equal(splitWeightGradient(rand([2, 3], rng), rand([2, 6], rng), rand([2, 3], rng), rand([2, 6], rng)), null);
});

test("the pair kernels decline widths that are not a multiple of 4", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(3);
  const ids = tf.tensor2d([0, 0, 1, 1], [2, 2], "int32");
  assert.equal(pairSumRelu(rand([2, 6], rng), rand([2, 6], rng), ids, tf.zeros([6])), null);
  assert.equal(pairScatterAdd(ids, rand([2, 6], rng), 2, 2), null);
});

test("gatherTwo and scatterAddTwo equal gathers and a scatter over the two blocks of ids, bit for bit", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(4);
  for (const d of [3, 8, 32]) {
    const table = rand([12, d], rng);
    const idList = Int32Array.from({ length: 11 }, () => rng.int(12));
    const ids = tf.tensor1d(idList, "int32");
    const [a, b] = gatherTwo(table, ids, 4)!;
    same(a!, tf.gatherND(table, tf.tensor2d(idList.slice(0, 4), [4, 1], "int32")), `first block d=${d}`);
    same(b!, tf.gatherND(table, tf.tensor2d(idList.slice(4), [7, 1], "int32")), `second block d=${d}`);
    const ra = rand([4, d], rng);
    const rb = rand([7, d], rng);
    same(scatterAddTwo(ids, ra, rb, 12)!, tf.scatterND(tf.reshape(ids, [11, 1]), tf.concat([ra, rb], 0), [12, d]), `scatter d=${d}`);
  }
});

test("transposeSmall and splitHalves copy exactly what tf.transpose and tf.slice give", async () => {
  await initBackend({ backend: "wasm" });
  const rng = new Rng(5);
  for (const [r, c] of [[1, 1], [3, 5], [64, 32], [16, 8]] as const) {
    const w = rand([r, c], rng);
    same(transposeSmall(w)!, tf.transpose(w), `transpose ${r}x${c}`);
  }
  const w = rand([64, 32], rng);
  const [top, bottom, topT, bottomT] = splitHalves(w)!;
  same(top!, tf.slice(w, [0, 0], [32, 32]), "top half");
  same(bottom!, tf.slice(w, [32, 0], [32, 32]), "bottom half");
  same(topT!, tf.transpose(tf.slice(w, [0, 0], [32, 32])), "top half transposed");
  same(bottomT!, tf.transpose(tf.slice(w, [32, 0], [32, 32])), "bottom half transposed");
  assert.deepEqual(bottomT!.shape, [32, 32]);
  assert.equal(splitHalves(rand([3, 2], rng)), null, "an odd number of rows has no halves");
});
