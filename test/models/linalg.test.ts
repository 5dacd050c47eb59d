/**
 * The float64 linear algebra behind EASE and iALS: Cholesky, solves and the blocked SPD inverse against answers
 * worked by hand (exact fractions) and against a naive Gauss-Jordan inverse; the SIMD kernel against its
 * JavaScript twin.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { choleskyInPlace, choleskySolveInPlace, spdSolveInPlace } from "../../lib/models/linalg";
import { blockedCholesky, spdInverse } from "../../lib/models/spd-inverse";
import { createF64Kernel, jsKernel } from "../../lib/models/f64-kernel";
import { Rng } from "../../lib/random";
import { assertNear as near, gaussJordanInverse } from "./dense-reference";

// The classic example: A = L L^T with L = [[2, 0, 0], [6, 1, 0], [-8, 5, 3]].
const A = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
// A^{-1} by exact fractions (Gauss-Jordan over the rationals).
const A_INV = [1777 / 36, -122 / 9, 19 / 9, -122 / 9, 34 / 9, -5 / 9, 19 / 9, -5 / 9, 1 / 9];

/** A random SPD matrix X^T X + lambda I from a random 0/1 matrix X (like EASE's Gram matrix). */
function randomGram(n: number, seed: number, lambda = 2): Float64Array {
  const rng = new Rng(seed);
  const g = new Float64Array(n * n);
  for (let u = 0; u < 3 * n; u++) {
    const items: number[] = [];
    for (let i = 0; i < n; i++) if (rng.next() < 0.3) items.push(i);
    for (const i of items) for (const j of items) g[i * n + j]!++;
  }
  for (let i = 0; i < n; i++) g[i * n + i]! += lambda;
  return g;
}

test("Cholesky of the textbook 3 x 3 example gives L = [[2,0,0],[6,1,0],[-8,5,3]], and solves A x = b", () => {
  const l = A.slice();
  choleskyInPlace(l, 3);
  near([l[0]!, l[3]!, l[4]!, l[6]!, l[7]!, l[8]!], [2, 6, 1, -8, 5, 3], 1e-14, "L");
  // x = (1, 2, 3): b = A x = (-20, -43, 192).
  const b = Float64Array.from([-20, -43, 192]);
  choleskySolveInPlace(l, 3, b);
  near(b, [1, 2, 3], 1e-12, "x");
  const b2 = Float64Array.from([-20, -43, 192]);
  spdSolveInPlace(A.slice(), 3, b2);
  near(b2, [1, 2, 3], 1e-12, "x (spdSolveInPlace)");
});

test("Cholesky refuses a matrix that is not positive definite, naming the pivot and the fix", () => {
  assert.throws(() => choleskyInPlace(Float64Array.from([1, 2, 2, 1]), 2, "test"), /test: the matrix is not positive definite \(pivot 1 is -3\); add regularisation/);
  assert.throws(() => spdInverse(Float64Array.from([1, 2, 2, 1]), 2, { where: "EASE" }), /EASE: the matrix is not positive definite \(pivot 1/);
  assert.throws(() => choleskyInPlace(new Float64Array(5), 2), /expected an n x n = 2 x 2/);
});

test("spdInverse: the exact inverse of the 3 x 3 example and of [[2,1],[1,2]], with either kernel", () => {
  for (const kernel of ["wasm", "js"] as const) {
    near(spdInverse(A, 3, { kernel }), A_INV, 1e-12, `A^-1 (${kernel})`);
    near(spdInverse(Float64Array.from([2, 1, 1, 2]), 2, { kernel }), [2 / 3, -1 / 3, -1 / 3, 2 / 3], 1e-15, `2 x 2 (${kernel})`);
  }
  assert.deepEqual(spdInverse(new Float64Array(0), 0), new Float64Array(0));
  // Only the lower triangle is read.
  const lowerOnly = A.slice();
  lowerOnly[1] = lowerOnly[2] = lowerOnly[5] = NaN;
  near(spdInverse(lowerOnly, 3), A_INV, 1e-12, "from the lower triangle");
});

test("spdInverse matches a naive Gauss-Jordan inverse across sizes, block sizes (padding, many blocks) and kernels", () => {
  for (const n of [1, 2, 5, 13, 37, 70]) {
    const g = randomGram(n, n);
    const ref = gaussJordanInverse(g, n);
    for (const kernel of ["wasm", "js"] as const) {
      for (const blockSize of [4, 8, 32]) near(spdInverse(g, n, { kernel, blockSize }), ref, 1e-11, `n ${n} ${kernel} block ${blockSize}`);
    }
  }
  assert.throws(() => spdInverse(A, 3, { blockSize: 6 }), /blockSize must be a positive multiple of 4, got 6/);
});

test("blockedCholesky gives the same factor as the unblocked loops", () => {
  const n = 24;
  const g = randomGram(n, 5);
  const ref = g.slice();
  choleskyInPlace(ref, n);
  const k = createF64Kernel(n * n);
  k.heap.set(g);
  blockedCholesky(k, 0, n, 8, "test");
  for (let i = 0; i < n; i++) near(k.heap.subarray(i * n, i * n + i + 1), ref.subarray(i * n, i * n + i + 1), 1e-13, `row ${i}`);
});

test("The SIMD kernel C -= A B^T agrees with the JavaScript one (offsets, strides, tile edges)", () => {
  const length = 4000;
  const wasm = createF64Kernel(length, "wasm");
  const js = jsKernel(new Float64Array(length));
  assert.equal(wasm.kind, "wasm");
  const rng = new Rng(9);
  for (let i = 0; i < length; i++) wasm.heap[i] = js.heap[i] = rng.normal();
  // A: 8 rows of stride 37 at 100; B: 6 rows of stride 41 at 600; C: 8 x 6 of stride 50 at 2000; length 14.
  for (const k of [wasm, js]) k.subNT(100, 600, 2000, 8, 6, 14, 37, 41, 50);
  near(wasm.heap, js.heap, 1e-13, "heap after subNT");
  // Brute force for one entry: C[3][5] changed by -sum_t A[3][t] B[5][t].
  const before = new Float64Array(length);
  const rng2 = new Rng(9);
  for (let i = 0; i < length; i++) before[i] = rng2.normal();
  let s = 0;
  for (let t = 0; t < 14; t++) s += before[100 + 3 * 37 + t]! * before[600 + 5 * 41 + t]!;
  assert.ok(Math.abs(js.heap[2000 + 3 * 50 + 5]! - (before[2000 + 3 * 50 + 5]! - s)) < 1e-12);
  assert.throws(() => createF64Kernel(4, "nope" as "js"), /kind must be "auto", "wasm" or "js"/);
});
