/**
 * The top two principal components of a point cloud, computed exactly: the d x d covariance matrix (float64) and
 * its full eigen-decomposition by cyclic Jacobi rotations. d is an embedding size (tens), so the d^3 work of
 * Jacobi is nothing beside the n d^2 of the covariance, and unlike power iteration it needs no convergence
 * threshold between close eigenvalues.
 */

export interface Pca2 {
  /** Coordinate of each row on the first and the second component (rows centred on their mean). */
  x: Float64Array;
  y: Float64Array;
  /** The two components: unit vectors of length d, each with its largest-magnitude entry positive. */
  components: [Float64Array, Float64Array];
  /** Variance along each component (eigenvalues of the covariance, divided by n). */
  variance: [number, number];
  /** Share of the total variance along each component (0 when every row is the same point). */
  explained: [number, number];
}

/** PCA of a row-major [n x d] matrix (e.g. item embeddings) onto its top two components; d >= 2. */
export function pca2(matrix: ArrayLike<number>, n: number, d: number): Pca2 {
  if (!Number.isInteger(n) || n < 1) throw new Error(`pca2: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(d) || d < 2) throw new Error(`pca2: d must be an integer >= 2 (two components need two dimensions), got ${d}`);
  if (matrix.length !== n * d) throw new Error(`pca2: matrix has ${matrix.length} values but n x d = ${n} x ${d} = ${n * d}`);
  for (let k = 0; k < matrix.length; k++) {
    if (!Number.isFinite(matrix[k])) throw new Error(`pca2: matrix[${k}] (row ${Math.floor(k / d)}, column ${k % d}) = ${matrix[k]} is not finite`);
  }
  const mean = columnMeans(matrix, n, d);
  const { values, vectors } = symmetricEigen(covariance(matrix, n, d, mean), d);
  const order = Array.from({ length: d }, (_, k) => k).sort((a, b) => values[b]! - values[a]!);
  const components = [0, 1].map((j) => signed(column(vectors, d, order[j]!))) as [Float64Array, Float64Array];
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const variance = [0, 1].map((j) => Math.max(0, values[order[j]!]!)) as [number, number];
  const [x, y] = components.map((c) => project(matrix, n, d, mean, c)) as [Float64Array, Float64Array];
  return { x, y, components, variance, explained: variance.map((v) => (total > 0 ? v / total : 0)) as [number, number] };
}

function columnMeans(m: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) mean[c]! += m[r * d + c]!;
  return mean.map((s) => s / n);
}

/** The d x d population covariance (divided by n), row-major. */
function covariance(m: ArrayLike<number>, n: number, d: number, mean: Float64Array): Float64Array {
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) row[c] = m[r * d + c]! - mean[c]!;
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[a * d + b]! += row[a]! * row[b]!;
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b]! /= n;
  }
  return cov;
}

/**
 * Eigenvalues and eigenvectors (the columns of `vectors`, row-major d x d) of a symmetric matrix by cyclic
 * Jacobi: each rotation zeroes one off-diagonal pair; sweeps repeat until the off-diagonal part is negligible.
 */
export function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let k = 0; k < d; k++) v[k * d + k] = 1;
  const scale = a.reduce((s, x) => s + x * x, 0);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q]! ** 2;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) rotate(a, v, d, p, q);
  }
  return { values: Float64Array.from({ length: d }, (_, k) => a[k * d + k]!), vectors: v };
}

/** A <- J^T A J and V <- V J for the rotation J in the (p, q) plane that zeroes A[p][q] (Numerical Recipes 11.1). */
function rotate(a: Float64Array, v: Float64Array, d: number, p: number, q: number): void {
  const apq = a[p * d + q]!;
  if (apq === 0) return;
  const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq);
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < d; k++) {
    const akp = a[k * d + p]!;
    const akq = a[k * d + q]!;
    a[k * d + p] = c * akp - s * akq;
    a[k * d + q] = s * akp + c * akq;
  }
  for (let k = 0; k < d; k++) {
    const apk = a[p * d + k]!;
    const aqk = a[q * d + k]!;
    a[p * d + k] = c * apk - s * aqk;
    a[q * d + k] = s * apk + c * aqk;
  }
  a[p * d + q] = a[q * d + p] = 0;
  for (let k = 0; k < d; k++) {
    const vkp = v[k * d + p]!;
    const vkq = v[k * d + q]!;
    v[k * d + p] = c * vkp - s * vkq;
    v[k * d + q] = s * vkp + c * vkq;
  }
}

function column(m: Float64Array, d: number, j: number): Float64Array {
  return Float64Array.from({ length: d }, (_, k) => m[k * d + j]!);
}

/** An eigenvector's sign is arbitrary: fix it (largest-magnitude entry positive) so the map does not flip between runs. */
function signed(c: Float64Array): Float64Array {
  let big = 0;
  for (let k = 1; k < c.length; k++) if (Math.abs(c[k]!) > Math.abs(c[big]!)) big = k;
  return c[big]! < 0 ? c.map((x) => -x) : c;
}

function project(m: ArrayLike<number>, n: number, d: number, mean: Float64Array, c: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += (m[r * d + k]! - mean[k]!) * c[k]!;
    out[r] = s;
  }
  return out;
}
