/**
 * Kernels of a two-tower training step on the wasm backend, written in JavaScript on the backend's heap (as
 * glue.ts): each replaces a chain of small tf kernels (gathers, a concat, its split in the backward pass, the
 * [B, B] softmax's half-dozen passes) whose fixed costs dominated the step. The maths is the autodiff path's, and
 * test/models/two-tower.test.ts checks the hand-written step built on them against it. Elsewhere every function
 * returns null (the model then trains through autodiff).
 *
 *   gatherConcat(parts)         -> [n, W]: each part's rows side by side (a looked-up row, or a weighted bag of rows)
 *   gatherConcatGrad(parts, dx) -> one dense table gradient per part (rows scatter-added, bags weighted)
 *   normalizeRows(x)            -> [y = x / max(|x|, 1e-12), |x|]      normalizeRowsGrad(y, norm, dy) -> dx
 *   inBatchSoftmaxGrad(s, ids, logQ, prev, T, scale) -> [dS, dS^T, prev + sum of losses]   (the loss: nn/retrieval.ts)
 */
import * as tf from "@tensorflow/tfjs";
import { heapAvailable, heapIndex as at, registerHeapKernel } from "./heap";
import type { WasmBackendLike } from "./asm";
import { bagFunctions } from "./bags";
import { softmaxFns } from "./exp";


/** One input block of a tower: a table and, per row, one id (`bag` false) or a padded bag of ids with weights. */
export interface GatherPart {
  table: tf.Tensor2D;
  /** [n] (or [n, 1]) int32 ids; for a bag [n, L]. */
  ids: tf.Tensor;
  /** Bags: [n, L] weights (mean: 1/size, sum: 1, padding 0). Rows: optional [n] scale (e.g. 0 to leave a row out). */
  weights?: tf.Tensor;
  bag: boolean;
  /** Added to the part's output (e.g. a linear layer's bias over a multi-hot bag); gets the column sums as gradient. */
  bias?: tf.Tensor;
}

let disabled = false;
let registered = false;

/** Turn these kernels off (true) or on. Returns the previous setting. */
export function disableTowerKernels(off: boolean): boolean {
  const old = disabled;
  disabled = off;
  return old;
}


interface PartAttr {
  dim: number;
  bag: boolean;
  width: number; // bag length L (1 for rows)
  weighted: boolean;
  rows: number; // table rows
  biased: boolean;
}

