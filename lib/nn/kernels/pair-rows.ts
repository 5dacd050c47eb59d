/**
 * The two row kernels of a dense layer over a concatenated pair [p_u, q_i] computed per distinct row
 * (lib/models/factored-input.ts), WebAssembly SIMD on the wasm backend:
 *
 *   pairSumRelu(U [Tu, w], I [Ti, w], ids [rows, 2], b [w]) -> [rows, w]
 *       out[r] = relu(U[ids[r, 0]] + I[ids[r, 1]] + b)
 *   pairScatterAdd(ids [rows, 2], dA [rows, w], Tu, Ti)    -> [Tu, w], [Ti, w]
 *       dU[ids[r, 0]] += dA[r];  dI[ids[r, 1]] += dA[r]   (from zero)
 *
 *   gatherTwo(table [T, d], ids [nu + ni], nu)          -> table[ids[0:nu]], table[ids[nu:]]
 *   scatterAddTwo(ids [nu + ni], a [nu, d], b [ni, d], T) -> [T, d]: a's rows added at ids[0:nu], b's at ids[nu:]
 *       (gatherRows and scatterAddRows of rows.ts over two blocks, without a slice or a concat)
 *
 * U holds each distinct user's p_u W_u and I each distinct item's q_i W_i, so the first is the layer's forward and
 * the second sends its gradient back to those rows. w must be a multiple of 4. Ids are not range-checked: the
 * caller builds them. Elsewhere (other backends, other widths) the functions return null.
 */
import * as tf from "@tensorflow/tfjs";
import { GeneratedKernel, I32, V128, heapOffset, loopWhile, moduleBytes, op, type Code } from "./asm";
import { gatherModule, ready, rowOp, scatterModule as scatterRowsModule, zeroFill } from "./rows";

// params: U, I, ids, bias, out, rows; locals: r, pi, po, a, b (i32); bias vectors (v128)
function sumReluModule(w: number): Uint8Array {
  const [U, I, IDS, BIAS, OUT, ROWS] = [0, 1, 2, 3, 4, 5];
  const [R, PI, PO, A, B] = [6, 7, 8, 9, 10];
  const nv = w / 4;
  const BV = (c: number) => 11 + c;
  const body: Code = [];
  for (let c = 0; c < nv; c++) body.push(...op.get(BIAS), ...op.v128Load(16 * c), ...op.set(BV(c)));
  body.push(...op.get(IDS), ...op.set(PI), ...op.get(OUT), ...op.set(PO), ...op.i32(0), ...op.set(R));
  const rowPtr = (table: number, idOffset: number, local: number): Code => [...op.get(table), ...op.get(PI), ...op.i32Load(idOffset), ...op.i32(4 * w), ...op.i32Mul, ...op.i32Add, ...op.set(local)];
  const inner: Code = [...rowPtr(U, 0, A), ...rowPtr(I, 4, B)];
  for (let c = 0; c < nv; c++) {
    inner.push(
      ...op.get(PO),
      ...op.get(A), ...op.v128Load(16 * c), ...op.get(B), ...op.v128Load(16 * c), ...op.f32x4Add, ...op.get(BV(c)), ...op.f32x4Add,
      ...op.v128Zero, ...op.f32x4Max,
      ...op.v128Store(16 * c),
    );
  }
  inner.push(...op.get(PI), ...op.i32(8), ...op.i32Add, ...op.set(PI), ...op.get(PO), ...op.i32(4 * w), ...op.i32Add, ...op.set(PO));
  body.push(...loopWhile(R, ROWS, 1, inner));
  return moduleBytes([{ name: "run", params: [I32, I32, I32, I32, I32, I32], locals: [[5, I32], [nv, V128]], body }]);
}

// params: ids, dA, outU, outI, rows, bytesU, bytesI; locals: r, pi, pa, dst, p, end
function scatterModule(w: number): Uint8Array {
  const [IDS, DA, OUT_U, OUT_I, ROWS, BYTES_U, BYTES_I] = [0, 1, 2, 3, 4, 5, 6];
  const [R, PI, PA, DST, P, END] = [7, 8, 9, 10, 11, 12];
  const body: Code = [...zeroFill(OUT_U, BYTES_U, P, END), ...zeroFill(OUT_I, BYTES_I, P, END)];
  body.push(...op.get(IDS), ...op.set(PI), ...op.get(DA), ...op.set(PA), ...op.i32(0), ...op.set(R));
  const inner: Code = [];
  for (const [out, idOffset] of [[OUT_U, 0], [OUT_I, 4]] as const) {
    inner.push(...op.get(out), ...op.get(PI), ...op.i32Load(idOffset), ...op.i32(4 * w), ...op.i32Mul, ...op.i32Add, ...op.set(DST), ...rowOp(w, DST, PA, true));
  }
  inner.push(...op.get(PI), ...op.i32(8), ...op.i32Add, ...op.set(PI), ...op.get(PA), ...op.i32(4 * w), ...op.i32Add, ...op.set(PA));
  body.push(...loopWhile(R, ROWS, 1, inner));
  return moduleBytes([{ name: "run", params: [I32, I32, I32, I32, I32, I32, I32], locals: [[6, I32]], body }]);
}

