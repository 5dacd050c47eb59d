/**
 * The weight gradient of a dense layer, [A | 1]^T dZ, as one WebAssembly SIMD kernel on the wasm backend:
 *
 *   out[i, j] = sum_b A[b, i] dZ[b, j]      (i < m: the kernel's gradient)
 *   out[m, j] = sum_b dZ[b, j]              (with `ones`: the bias gradient, a weight on a constant input 1)
 *
 * for A [rows, m] (the layer's input) and dZ [rows, n] (the gradient at its pre-activation), both read in place in
 * their natural row-major layout.
 *
 * Why: with tf ops this is transpose(A), a concat with a row of ones, and a matMul whose right operand dZ is a new
 * [rows, n] tensor every step. The wasm backend's matMul (XNNPACK) repacks its right operand whenever that tensor
 * changes, and for a long, thin product (rows = the batch) the repacking and the long inner dimension cost more
 * than the arithmetic: at batch 4096 the [65 x 4112] x [4112 x 32] product ran at ~13 GFLOP/s and the smaller
 * ones at 5-9, against ~20 for the forward products (bench/profile-step.ts). Here each tile of 4 x 8 outputs
 * stays in 8 SIMD registers while the rows stream past: no transpose, no concat, no repacking (2-4x faster for
 * these shapes, measured with bench/ab.ts --switch weight-grad).
 *
 * The module is generated for each (m, n) (loops over tiles and offsets are unrolled as constants); n must be a
 * multiple of 4. Elsewhere (other backends, other widths) `weightGradient` returns null and the caller uses tf ops.
 * Sums run in row order, so results differ from the tf-op path only by float rounding (tested).
 */
import * as tf from "@tensorflow/tfjs";
import { I32, V128, heapOffset, instantiateOnBackend, loopWhile, moduleBytes, op, type Code, type KernelFn, type WasmBackendLike } from "./asm";

export const WEIGHT_GRAD_KERNEL = "RecsysWeightGrad";

/** Rows of A (outputs of the tile) per pass and floats of dZ per pass. */
export const TILE = { rows: 4, cols: 8 };

/** Code of the kernel for A [rows, m], dZ [rows, n]; params: aPtr, zPtr, outPtr, rows (byte offsets; rows count). */
export function weightGradCode(m: number, n: number, ones: boolean, tileRows = TILE.rows, tileCols = TILE.cols): Code {
  if (n % 4 !== 0) throw new Error(`weightGradCode: n must be a multiple of 4, got ${n}`);
  const TILE_ROWS = tileRows;
  const TILE_COLS = tileCols;
  const nvMax = TILE_COLS / 4;
  const [A, Z, OUT, ROWS] = [0, 1, 2, 3];
  const [PA, PZ, B] = [4, 5, 6];
  const ACC = (r: number, c: number) => 7 + r * nvMax + c;
  const ZV = (c: number) => 7 + TILE_ROWS * nvMax + c;
  const AV = 7 + TILE_ROWS * nvMax + nvMax; // splatted A value
  const body: Code = [];
  const tile = (i: number, rowsInTile: number, j: number, width: number, bias: boolean) => {
    const nv = width / 4;
    for (let r = 0; r < rowsInTile; r++) for (let c = 0; c < nv; c++) body.push(...op.v128Zero, ...op.set(ACC(r, c)));
    body.push(...op.get(A), ...op.set(PA), ...op.get(Z), ...op.set(PZ), ...op.i32(0), ...op.set(B));
    const inner: Code = [];
    for (let c = 0; c < nv; c++) inner.push(...op.get(PZ), ...op.v128Load(4 * (j + 4 * c)), ...op.set(ZV(c)));
    for (let r = 0; r < rowsInTile; r++) {
      if (!bias) inner.push(...op.get(PA), ...op.f32Load(4 * (i + r)), ...op.f32x4Splat, ...op.set(AV));
      for (let c = 0; c < nv; c++) {
        inner.push(...op.get(ACC(r, c)), ...op.get(ZV(c)));
        if (!bias) inner.push(...op.get(AV), ...op.f32x4Mul);
        inner.push(...op.f32x4Add, ...op.set(ACC(r, c)));
      }
    }
    if (!bias) inner.push(...op.get(PA), ...op.i32(4 * m), ...op.i32Add, ...op.set(PA));
    inner.push(...op.get(PZ), ...op.i32(4 * n), ...op.i32Add, ...op.set(PZ));
    body.push(...loopWhile(B, ROWS, 1, inner));
    const row0 = bias ? m : i;
    for (let r = 0; r < rowsInTile; r++) {
      for (let c = 0; c < nv; c++) body.push(...op.get(OUT), ...op.get(ACC(r, c)), ...op.v128Store(4 * ((row0 + r) * n + j + 4 * c)));
    }
  };
  for (let j = 0; j < n; j += TILE_COLS) {
    const width = Math.min(TILE_COLS, n - j);
    for (let i = 0; i < m; i += TILE_ROWS) tile(i, Math.min(TILE_ROWS, m - i), j, width, false);
    if (ones) tile(0, 1, j, width, true);
  }
  return body;
}