function register(): void {
  if (registered) return;
  registered = true;
  const reg = registerHeapKernel;

  reg("RecsysGatherConcat", (b, inputs, attrs) => {
    const parts = attrs.parts as PartAttr[];
    const n = attrs.n as number;
    const width = parts.reduce((s, p) => s + p.dim, 0);
    const out = b.makeOutput([n, width], "float32");
    const f = b.wasm.HEAPF32;
    const i32 = new Int32Array(f.buffer);
    const o = at(b, out);
    let col = 0;
    parts.forEach((p, k) => {
      const t = at(b, inputs[`t${k}`]!);
      const ids = at(b, inputs[`i${k}`]!);
      const w = p.weighted ? at(b, inputs[`w${k}`]!) : -1;
      // Bags of whole-vector rows: the SIMD gather (bags.ts), then the bias added in JavaScript.
      const fns = p.bag ? bagFunctions(b as unknown as WasmBackendLike, p.dim) : "rows";
      const simd = typeof fns !== "string";
      if (simd) {
        fns.gather(t * 4, ids * 4, w * 4, o * 4, n, p.width, width, col);
        if (p.biased) {
          const bias = at(b, inputs[`b${k}`]!);
          for (let r = 0; r < n; r++) for (let c = 0; c < p.dim; c++) f[o + r * width + col + c]! += f[bias + c]!;
        }
      }
      for (let r = 0; r < n; r++) {
        const dst = o + r * width + col;
        if (!p.bag) {
          const src = t + i32[ids + r]! * p.dim;
          if (w < 0) f.copyWithin(dst, src, src + p.dim);
          else {
            const s = f[w + r]!;
            for (let c = 0; c < p.dim; c++) f[dst + c] = f[src + c]! * s;
          }
          continue;
        }
        if (simd) continue;
        if (p.biased) f.copyWithin(dst, at(b, inputs[`b${k}`]!), at(b, inputs[`b${k}`]!) + p.dim);
        else for (let c = 0; c < p.dim; c++) f[dst + c] = 0;
        for (let l = 0; l < p.width; l++) {
          const s = f[w + r * p.width + l]!;
          if (s === 0) continue;
          const src = t + i32[ids + r * p.width + l]! * p.dim;
          for (let c = 0; c < p.dim; c++) f[dst + c]! += f[src + c]! * s;
        }
      }
      col += p.dim;
    });
    return out;
  });

  reg("RecsysGatherConcatGrad", (b, inputs, attrs) => {
    const parts = attrs.parts as PartAttr[];
    const n = attrs.n as number;
    const width = parts.reduce((s, p) => s + p.dim, 0);
    const outs = parts.map((p) => b.makeOutput([p.rows, p.dim], "float32"));
    const biasOuts = parts.filter((p) => p.biased).map((p) => b.makeOutput([p.dim], "float32"));
    const f = b.wasm.HEAPF32;
    const i32 = new Int32Array(f.buffer);
    const dx = at(b, inputs.dx!);
    let col = 0;
    let biasIndex = 0;
    parts.forEach((p, k) => {
      const g = at(b, outs[k]!);
      f.fill(0, g, g + p.rows * p.dim);
      if (p.biased) {
        const gb = at(b, biasOuts[biasIndex++]!);
        for (let c = 0; c < p.dim; c++) {
          let s = 0;
          for (let r = 0; r < n; r++) s += f[dx + r * width + col + c]!;
          f[gb + c] = s;
        }
      }
      const ids = at(b, inputs[`i${k}`]!);
      const w = p.weighted ? at(b, inputs[`w${k}`]!) : -1;
      const fns = p.bag ? bagFunctions(b as unknown as WasmBackendLike, p.dim) : "rows";
      if (typeof fns !== "string") {
        fns.scatter(g * 4, ids * 4, w * 4, dx * 4, n, p.width, width, col);
        col += p.dim;
        return;
      }
      for (let r = 0; r < n; r++) {
        const src = dx + r * width + col;
        for (let l = 0; l < p.width; l++) {
          const s = w < 0 ? 1 : p.bag ? f[w + r * p.width + l]! : f[w + r]!;
          if (s === 0) continue;
          const dst = g + i32[ids + r * p.width + l]! * p.dim;
          for (let c = 0; c < p.dim; c++) f[dst + c]! += f[src + c]! * s;
        }
      }
      col += p.dim;
    });
    return [...outs, ...biasOuts];
  });

  reg("RecsysNormalizeRows", (b, { x }) => {
    const [n, d] = x!.shape as [number, number];
    const y = b.makeOutput([n, d], "float32");
    const norm = b.makeOutput([n, 1], "float32");
    const f = b.wasm.HEAPF32;
    const [px, py, pn] = [at(b, x!), at(b, y), at(b, norm)];
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += f[px + r * d + c]! ** 2;
      const len = Math.sqrt(s);
      f[pn + r] = len;
      const inv = 1 / Math.max(len, 1e-12);
      for (let c = 0; c < d; c++) f[py + r * d + c] = f[px + r * d + c]! * inv;
    }
    return [y, norm];
  });

  reg("RecsysNormalizeRowsGrad", (b, { y, norm, dy }) => {
    const [n, d] = y!.shape as [number, number];
    const dx = b.makeOutput([n, d], "float32");
    const f = b.wasm.HEAPF32;
    const [py, pn, pd, po] = [at(b, y!), at(b, norm!), at(b, dy!), at(b, dx)];
    for (let r = 0; r < n; r++) {
      const len = f[pn + r]!;
      // y = x / |x|: dx = (dy - y <y, dy>) / |x|. Below the clamp, y = x / 1e-12 and dx = dy / 1e-12.
      let dot = 0;
      if (len > 1e-12) for (let c = 0; c < d; c++) dot += f[py + r * d + c]! * f[pd + r * d + c]!;
      const inv = 1 / Math.max(len, 1e-12);
      for (let c = 0; c < d; c++) f[po + r * d + c] = (f[pd + r * d + c]! - f[py + r * d + c]! * dot) * inv;
    }
    return dx;
  });

  reg("RecsysInBatchSoftmax", (b, { s, ids, logq, prev }, attrs) => {
    const n = s!.shape[0]!;
    const invT = 1 / (attrs.temperature as number);
    const scale = attrs.scale as number;
    const ds = b.makeOutput([n, n], "float32");
    const dsT = b.makeOutput([n, n], "float32");
    const total = b.makeOutput([1, 1], "float32");
    const scratch = b.makeOutput([2, n], "float32"); // row maxima, then row sums (for the SIMD exp)
    const f = b.wasm.HEAPF32;
    const i32 = new Int32Array(f.buffer);
    const [ps, pi, pq, pd, pt, pm] = [at(b, s!), at(b, ids!), at(b, logq!), at(b, ds), at(b, dsT), at(b, scratch)];
    const diag = new Float64Array(n);
    for (let r = 0; r < n; r++) diag[r] = f[ps + r * n + r]! * invT - f[pq + r]!;
    // exp(z - max) and row sums with hits left out, then dS scaled and transposed: WebAssembly SIMD when the rows
    // are whole vectors (exp.ts), else the same in JavaScript.
    const fns = n % 4 === 0 ? softmaxFns(b as unknown as WasmBackendLike) : "rows are not a multiple of 4";
    const simd = typeof fns !== "string";
    if (simd) fns.rows(ps * 4, pd * 4, n, n, pq * 4, pi * 4, pm * 4, (pm + n) * 4, invT);
    else {
      for (let r = 0; r < n; r++) {
        const own = i32[pi + r]!;
        let max = -Infinity;
        for (let j = 0; j < n; j++) {
          const z = j !== r && i32[pi + j] === own ? -1e30 : f[ps + r * n + j]! * invT - f[pq + j]!;
          f[pd + r * n + j] = z;
          if (z > max) max = z;
        }
        let e = 0;
        for (let j = 0; j < n; j++) e += f[pd + r * n + j] = Math.exp(f[pd + r * n + j]! - max);
        f[pm + r] = max;
        f[pm + n + r] = e;
      }
    }
    // loss_r = log sum_j e^{z_rj} - z_rr; d loss_r / d s_rj = (p_rj - [j = r]) / T times the batch-mean scale, i.e.
    // k_r e_rj with k_r = scale / (T sum_r), minus scale / T on the diagonal. A hit's weight e^{-1e30 - max} is 0.
    let sum = 0;
    const g0 = invT * scale;
    for (let r = 0; r < n; r++) {
      const e = f[pm + n + r]!;
      sum += Math.log(e) + f[pm + r]! - diag[r]!;
      f[pm + r] = g0 / e; // k_r, in place of the maximum
    }
    if (simd) fns.scaleTranspose(pd * 4, pt * 4, n, pm * 4);
    else {
      for (let r = 0; r < n; r++) for (let j = 0; j < n; j++) f[pt + j * n + r] = f[pd + r * n + j]! *= f[pm + r]!;
    }
    for (let r = 0; r < n; r++) {
      f[pd + r * n + r]! -= g0;
      f[pt + r * n + r]! -= g0;
    }
    f[at(b, total)] = f[at(b, prev!)]! + sum;
    return [ds, dsT, total, scratch];
  });
}

