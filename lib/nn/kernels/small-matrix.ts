/**
 * Data movement for a layer's small weight matrices on the wasm backend, one kernel call each:
 *
 *   transposeSmall(W [r, c])      -> W^T [c, r]
 *   splitHalves(W [2h, c])        -> W_1 = W[0:h], W_2 = W[h:2h], W_1^T, W_2^T
 *
 * Why: the wasm backend's Transpose and Slice cost 20-30 us each on a 32 x 32 matrix (bench/profile-step.ts: kernel
 * overhead, and Slice reads its input back through readSync), several per training step; these loops take a few
 * microseconds. Pure copies, so results are bit-identical to tf.transpose and tf.slice (tested). Elsewhere
 * (other backends) the functions return null and callers use tf ops.
 */
import * as tf from "@tensorflow/tfjs";
import { GeneratedKernel, I32, heapOffset, loopWhile, moduleBytes, op, type Code } from "./asm";
import { ready } from "./rows";

// transpose: params src, dst, rows, cols; locals i, j, ps, pd. dst[j, i] = src[i, j], reading src in order.
function transposeCode(): Code {
  const [SRC, DST, ROWS, COLS] = [0, 1, 2, 3];
  const [I, J, PS, PD] = [4, 5, 6, 7];
  const body: Code = [...op.get(SRC), ...op.set(PS), ...op.i32(0), ...op.set(I)];
  const row: Code = [
    // pd = dst + 4 i; then step 4 rows per column
    ...op.get(DST), ...op.get(I), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(PD),
    ...op.i32(0), ...op.set(J),
    ...loopWhile(J, COLS, 1, [
      ...op.get(PD), ...op.get(PS), ...op.f32Load(0), ...op.f32Store(0),
      ...op.get(PS), ...op.i32(4), ...op.i32Add, ...op.set(PS),
      ...op.get(PD), ...op.get(ROWS), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(PD),
    ]),
  ];
  body.push(...loopWhile(I, ROWS, 1, row));
  return body;
}

// copy: params src, dst, count (floats); locals k, off
function copyCode(): Code {
  const [SRC, DST, COUNT] = [0, 1, 2];
  const [K, OFF] = [3, 4];
  return [
    ...op.i32(0), ...op.set(K),
    ...loopWhile(K, COUNT, 1, [
      ...op.get(K), ...op.i32(2), ...op.i32Shl, ...op.set(OFF),
      ...op.get(DST), ...op.get(OFF), ...op.i32Add,
      ...op.get(SRC), ...op.get(OFF), ...op.i32Add, ...op.f32Load(0),
      ...op.f32Store(0),
    ]),
  ];
}

const smallMatrixModule = () =>
  moduleBytes([
    { name: "transpose", params: [I32, I32, I32, I32], locals: [[4, I32]], body: transposeCode() },
    { name: "copy", params: [I32, I32, I32], locals: [[2, I32]], body: copyCode() },
  ]);

const transposeKernel = new GeneratedKernel<object>("RecsysTransposeSmall", () => smallMatrixModule(), (b, { x }, _a, ex) => {
  const [r, c] = x!.shape as [number, number];
  const out = b.makeOutput([c, r], "float32");
  ex("small").transpose!(heapOffset(b, x!), heapOffset(b, out), r, c);
  return out;
});

const splitKernel = new GeneratedKernel<object>("RecsysSplitHalves", () => smallMatrixModule(), (b, { x }, _a, ex) => {
  const [rows, c] = x!.shape as [number, number];
  const h = rows / 2;
  const fns = ex("small");
  const outs = [b.makeOutput([h, c], "float32"), b.makeOutput([h, c], "float32"), b.makeOutput([c, h], "float32"), b.makeOutput([c, h], "float32")];
  const src = heapOffset(b, x!);
  for (let k = 0; k < 2; k++) {
    fns.copy!(src + 4 * k * h * c, heapOffset(b, outs[k]!), h * c);
    fns.transpose!(src + 4 * k * h * c, heapOffset(b, outs[2 + k]!), h, c);
  }
  return outs;
});



/** W^T for a float32 matrix, or null (use tf.transpose). */
export function transposeSmall(w: tf.Tensor): tf.Tensor2D | null {
  if (w.rank !== 2 || w.dtype !== "float32" || !ready(transposeKernel, "small")) return null;
  return tf.engine().runKernel(transposeKernel.kernelName, { x: w }, {}) as tf.Tensor2D;
}

/** [W_1, W_2, W_1^T, W_2^T] for W = [W_1; W_2] ([2h, c], float32), or null (use tf.slice and tf.transpose). */
export function splitHalves(w: tf.Tensor): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] | null {
  if (w.rank !== 2 || w.shape[0]! % 2 !== 0 || w.dtype !== "float32" || !ready(splitKernel, "small")) return null;
  return tf.engine().runKernel(splitKernel.kernelName, { x: w }, {}) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

/** True when both kernels run here. */
export function smallMatrixKernelsReady(): boolean {
  return ready(transposeKernel, "small") && ready(splitKernel, "small");
}