const sumReluKernel = new GeneratedKernel<{ w: number }>("RecsysPairSumRelu", (key) => sumReluModule(Number(key)), (b, { users, items, ids, bias }, { w }, ex) => {
  const rows = ids!.shape[0]!;
  const out = b.makeOutput([rows, w], "float32");
  ex(String(w)).run!(heapOffset(b, users!), heapOffset(b, items!), heapOffset(b, ids!), heapOffset(b, bias!), heapOffset(b, out), rows);
  return out;
});

const scatterKernel = new GeneratedKernel<{ w: number; numUsers: number; numItems: number }>(
  "RecsysPairScatterAdd",
  (key) => scatterModule(Number(key)),
  (b, { ids, rows }, { w, numUsers, numItems }, ex) => {
    const du = b.makeOutput([numUsers, w], "float32");
    const di = b.makeOutput([numItems, w], "float32");
    ex(String(w)).run!(heapOffset(b, ids!), heapOffset(b, rows!), heapOffset(b, du), heapOffset(b, di), ids!.shape[0]!, numUsers * w * 4, numItems * w * 4);
    return [du, di];
  },
);

const gatherTwoKernel = new GeneratedKernel<{ d: number; split: number }>("RecsysGatherTwo", (key) => gatherModule(Number(key)), (b, { table, ids }, { d, split }, ex) => {
  const rest = ids!.shape[0]! - split;
  const first = b.makeOutput([split, d], "float32");
  const second = b.makeOutput([rest, d], "float32");
  const run = ex(String(d)).run!;
  run(heapOffset(b, table!), heapOffset(b, ids!), heapOffset(b, first), split);
  run(heapOffset(b, table!), heapOffset(b, ids!) + 4 * split, heapOffset(b, second), rest);
  return [first, second];
});

const scatterTwoKernel = new GeneratedKernel<{ d: number; numRows: number }>("RecsysScatterAddTwo", (key) => scatterRowsModule(Number(key)), (b, { ids, a, b: second }, { d, numRows }, ex) => {
  const out = b.makeOutput([numRows, d], "float32");
  const run = ex(String(d)).run!;
  const na = a!.shape[0]!;
  run(heapOffset(b, ids!), heapOffset(b, a!), heapOffset(b, out), na, numRows * d * 4);
  // Zero bytes to clear: the second block adds onto the first's.
  run(heapOffset(b, ids!) + 4 * na, heapOffset(b, second!), heapOffset(b, out), second!.shape[0]!, 0);
  return out;
});


// Layer outputs of width w: the SIMD loops take 4 floats at a time.
const readyAtWidth = (k: GeneratedKernel<never>, w: number) => w % 4 === 0 && ready(k, String(w));

/** True when all four kernels run here for tables of width d and layer outputs of width w (a multiple of 4). */
export function pairKernelsReady(d: number, w: number): boolean {
  return readyAtWidth(sumReluKernel as GeneratedKernel<never>, w) && readyAtWidth(scatterKernel as GeneratedKernel<never>, w) && ready(gatherTwoKernel, String(d)) && ready(scatterTwoKernel, String(d));
}

/** [table[ids[0:split]], table[ids[split:]]] in one call, or null (table float32 [T, d], ids int32 1-d). */
export function gatherTwo(table: tf.Tensor2D, ids: tf.Tensor1D, split: number): [tf.Tensor2D, tf.Tensor2D] | null {
  const d = table.shape[1];
  if (table.dtype !== "float32" || ids.dtype !== "int32" || !ready(gatherTwoKernel, String(d))) return null;
  return tf.engine().runKernel(gatherTwoKernel.kernelName, { table, ids }, { d, split } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor2D, tf.Tensor2D];
}

/** A zero [numRows, d] table with a's rows added at ids[0:a rows] and b's at the rest of ids, or null. */
export function scatterAddTwo(ids: tf.Tensor1D, a: tf.Tensor2D, b: tf.Tensor2D, numRows: number): tf.Tensor2D | null {
  const d = a.shape[1];
  if (b.shape[1] !== d || a.shape[0] + b.shape[0] !== ids.shape[0] || !ready(scatterTwoKernel, String(d))) return null;
  return tf.engine().runKernel(scatterTwoKernel.kernelName, { ids, a, b }, { d, numRows } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** relu(users[ids[r, 0]] + items[ids[r, 1]] + bias) for each row r. users [Tu, w], items [Ti, w], ids int32 [rows, 2], bias [w]. */
export function pairSumRelu(users: tf.Tensor2D, items: tf.Tensor2D, ids: tf.Tensor2D, bias: tf.Tensor): tf.Tensor2D | null {
  if (!readyAtWidth(sumReluKernel as GeneratedKernel<never>, users.shape[1])) return null;
  return tf.engine().runKernel(sumReluKernel.kernelName, { users, items, ids, bias }, { w: users.shape[1] } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** Zero [numUsers, w] and [numItems, w] tables with dA[r] added at ids[r, 0] in the first and ids[r, 1] in the second. */
export function pairScatterAdd(ids: tf.Tensor2D, dA: tf.Tensor2D, numUsers: number, numItems: number): [tf.Tensor2D, tf.Tensor2D] | null {
  if (!readyAtWidth(scatterKernel as GeneratedKernel<never>, dA.shape[1])) return null;
  const attrs = { w: dA.shape[1], numUsers, numItems } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(scatterKernel.kernelName, { ids, rows: dA }, attrs) as unknown as [tf.Tensor2D, tf.Tensor2D];
}