function ready(): boolean {
  if (disabled || !heapAvailable()) return false;
  register();
  return true;
}

/** Whether the kernels run here (the wasm backend, not disabled). */
export function towerKernelsAvailable(): boolean {
  return ready();
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap);

function partInputs(parts: GatherPart[]): { inputs: tf.NamedTensorMap; attrs: PartAttr[]; n: number } {
  const inputs: tf.NamedTensorMap = {};
  const n = parts[0]!.ids.shape[0]!;
  const attrs = parts.map((p, k) => {
    if (p.table.dtype !== "float32" || p.ids.dtype !== "int32") throw new Error("gatherConcat: tables must be float32 and ids int32");
    if (p.ids.shape[0] !== n) throw new Error(`gatherConcat: part ${k} has ${p.ids.shape[0]} rows, part 0 has ${n}`);
    if (p.bag && !p.weights) throw new Error(`gatherConcat: bag part ${k} needs weights`);
    inputs[`t${k}`] = p.table;
    inputs[`i${k}`] = p.ids;
    if (p.weights) inputs[`w${k}`] = p.weights;
    if (p.bias) inputs[`b${k}`] = p.bias;
    return { dim: p.table.shape[1], bag: p.bag, width: p.bag ? p.ids.shape[1]! : 1, weighted: p.weights !== undefined, rows: p.table.shape[0], biased: p.bias !== undefined };
  });
  return { inputs, attrs, n };
}

/** The parts' rows side by side, [n, sum of dims], or null. */
export function gatherConcat(parts: GatherPart[]): tf.Tensor2D | null {
  if (!ready()) return null;
  const { inputs, attrs, n } = partInputs(parts);
  return run("RecsysGatherConcat", inputs, { parts: attrs, n }) as tf.Tensor2D;
}

/** Table gradients of gatherConcat given d output [n, W], one per part (same order), then one per bias, or null. */
export function gatherConcatGrad(parts: GatherPart[], dx: tf.Tensor2D): tf.Tensor2D[] | null {
  if (!ready()) return null;
  const { inputs, attrs, n } = partInputs(parts);
  inputs.dx = dx;
  return run("RecsysGatherConcatGrad", inputs, { parts: attrs, n }) as tf.Tensor2D[];
}

/** Rows divided by their length (clamped at 1e-12), and the lengths [n, 1], or null. */
export function normalizeRows(x: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] | null {
  if (!ready()) return null;
  return run("RecsysNormalizeRows", { x }, {}) as [tf.Tensor2D, tf.Tensor2D];
}

/** d x of normalizeRows given its outputs and d y, or null. */
export function normalizeRowsGrad(y: tf.Tensor2D, norm: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D | null {
  if (!ready()) return null;
  return run("RecsysNormalizeRowsGrad", { y, norm, dy }, {}) as tf.Tensor2D;
}

/**
 * The in-batch softmax on raw dot products s [B, B]: returns d loss / d s (times `scale`, e.g. 1 / B for the batch
 * mean), the same transposed (so that d candidates = dS^T Q is a plain product), and prev + the summed loss, or
 * null. ids [B] int32, logQ [B] (zeros for no correction), prev [1, 1].
 */
export function inBatchSoftmaxGrad(
  s: tf.Tensor2D,
  ids: tf.Tensor,
  logQ: tf.Tensor,
  prev: tf.Tensor,
  temperature: number,
  scale: number,
): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] | null {
  if (!ready()) return null;
  const [ds, dsT, total, scratch] = run("RecsysInBatchSoftmax", { s, ids, logq: logQ, prev }, { temperature, scale }) as tf.Tensor2D[];
  scratch!.dispose();
  return [ds!, dsT!, total!];
}
