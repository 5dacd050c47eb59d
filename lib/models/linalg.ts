/**
 * Small dense symmetric positive definite (SPD) linear algebra in float64: the plain Cholesky (the definition the
 * blocked one in spd-inverse.ts is tested against, and the way to solve a one-off system), the triangular solves
 * of iALS's d x d systems, and the dot product of the in-block steps of the blocked routines.
 *
 * Why our own: TensorFlow.js has no Cholesky, solve or inverse (tf.linalg offers only qr, gramSchmidt and
 * bandPart), and float32 would keep few digits of an inverse whose condition number reaches 1e3-1e4 (EASE's
 * X^T X + lambda I on MovieLens). Plain loops over Float64Array rows, every inner loop a contiguous dot product.
 *
 * Layout: an n x n matrix is a row-major Float64Array of length n * n; only the lower triangle of an input is read.
 */

/**
 * Cholesky factorisation A = L L^T in place (Cholesky-Crout, row by row): for j <= i,
 *
 *   L[i][j] = (A[i][j] - sum_{k<j} L[i][k] L[j][k]) / L[j][j],   L[i][i] = sqrt(A[i][i] - sum_{k<i} L[i][k]^2).
 *
 * n^3/6 multiply-adds. L overwrites the lower triangle (diagonal included); the strict upper triangle is left as
 * it was. Throws when A is not (numerically) positive definite, naming the pivot, since a NaN factor would
 * otherwise turn every score into NaN.
 */
export function choleskyInPlace(a: Float64Array, n: number, where = "cholesky"): void {
  checkSquare(a, n, where);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      const s = a[ri + j]! - dot(a, ri, a, rj, j);
      if (j < i) {
        a[ri + j] = s / a[rj + j]!;
      } else {
        if (!(s > 0)) {
          throw new Error(`${where}: the matrix is not positive definite (pivot ${i} is ${s}); add regularisation to its diagonal`);
        }
        a[ri + i] = Math.sqrt(s);
      }
    }
  }
}

/**
 * Solves (L L^T) x = b in place of b, given a Cholesky factor L (at `offset` in `l`, row stride n, lower
 * triangle): forward substitution L y = b, then back substitution L^T x = y. The back substitution reads L by
 * columns; for the small systems of iALS (d up to a few hundred) that costs little next to the factorisation.
 */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array, offset = 0): void {
  for (let i = 0; i < n; i++) b[i] = (b[i]! - dot(l, offset + i * n, b, 0, i)) / l[offset + i * n + i]!;
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[offset + k * n + i]! * b[k]!;
    b[i] = s / l[offset + i * n + i]!;
  }
}

/** Solves A x = b for SPD A (lower triangle read, overwritten by its factor); returns x in place of b. */
export function spdSolveInPlace(a: Float64Array, n: number, b: Float64Array, where = "spdSolve"): void {
  choleskyInPlace(a, n, where);
  choleskySolveInPlace(a, n, b);
}

/** sum_{t<len} x[xo + t] * y[yo + t], four accumulators (independent chains run about twice as fast in V8). */
export function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < len; t += 4) {
    s0 += x[xo + t]! * y[yo + t]!;
    s1 += x[xo + t + 1]! * y[yo + t + 1]!;
    s2 += x[xo + t + 2]! * y[yo + t + 2]!;
    s3 += x[xo + t + 3]! * y[yo + t + 3]!;
  }
  for (; t < len; t++) s0 += x[xo + t]! * y[yo + t]!;
  return s0 + s1 + (s2 + s3);
}

function checkSquare(a: Float64Array, n: number, where: string): void {
  if (!Number.isInteger(n) || n < 0 || a.length !== n * n) {
    throw new Error(`${where}: expected an n x n = ${n} x ${n} row-major Float64Array, got length ${a.length}`);
  }
}
