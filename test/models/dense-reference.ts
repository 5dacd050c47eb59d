/** Brute-force dense references for the baseline tests: no factorisation, no blocking, no cleverness. */

/** Naive Gauss-Jordan inverse of an n x n row-major matrix (no pivoting: fine for the SPD matrices used here). */
export function gaussJordanInverse(a: Float64Array, n: number): Float64Array {
  const w = 2 * n;
  const m = new Float64Array(n * w);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * w + j] = a[i * n + j]!;
    m[i * w + n + i] = 1;
  }
  for (let c = 0; c < n; c++) {
    const p = m[c * w + c]!;
    for (let j = 0; j < w; j++) m[c * w + j]! /= p;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * w + c]!;
      for (let j = 0; j < w; j++) m[r * w + j]! -= f * m[c * w + j]!;
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out.set(m.subarray(i * w + n, (i + 1) * w), i * n);
  return out;
}

/** x = A^{-1} b by the Gauss-Jordan inverse. */
export function naiveSolve(a: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const inv = gaussJordanInverse(a, n);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) x[i]! += inv[i * n + j]! * b[j]!;
  return x;
}

/** Dense 0/1 matrix (users x items, row-major) of [user, item] pairs. */
export function denseBinary(numUsers: number, numItems: number, pairs: readonly (readonly [number, number])[]): Float64Array {
  const x = new Float64Array(numUsers * numItems);
  for (const [u, i] of pairs) x[u * numItems + i] = 1;
  return x;
}

/** Each entry within tol (relative for entries beyond 1). */
export function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)))) {
      throw new Error(`${what}[${i}] = ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}
