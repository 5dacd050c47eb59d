/**
 * The inverse of a large symmetric positive definite matrix in float64, blocked so that almost all of the
 * n^3/2 multiply-adds run in one register-tiled kernel (f64-kernel.ts: C -= A B^T on contiguous rows).
 *
 * EASE needs P = (X^T X + lambda I)^{-1} for thousands of items (1682 for ML-100K, 3706 for ML-1M). An unblocked
 * version (one dot product per entry, the same three phases) took 14.8 s for 1682 x 1682 (~0.16 G multiply-adds/s:
 * each row is re-read from memory for every entry it meets). Blocks keep rows in cache and the tiles keep sums in
 * registers: measured in CPU time on one core here (the machine was shared: 0.65-1.0 s depending on the load, wall
 * time up to 2x more), 1682 x 1682 takes 0.65 s with the SIMD kernel (1.7 s with the JavaScript one) and
 * 3706 x 3706 takes 6.3 s. The in-block loops are short (< block size) and written inline: a call per entry cost
 * as much as the arithmetic in iALS's 64 x 64 systems.
 *
 * With U = L^{-T} (upper triangular, stored with explicit zeros below its diagonal) and A = L L^T:
 *
 *   1. Cholesky, left-looking by blocks: for block (I, J), J <= I:
 *        A[I,J] -= L[I, :J0] L[J, :J0]^T                                   (kernel, length J0)
 *      then inside the block, L[i][j] = (A[i][j] - sum_{J0<=k<j} L[i][k] L[j][k]) / L[j][j] (and sqrt on the diagonal).
 *   2. U = L^{-T}: row j of U is column j of L^{-1}: U[j][i] = (delta_ij - sum_{j<=k<i} L[i][k] U[j][k]) / L[i][i]
 *      for i >= j. Since U[j][k] = 0 for k < j, the sum may start at the block's J0: for block (J, I), I >= J:
 *        U[J,I] -= U[J, J0:I0] L[I, J0:I0]^T                               (kernel, length I0 - J0)
 *      then the in-block part over I0 <= k < i, rows i ascending.
 *   3. A^{-1} = L^{-T} L^{-1} = U U^T: P[i][j] = sum_k U[i][k] U[j][k], and for j in block J (J >= I) only k >= J0
 *      contribute:  P[I,J] -= U[I, J0:] U[J, J0:]^T on a zeroed block (so it holds -P; the sign is flipped on the
 *      way out).                                                           (kernel, length N - J0)
 *
 * Each phase costs ~n^3/6 multiply-adds. The matrix is padded to N (a multiple of the block size) with an identity
 * block, which keeps it SPD and leaves the top-left inverse unchanged. L and U live side by side on one float64
 * heap (2 N^2 values: 220 MB at ML-1M's size), the kernel's own WebAssembly memory when SIMD is available.
 */
import { createF64Kernel, type F64Kernel } from "./f64-kernel";

export interface SpdInverseOptions {
  /** "auto" (default): WebAssembly SIMD when available, else JavaScript; or force one (tests compare the two). */
  kernel?: "auto" | "wasm" | "js";
  /** Rows per block, a multiple of 4. Default 32 (fastest of 16-128 at ML-100K size: larger blocks move work into the scalar in-block loops). */
  blockSize?: number;
  /** Name used in error messages. */
  where?: string;
}

/**
 * The inverse of the SPD n x n matrix `a` (row-major; only its lower triangle is read), as a new row-major
 * Float64Array. Throws when `a` is not positive definite, naming the pivot.
 */
export function spdInverse(a: Float64Array, n: number, options: SpdInverseOptions = {}): Float64Array {
  const where = options.where ?? "spdInverse";
  if (!Number.isInteger(n) || n < 0 || a.length !== n * n) {
    throw new Error(`${where}: expected an n x n = ${n} x ${n} row-major Float64Array, got length ${a.length}`);
  }
  const requested = options.blockSize ?? 32;
  if (!Number.isInteger(requested) || requested < 4 || requested % 4 !== 0) {
    throw new Error(`${where}: blockSize must be a positive multiple of 4, got ${requested}`);
  }
  if (n === 0) return new Float64Array(0);
  const nb = Math.min(requested, Math.ceil(n / 4) * 4);
  const N = Math.ceil(n / nb) * nb;
  const kernel = createF64Kernel(2 * N * N, options.kernel ?? "auto");
  const h = kernel.heap;
  const Lo = 0; // L (then -P) at rows of stride N
  const Uo = N * N; // U
  for (let i = 0; i < n; i++) h.set(a.subarray(i * n, i * n + i + 1), Lo + i * N);
  for (let i = n; i < N; i++) h[Lo + i * N + i] = 1;

  // 1. Cholesky.
  blockedCholesky(kernel, Lo, N, nb, where);

  // 2. U = L^{-T}, block row J of U from left to right.
  for (let J0 = 0; J0 < N; J0 += nb) {
    for (let I0 = J0; I0 < N; I0 += nb) {
      if (I0 > J0) kernel.subNT(Uo + J0 * N + J0, Lo + I0 * N + J0, Uo + J0 * N + I0, nb, nb, I0 - J0, N, N, N);
      for (let i = I0; i < I0 + nb; i++) {
        const li = Lo + i * N;
        const inv = 1 / h[li + i]!;
        for (let j = J0; j < J0 + nb && j <= i; j++) {
          const uj = Uo + j * N;
          let s = (i === j ? 1 : 0) + h[uj + i]!;
          for (let k = I0; k < i; k++) s -= h[li + k]! * h[uj + k]!;
          h[uj + i] = s * inv;
        }
      }
    }
  }

  // 3. -P = -U U^T into the zeroed L area, upper blocks only.
  h.fill(0, Lo, Lo + N * N);
  for (let I0 = 0; I0 < N; I0 += nb) {
    for (let J0 = I0; J0 < N; J0 += nb) kernel.subNT(Uo + I0 * N + J0, Uo + J0 * N + J0, Lo + I0 * N + J0, nb, nb, N - J0, N, N, N);
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = -h[Lo + i * N + j]!;
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

/**
 * Phase 1 alone: the Cholesky factor of the SPD N x N matrix at heap offset `off` (row stride N, lower triangle
 * read), in place, blocks of nb rows (N a multiple of nb, nb a multiple of 4). The strict upper triangle of the
 * diagonal blocks is overwritten with scratch values. Also used by iALS for its d x d systems.
 */
export function blockedCholesky(kernel: F64Kernel, off: number, N: number, nb: number, where: string): void {
  const h = kernel.heap;
  for (let I0 = 0; I0 < N; I0 += nb) {
    for (let J0 = 0; J0 <= I0; J0 += nb) {
      if (J0 > 0) kernel.subNT(off + I0 * N, off + J0 * N, off + I0 * N + J0, nb, nb, J0, N, N, N);
      for (let i = I0; i < I0 + nb; i++) {
        const ri = off + i * N;
        const jEnd = J0 === I0 ? i : J0 + nb - 1;
        for (let j = J0; j <= jEnd; j++) {
          const rj = off + j * N;
          let s = h[ri + j]!;
          for (let k = J0; k < j; k++) s -= h[ri + k]! * h[rj + k]!; // short (< nb): inline, no call
          if (j < i) {
            h[ri + j] = s / h[rj + j]!;
          } else {
            if (!(s > 0) || !Number.isFinite(s)) {
              throw new Error(`${where}: the matrix is not positive definite (pivot ${i} is ${s}); add regularisation to its diagonal`);
            }
            h[ri + i] = Math.sqrt(s);
          }
        }
      }
    }
  }
}
