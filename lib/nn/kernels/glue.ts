/**
 * Small "glue" kernels for the wasm backend, written in JavaScript on the backend's heap (as the wasm backend
 * itself does for Concat and Slice). Each replaces several tiny tf kernels whose fixed cost (~5-15 us each, engine
 * bookkeeping plus a call into wasm) dominates a training step at small batch sizes:
 *
 *   unpack(flat, shapes)      -> one tensor per shape, copied from consecutive ranges   (split + reshapes)
 *   pack(tensors)             -> their values one after the other, flat                  (reshapes + concat)
 *   pointwiseLoss(z, y, w, mask, sum, loss) -> [dz = w * dl/dz, sum + sum(mask * l)]     (8-10 kernels)
 *   outputGrad(terms, dz)     -> [sum_b terms_k[b, :] dz[b] for each term; sum_b dz[b]]  (transposes, concat, matMul)
 *
 * The loss kernel evaluates in double precision and rounds once (results can differ from the float32 tf ops in the
 * last bit); the others are exact copies or straightforward sums in row order. Elsewhere (other backends) every
 * function returns null and callers use tf ops.
 */
import * as tf from "@tensorflow/tfjs";
import { heapAvailable, heapIndex as at, registerHeapKernel } from "./heap";
import type { LossName } from "../losses";


let disabled = false;
let registered = false;

/** Turn the glue kernels off (true) or on. Returns the previous setting. */
export function disableGlueKernels(off: boolean): boolean {
  const old = disabled;
  disabled = off;
  return old;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
/** Float index of a tensor in HEAPF32 (read HEAPF32 only after all outputs are allocated: allocation can grow it). */

function register(): void {
  if (registered) return;
  registered = true;
  const reg = registerHeapKernel;

  reg("RecsysUnpack", (b, { flat }, { shapes }) => {
    const outs = (shapes as number[][]).map((s) => b.makeOutput(s, "float32"));
    const heap = b.wasm.HEAPF32;
    let o = at(b, flat!);
    for (const t of outs) {
      const n = sizeOf(t.shape);
      heap.copyWithin(at(b, t), o, o + n);
      o += n;
    }
    return outs;
  });

  reg("RecsysPack", (b, inputs, { count }) => {
    const parts = Array.from({ length: count as number }, (_, k) => inputs[`t${k}`]!);
    const out = b.makeOutput([parts.reduce((s, t) => s + sizeOf(t.shape), 0)], "float32");
    const heap = b.wasm.HEAPF32;
    let o = at(b, out);
    for (const t of parts) {
      const n = sizeOf(t.shape);
      const src = at(b, t);
      heap.copyWithin(o, src, src + n);
      o += n;
    }
    return out;
  });

  reg("RecsysPointwiseLoss", (b, { z, y, w, mask, sum }, { loss }) => {
    const n = sizeOf(z!.shape);
    const dz = b.makeOutput([...z!.shape], "float32");
    const total = b.makeOutput([1, 1], "float32");
    const heap = b.wasm.HEAPF32;
    const [pz, py, pw, pm, pd] = [at(b, z!), at(b, y!), at(b, w!), at(b, mask!), at(b, dz)];
    let s = 0;
    for (let i = 0; i < n; i++) {
      const zi = heap[pz + i]!;
      const yi = heap[py + i]!;
      let l: number;
      let g: number;
      if (loss === "bce" || loss === "bpr") {
        // With e = exp(-|z|): softplus(z) = max(z, 0) + log1p(e), sigmoid(z) = 1 / (1 + e) or e / (1 + e);
        // bce: l = softplus(z) - y z, dl/dz = sigmoid(z) - y; bpr: l = softplus(-z) = softplus(z) - z, dl/dz = sigmoid(z) - 1.
        const e = Math.exp(-Math.abs(zi));
        const sp = (zi > 0 ? zi : 0) + Math.log1p(e);
        const sig = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
        const target = loss === "bce" ? yi : 1;
        l = sp - target * zi;
        g = sig - target;
      } else {
        l = (zi - yi) * (zi - yi);
        g = 2 * (zi - yi);
      }
      heap[pd + i] = g * heap[pw + i]!;
      s += heap[pm + i]! * l;
    }
    heap[at(b, total)] = heap[at(b, sum!)]! + s;
    return [dz, total];
  });

  reg("RecsysOutputGrad", (b, inputs, { count }) => {
    const terms = Array.from({ length: count as number }, (_, k) => inputs[`t${k}`]!);
    const dz = inputs.dz!;
    const rows = dz.shape[0]!;
    const widths = terms.map((t) => t.shape[1]!);
    const total = widths.reduce((a, c) => a + c, 0) + 1;
    const out = b.makeOutput([total, 1], "float32");
    const heap = b.wasm.HEAPF32;
    const acc = new Float64Array(total);
    const pd = at(b, dz);
    const bases = terms.map((t) => at(b, t));
    for (let r = 0; r < rows; r++) {
      const d = heap[pd + r]!;
      let o = 0;
      for (let k = 0; k < terms.length; k++) {
        const wk = widths[k]!;
        const base = bases[k]! + r * wk;
        for (let c = 0; c < wk; c++) acc[o + c]! += heap[base + c]! * d;
        o += wk;
      }
      acc[total - 1]! += d;
    }
    const po = at(b, out);
    for (let k = 0; k < total; k++) heap[po + k] = acc[k]!;
    return out;
  });
}

function ready(): boolean {
  if (disabled || !heapAvailable()) return false;
  register();
  return true;
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap);

/** Tensors of the given shapes from consecutive ranges of `flat`, or null. */
export function unpack(flat: tf.Tensor, shapes: number[][]): tf.Tensor[] | null {
  if (!ready() || flat.dtype !== "float32") return null;
  return run("RecsysUnpack", { flat }, { shapes }) as tf.Tensor[];
}

/** All values of `tensors`, one after the other, as a vector, or null. */
export function pack(tensors: tf.Tensor[]): tf.Tensor1D | null {
  if (!ready() || tensors.some((t) => t.dtype !== "float32")) return null;
  const inputs: tf.NamedTensorMap = {};
  tensors.forEach((t, k) => (inputs[`t${k}`] = t));
  return run("RecsysPack", inputs, { count: tensors.length }) as tf.Tensor1D;
}

/**
 * One pass of a pointwise loss: dz = w * dl/dz (w: 1 / n on real rows, 0 on padding) and the running sum
 * sum + sum(mask * l), or null. z, y, w, mask: [rows, 1]; sum: [1, 1].
 */
export function pointwiseLoss(z: tf.Tensor, y: tf.Tensor, w: tf.Tensor, mask: tf.Tensor, sum: tf.Tensor, loss: LossName): [tf.Tensor2D, tf.Tensor2D] | null {
  if (!ready()) return null;
  return run("RecsysPointwiseLoss", { z, y, w, mask, sum }, { loss }) as [tf.Tensor2D, tf.Tensor2D];
}

/** [sum_b terms[k][b, :] dz[b] for each k, then sum_b dz[b]] as a column, or null. terms: [rows, w_k]; dz: [rows, 1]. */
export function outputGrad(terms: tf.Tensor2D[], dz: tf.Tensor2D): tf.Tensor2D | null {
  if (!ready()) return null;
  const inputs: tf.NamedTensorMap = { dz };
  terms.forEach((t, k) => (inputs[`t${k}`] = t));
  return run("RecsysOutputGrad", inputs, { count: terms.length }) as tf.Tensor2D;
}
