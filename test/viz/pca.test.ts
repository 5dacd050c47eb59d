/** pca2 against a hand-computed case and against the definition (C v = lambda v) on random data. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pca2, symmetricEigen } from "../../lib/viz/pca";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-9) => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k]! - b[k]!) <= tol, `${what}[${k}] = ${a[k]}, expected ${b[k]}`);
};

test("pca2, by hand: four points on two perpendicular directions, shifted by a constant third coordinate", () => {
  // u = (0.6, 0.8), w = (-0.8, 0.6); points +-2u and +-1w, third coordinate 5 (no variance there).
  // Population covariance = (4 * 2 uu^T + 1 * 2 ww^T) / 4 = 2 uu^T + 0.5 ww^T: eigenvalues 2, 0.5 (and 0).
  // PC1 = u; PC2 = -w = (0.8, -0.6) (largest-magnitude entry positive); coordinates (2, -2, 0, 0) and (0, 0, -1, 1).
  const m = Float32Array.of(1.2, 1.6, 5, -1.2, -1.6, 5, -0.8, 0.6, 5, 0.8, -0.6, 5);
  const p = pca2(m, 4, 3);
  close(p.components[0], [0.6, 0.8, 0], "PC1", 1e-7);
  close(p.components[1], [0.8, -0.6, 0], "PC2", 1e-7);
  close(p.variance, [2, 0.5], "variance", 1e-6);
  close(p.explained, [0.8, 0.2], "explained", 1e-7);
  close(p.x, [2, -2, 0, 0], "x", 1e-6);
  close(p.y, [0, 0, -1, 1], "y", 1e-6);
});

test("pca2 on random data: components are orthonormal eigenvectors of the covariance, largest eigenvalues first", () => {
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const n = 200;
  const d = 6;
  const m = Float64Array.from({ length: n * d }, (_, k) => rand() * (1 + (k % d))); // column c has spread ~ c + 1
  const p = pca2(m, n, d);
  // The covariance, straight from its definition.
  const mean = Array.from({ length: d }, (_, c) => Array.from({ length: n }, (_, r) => m[r * d + c]!).reduce((a, b) => a + b) / n);
  const cov = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) for (let r = 0; r < n; r++) cov[a * d + b]! += ((m[r * d + a]! - mean[a]!) * (m[r * d + b]! - mean[b]!)) / n;
  for (const j of [0, 1]) {
    const v = p.components[j]!;
    const cv = Array.from({ length: d }, (_, a) => v.reduce((s, x, b) => s + cov[a * d + b]! * x, 0));
    close(cv, Array.from(v, (x) => p.variance[j]! * x), `C v${j + 1}`, 1e-9);
    close([v.reduce((s, x) => s + x * x, 0)], [1], `|v${j + 1}|`, 1e-12);
  }
  close([p.components[0].reduce((s, x, k) => s + x * p.components[1][k]!, 0)], [0], "v1 . v2", 1e-12);
  const all = symmetricEigen(cov, d).values.sort((a, b) => b - a);
  close(p.variance, all.slice(0, 2), "the two largest eigenvalues", 1e-9);
  close(p.explained, [all[0]! / all.reduce((a, b) => a + b), all[1]! / all.reduce((a, b) => a + b)], "explained", 1e-9);
  assert.ok(p.variance[0] > p.variance[1]);
});

test("pca2: identical rows give zero variance, not NaN; bad input names the problem", () => {
  const p = pca2(Float32Array.of(1, 2, 1, 2, 1, 2), 3, 2);
  close(p.explained, [0, 0], "explained");
  close(p.x, [0, 0, 0], "x");
  assert.throws(() => pca2(new Float32Array(5), 2, 3), /pca2: matrix has 5 values but n x d = 2 x 3 = 6/);
  assert.throws(() => pca2(new Float32Array(3), 3, 1), /pca2: d must be an integer >= 2/);
  assert.throws(() => pca2(Float32Array.of(0, 1, NaN, 3), 2, 2), /pca2: matrix\[2\] \(row 1, column 0\) = NaN is not finite/);
});