export function weightGradModuleBytes(m: number, n: number, ones: boolean, tileRows = TILE.rows, tileCols = TILE.cols): Uint8Array {
  const vectors = tileRows * (tileCols / 4) + tileCols / 4 + 1;
  return moduleBytes([{ name: "grad", params: [I32, I32, I32, I32], locals: [[3, I32], [vectors, V128]], body: weightGradCode(m, n, ones, tileRows, tileCols) }]);
}

const modules = new Map<string, KernelFn | string>();
let registered = false;
let disabled = false;

function kernelFor(backend: WasmBackendLike, m: number, n: number, ones: boolean): KernelFn | string {
  const key = `${m}x${n}${ones ? "+1" : ""}/${TILE.rows}x${TILE.cols}`;
  let k = modules.get(key);
  if (k === undefined) {
    const e = instantiateOnBackend(backend, weightGradModuleBytes(m, n, ones, TILE.rows, TILE.cols));
    k = typeof e === "string" ? e : e.grad!;
    modules.set(key, k);
  }
  return k;
}

export const SPLIT_WEIGHT_GRAD_KERNEL = "RecsysSplitWeightGrad";

function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: WEIGHT_GRAD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmBackendLike;
      const { a, dz } = inputs as Record<string, tf.TensorInfo>;
      const ones = Boolean((attrs as { ones?: boolean }).ones);
      const [rows, m] = a!.shape as [number, number];
      const n = dz!.shape[1]!;
      const out = b.makeOutput([m + (ones ? 1 : 0), n], "float32");
      (kernelFor(b, m, n, ones) as KernelFn)(heapOffset(b, a!), heapOffset(b, dz!), heapOffset(b, out), rows);
      return out;
    },
  });
  tf.registerKernel({
    kernelName: SPLIT_WEIGHT_GRAD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as WasmBackendLike;
      const { a1, dz1, a2, dz2 } = inputs as Record<string, tf.TensorInfo>;
      const m = a1!.shape[1]!;
      const n = dz1!.shape[1]!;
      const out = b.makeOutput([2 * m + 1, n], "float32");
      (kernelFor(b, m, n, false) as KernelFn)(heapOffset(b, a1!), heapOffset(b, dz1!), heapOffset(b, out), a1!.shape[0]!);
      // The second group writes its m rows after the first's, and the bias row after them.
      (kernelFor(b, m, n, true) as KernelFn)(heapOffset(b, a2!), heapOffset(b, dz2!), heapOffset(b, out) + 4 * m * n, a2!.shape[0]!);
      return out;
    },
  });
}

/** True when the kernel for [rows, m]^T [rows, n] (with or without the ones row) runs on the active backend. */
function kernelReady(m: number, n: number, ones: boolean): boolean {
  if (disabled || tf.getBackend() !== "wasm" || n % 4 !== 0) return false;
  return typeof kernelFor(tf.backend() as unknown as WasmBackendLike, m, n, ones) !== "string";
}

/** Turn the kernel off (true) or back on, e.g. to compare with the tf-op path. Returns the previous setting. */
export function disableWeightGradKernel(off: boolean): boolean {
  const old = disabled;
  disabled = off;
  return old;
}

/**
 * [A | 1]^T dZ (or A^T dZ without `ones`) with the SIMD kernel, or null when it does not apply here (the caller
 * then uses tf ops). a: [rows, m], dz: [rows, n].
 */
export function weightGradient(a: tf.Tensor2D, dz: tf.Tensor2D, ones: boolean): tf.Tensor2D | null {
  const [rows, m] = a.shape;
  if (dz.shape[0] !== rows || a.dtype !== "float32" || dz.dtype !== "float32" || !kernelReady(m, dz.shape[1], ones)) return null;
  register();
  return tf.engine().runKernel(WEIGHT_GRAD_KERNEL, { a, dz }, { ones } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * The weight gradient of a dense layer over [x_1, x_2] (two inputs of m each) from the two inputs' distinct rows:
 * a1 [R1, m] with their gradients dz1 [R1, n], a2 [R2, m] with dz2 [R2, n] (each layer input pairs one row of each
 * group, and dz sums the gradients of the inputs that share the row). Result [2m + 1, n]: [a1^T dz1; a2^T dz2; the
 * column sums of dz2] (the last row is the bias gradient: every input contributes once to each group). Null where
 * the SIMD kernel does not run.
 */
export function splitWeightGradient(a1: tf.Tensor2D, dz1: tf.Tensor2D, a2: tf.Tensor2D, dz2: tf.Tensor2D): tf.Tensor2D | null {
  const m = a1.shape[1];
  const n = dz1.shape[1];
  const shapesAgree = a2.shape[1] === m && dz2.shape[1] === n && dz1.shape[0] === a1.shape[0] && dz2.shape[0] === a2.shape[0];
  if (!shapesAgree || [a1, dz1, a2, dz2].some((t) => t.dtype !== "float32") || !splitWeightGradReady(m, n)) return null;
  register();
  return tf.engine().runKernel(SPLIT_WEIGHT_GRAD_KERNEL, { a1, dz1, a2, dz2 }) as tf.Tensor2D;
}

/** True when splitWeightGradient runs here for inputs of m and outputs of n. */
export function splitWeightGradReady(m: number, n: number): boolean {
  return kernelReady(m, n, false) && kernelReady(m, n, true);
}
