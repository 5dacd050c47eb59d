/**
 * Row kernels for embedding tables on the wasm backend, WebAssembly SIMD (4 floats at a time):
 *
 *   gatherRows(table [R, D], ids [K])           -> [K, D]   out[k] = table[ids[k]]          (tf.gatherND)
 *   scatterAddRows(ids [K], rows [K, D], R)     -> [R, D]   out[ids[k]] += rows[k], from 0  (tf.scatterND)
 *   pairProductGrad(ids [B, 2], u [B, D], v [B, D], dz [B], w [D] | null, R) -> [R, D]
 *       out[ids[b, 0]] += (dz[b] w) * v[b];  out[ids[b, 1]] += (dz[b] w) * u[b]
 *     the table gradient of the elementwise product u * v weighted by w (GMF's output layer; w = 1 for MF's dot
 *     product), in one pass instead of a gather of the swapped pairs, two broadcast multiplies and a scatter.
 *   reluGrad(dh, h)                             -> dh where h > 0, else 0                  (dh * step(h))
 *   outputGradient(terms, dz)                   -> [sum_b terms_k[b] dz[b] ...; sum_b dz[b]] (the output layer)
 *
 * Why: the wasm backend's GatherNd and ScatterNd copy one float at a time, and its broadcasting multiplies take a
 * slow path; at batch 4096 these took ~1.5 ms of a NeuMF step (bench/profile-step.ts). Each kernel visits the rows
 * in the same order and does the same float operations as the tf ops it replaces, so results are bit-identical
 * (tested), except that reluGrad gives +0 where dh * 0 would give -0. Ids are not range-checked here: callers
 * check them on the host (see batch.ts). Elsewhere these functions return null and callers use tf ops.
 */
import * as tf from "@tensorflow/tfjs";
import { GeneratedKernel, I32, V128, heapOffset, loopWhile, moduleBytes, op, type Code, type WasmBackendLike } from "./asm";

/** Copy or add `d` floats from [src] to [dst] (pointers in locals); v128 for the multiple of 4, f32 for the rest. */
export function rowOp(d: number, dst: number, src: number, add: boolean): Code {
  const out: Code = [];
  const v = Math.floor(d / 4);
  for (let c = 0; c < v; c++) {
    out.push(...op.get(dst));
    if (add) out.push(...op.get(dst), ...op.v128Load(16 * c));
    out.push(...op.get(src), ...op.v128Load(16 * c));
    if (add) out.push(...op.f32x4Add);
    out.push(...op.v128Store(16 * c));
  }
  for (let c = 4 * v; c < d; c++) {
    out.push(...op.get(dst));
    if (add) out.push(...op.get(dst), ...op.f32Load(4 * c));
    out.push(...op.get(src), ...op.f32Load(4 * c));
    if (add) out.push(...op.f32Add);
    out.push(...op.f32Store(4 * c));
  }
  return out;
}

/** Zero `count` floats at [ptr] (count a multiple of 4 is not required). Uses locals ptr, end. */
export function zeroFill(ptrParam: number, countBytesLocal: number, p: number, end: number): Code {
  return [
    ...op.get(ptrParam), ...op.set(p),
    ...op.get(ptrParam), ...op.get(countBytesLocal), ...op.i32Add, ...op.set(end),
    // v128 stores while p + 16 <= end
    ...op.block, ...op.loop,
    ...op.get(p), ...op.i32(16), ...op.i32Add, ...op.get(end), ...[0x4b] /* i32.gt_u */, ...op.brIf(1),
    ...op.get(p), ...op.v128Zero, ...op.v128Store(0),
    ...op.get(p), ...op.i32(16), ...op.i32Add, ...op.set(p), ...op.br(0), ...op.end, ...op.end,
    // f32 stores for the rest
    ...op.block, ...op.loop,
    ...op.get(p), ...op.get(end), ...op.i32GeU, ...op.brIf(1),
    ...op.get(p), ...[0x43, 0, 0, 0, 0] /* f32.const 0 */, ...op.f32Store(0),
    ...op.get(p), ...op.i32(4), ...op.i32Add, ...op.set(p), ...op.br(0), ...op.end, ...op.end,
  ];
}

// gather: params table, ids, out, K; locals k, pi, po, src
export function gatherModule(d: number): Uint8Array {
  const [T, IDS, OUT, K] = [0, 1, 2, 3];
  const [KK, PI, PO, SRC] = [4, 5, 6, 7];
  const body: Code = [...op.get(IDS), ...op.set(PI), ...op.get(OUT), ...op.set(PO), ...op.i32(0), ...op.set(KK)];
  body.push(
    ...loopWhile(KK, K, 1, [
      ...op.get(T), ...op.get(PI), ...op.i32Load(0), ...op.i32(4 * d), ...op.i32Mul, ...op.i32Add, ...op.set(SRC),
      ...rowOp(d, PO, SRC, false),
      ...op.get(PI), ...op.i32(4), ...op.i32Add, ...op.set(PI),
      ...op.get(PO), ...op.i32(4 * d), ...op.i32Add, ...op.set(PO),
    ]),
  );
  return moduleBytes([{ name: "run", params: [I32, I32, I32, I32], locals: [[4, I32]], body }]);
}

// scatter-add: params ids, rows, out, K, outBytes; locals k, pi, pr, dst, p, end
export function scatterModule(d: number): Uint8Array {
  const [IDS, ROWS, OUT, K, BYTES] = [0, 1, 2, 3, 4];
  const [KK, PI, PR, DST, P, END] = [5, 6, 7, 8, 9, 10];
  const body: Code = [...zeroFill(OUT, BYTES, P, END), ...op.get(IDS), ...op.set(PI), ...op.get(ROWS), ...op.set(PR), ...op.i32(0), ...op.set(KK)];
  body.push(
    ...loopWhile(KK, K, 1, [
      ...op.get(OUT), ...op.get(PI), ...op.i32Load(0), ...op.i32(4 * d), ...op.i32Mul, ...op.i32Add, ...op.set(DST),
      ...rowOp(d, DST, PR, true),
      ...op.get(PI), ...op.i32(4), ...op.i32Add, ...op.set(PI),
      ...op.get(PR), ...op.i32(4 * d), ...op.i32Add, ...op.set(PR),
    ]),
  );
  return moduleBytes([{ name: "run", params: [I32, I32, I32, I32, I32], locals: [[6, I32]], body }]);
}

// pair-product grad (d a multiple of 4): params ids, u, v, dz, w, out, B, outBytes
// locals: b, pi, pu, pv, pz, dst, p, end (i32); s (v128), sw[c] (v128 per 4 floats), wv[c]
function pairGradModule(d: number, weighted: boolean): Uint8Array {
  const [IDS, U, V, DZ, WP, OUT, B, BYTES] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [BB, PI, PU, PV, PZ, DST, P, END] = [8, 9, 10, 11, 12, 13, 14, 15];
  const nv = d / 4;
  const S = 16;
  const SW = (c: number) => 17 + c;
  const WV = (c: number) => 17 + nv + c;
  const body: Code = [...zeroFill(OUT, BYTES, P, END)];
  if (weighted) for (let c = 0; c < nv; c++) body.push(...op.get(WP), ...op.v128Load(16 * c), ...op.set(WV(c)));
  body.push(...op.get(IDS), ...op.set(PI), ...op.get(U), ...op.set(PU), ...op.get(V), ...op.set(PV), ...op.get(DZ), ...op.set(PZ), ...op.i32(0), ...op.set(BB));
  const inner: Code = [...op.get(PZ), ...op.f32Load(0), ...op.f32x4Splat, ...op.set(S)];
  for (let c = 0; c < nv; c++) {
    inner.push(...op.get(S));
    if (weighted) inner.push(...op.get(WV(c)), ...op.f32x4Mul);
    inner.push(...op.set(SW(c)));
  }
  // out[ids[2b]] += sw * v[b]; out[ids[2b + 1]] += sw * u[b]
  for (const [idOffset, partner] of [[0, PV], [4, PU]] as const) {
    inner.push(...op.get(OUT), ...op.get(PI), ...op.i32Load(idOffset), ...op.i32(4 * d), ...op.i32Mul, ...op.i32Add, ...op.set(DST));
    for (let c = 0; c < nv; c++) {
      inner.push(...op.get(DST), ...op.get(DST), ...op.v128Load(16 * c), ...op.get(SW(c)), ...op.get(partner), ...op.v128Load(16 * c), ...op.f32x4Mul, ...op.f32x4Add, ...op.v128Store(16 * c));
    }
  }
  inner.push(...op.get(PI), ...op.i32(8), ...op.i32Add, ...op.set(PI));
  inner.push(...op.get(PU), ...op.i32(4 * d), ...op.i32Add, ...op.set(PU));
  inner.push(...op.get(PV), ...op.i32(4 * d), ...op.i32Add, ...op.set(PV));
  inner.push(...op.get(PZ), ...op.i32(4), ...op.i32Add, ...op.set(PZ));
  body.push(...loopWhile(BB, B, 1, inner));
  return moduleBytes([{ name: "run", params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: [[8, I32], [1 + 2 * nv, V128]], body }]);
}

// relu grad: params dh, h, out, n4 (elements, a multiple of 4 handled by v128; the rest by f32 in JS-free tail)
function reluModule(): Uint8Array {
  const [DH, H, OUT, N] = [0, 1, 2, 3];
  const [I, OFF, N4] = [4, 5, 6];
  const body: Code = [...op.get(N), ...op.i32(-4), ...op.i32And, ...op.set(N4), ...op.i32(0), ...op.set(I)];
  body.push(
    ...loopWhile(I, N4, 4, [
      ...op.get(I), ...op.i32(2), ...op.i32Shl, ...op.set(OFF),
      ...op.get(OUT), ...op.get(OFF), ...op.i32Add,
      ...op.get(DH), ...op.get(OFF), ...op.i32Add, ...op.v128Load(0),
      ...op.get(H), ...op.get(OFF), ...op.i32Add, ...op.v128Load(0), ...op.v128Zero, ...op.f32x4Gt,
      ...op.v128And, ...op.v128Store(0),
    ]),
  );
  // scalar tail: out = h > 0 ? dh : 0  (select)
  body.push(
    ...loopWhile(I, N, 1, [
      ...op.get(I), ...op.i32(2), ...op.i32Shl, ...op.set(OFF),
      ...op.get(OUT), ...op.get(OFF), ...op.i32Add,
      ...op.get(DH), ...op.get(OFF), ...op.i32Add, ...op.f32Load(0),
      ...[0x43, 0, 0, 0, 0],
      ...op.get(H), ...op.get(OFF), ...op.i32Add, ...op.f32Load(0), ...[0x43, 0, 0, 0, 0], ...[0x5e] /* f32.gt */,
      ...[0x1b] /* select */, ...op.f32Store(0),
    ]),
  );
  return moduleBytes([{ name: "run", params: [I32, I32, I32, I32], locals: [[3, I32]], body }]);
}

// output grad: out = [sum_b t0[b, :] dz[b]; sum_b t1[b, :] dz[b]; ...; sum_b dz[b]] for terms of widths w_k (multiples
// of 4). params: dz, t0, t1, ..., out, rows; locals: b, pz, p0, p1, ...; v128 s, acc per 4 floats; f32 bias acc.
function outputGradModule(widths: number[]): Uint8Array {
  const t = widths.length;
  const DZ = 0;
  const T = (k: number) => 1 + k;
  const OUT = 1 + t;
  const ROWS = 2 + t;
  const BB = 3 + t;
  const PZ = 4 + t;
  const P = (k: number) => 5 + t + k;
  const nv = widths.map((w) => w / 4);
  const totalV = nv.reduce((a, b) => a + b, 0);
  const S = 5 + 2 * t;
  const ACC = (k: number, c: number) => S + 1 + nv.slice(0, k).reduce((a, b) => a + b, 0) + c;
  const BIAS = S + 1 + totalV;
  const body: Code = [...op.get(DZ), ...op.set(PZ)];
  for (let k = 0; k < t; k++) body.push(...op.get(T(k)), ...op.set(P(k)));
  for (let k = 0; k < t; k++) for (let c = 0; c < nv[k]!; c++) body.push(...op.v128Zero, ...op.set(ACC(k, c)));
  body.push(...op.i32(0), ...op.set(BB));
  const inner: Code = [...op.get(PZ), ...op.f32Load(0), ...op.f32x4Splat, ...op.set(S)];
  inner.push(...op.get(BIAS), ...op.get(PZ), ...op.f32Load(0), ...op.f32Add, ...op.set(BIAS));
  for (let k = 0; k < t; k++) {
    for (let c = 0; c < nv[k]!; c++) inner.push(...op.get(ACC(k, c)), ...op.get(P(k)), ...op.v128Load(16 * c), ...op.get(S), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(ACC(k, c)));
    inner.push(...op.get(P(k)), ...op.i32(4 * widths[k]!), ...op.i32Add, ...op.set(P(k)));
  }
  inner.push(...op.get(PZ), ...op.i32(4), ...op.i32Add, ...op.set(PZ));
  body.push(...loopWhile(BB, ROWS, 1, inner));
  let o = 0;
  for (let k = 0; k < t; k++) {
    for (let c = 0; c < nv[k]!; c++) body.push(...op.get(OUT), ...op.get(ACC(k, c)), ...op.v128Store(4 * (o + 4 * c)));
    o += widths[k]!;
  }
  body.push(...op.get(OUT), ...op.get(BIAS), ...op.f32Store(4 * o));
  const params = Array.from({ length: 3 + t }, () => I32);
  return moduleBytes([{ name: "run", params, locals: [[2 + t, I32], [1 + totalV, V128], [1, 0x7d]], body }]);
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

const gatherKernel = new GeneratedKernel<{ d: number }>("RecsysGatherRows", (key) => gatherModule(Number(key)), (b, { table, ids }, { d }, ex) => {
  const k = sizeOf(ids!.shape);
  const out = b.makeOutput([k, d], "float32");
  ex(String(d)).run!(heapOffset(b, table!), heapOffset(b, ids!), heapOffset(b, out), k);
  return out;
});

const scatterKernel = new GeneratedKernel<{ d: number; numRows: number }>("RecsysScatterAddRows", (key) => scatterModule(Number(key)), (b, { ids, rows }, { d, numRows }, ex) => {
  const out = b.makeOutput([numRows, d], "float32");
  ex(String(d)).run!(heapOffset(b, ids!), heapOffset(b, rows!), heapOffset(b, out), sizeOf(ids!.shape), numRows * d * 4);
  return out;
});

const pairKernel = new GeneratedKernel<{ d: number; numRows: number; weighted: boolean }>(
  "RecsysPairProductGrad",
  (key) => pairGradModule(Number(key.split("/")[0]), key.endsWith("/w")),
  (b, { ids, u, v, dz, w }, { d, numRows, weighted }, ex) => {
    const out = b.makeOutput([numRows, d], "float32");
    const rows = u!.shape[0]!;
    ex(`${d}/${weighted ? "w" : "1"}`).run!(heapOffset(b, ids!), heapOffset(b, u!), heapOffset(b, v!), heapOffset(b, dz!), weighted ? heapOffset(b, w!) : 0, heapOffset(b, out), rows, numRows * d * 4);
    return out;
  },
);

const reluKernel = new GeneratedKernel<object>("RecsysReluGrad", () => reluModule(), (b, { dh, h }, _a, ex) => {
  const out = b.makeOutput([...dh!.shape], "float32");
  ex("relu").run!(heapOffset(b, dh!), heapOffset(b, h!), heapOffset(b, out), sizeOf(dh!.shape));
  return out;
});

const outputKernel = new GeneratedKernel<{ widths: number[] }>(
  "RecsysOutputGradSimd",
  (key) => outputGradModule(key.split(",").map(Number)),
  (b, inputs, { widths }, ex) => {
    const dz = inputs.dz!;
    const out = b.makeOutput([widths.reduce((a, c) => a + c, 0) + 1, 1], "float32");
    const terms = widths.map((_, k) => heapOffset(b, inputs[`t${k}`]!));
    ex(widths.join(",")).run!(heapOffset(b, dz), ...terms, heapOffset(b, out), dz.shape[0]!);
    return out;
  },
);

export const ROW_KERNELS = { gather: gatherKernel, scatter: scatterKernel, pair: pairKernel, relu: reluKernel, output: outputKernel };

/** Turn all row kernels off (true) or on. Returns the previous setting. */
export function disableRowKernels(off: boolean): boolean {
  const old = gatherKernel.disabled;
  for (const k of Object.values(ROW_KERNELS)) k.disabled = off;
  return old;
}

/** True when generated kernel `k` runs for shape `key` on the active TensorFlow.js backend (registering it on first use). */
export function ready(k: GeneratedKernel<never> | GeneratedKernel<object>, key: string): boolean {
  return (k as GeneratedKernel<object>).ready(tf.getBackend(), tf.backend() as unknown as WasmBackendLike, key, (c) => tf.registerKernel(c as tf.KernelConfig));
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

/** table[ids] as [ids.size, D], or null (use tf.gatherND). */
export function gatherRows(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor2D | null {
  const d = table.shape[1];
  if (table.dtype !== "float32" || ids.dtype !== "int32" || !ready(gatherKernel, String(d))) return null;
  return run(gatherKernel.kernelName, { table, ids }, { d }) as tf.Tensor2D;
}

/** Rows added into a zero [numRows, D] table at ids (rows: [ids.size, D] or any shape with that size), or null. */
export function scatterAddRows(ids: tf.Tensor, rows: tf.Tensor, numRows: number): tf.Tensor2D | null {
  const d = rows.size / ids.size;
  if (!Number.isInteger(d) || rows.dtype !== "float32" || ids.dtype !== "int32" || !ready(scatterKernel, String(d))) return null;
  return run(scatterKernel.kernelName, { ids, rows }, { d, numRows }) as tf.Tensor2D;
}

/** The table gradient of a weighted elementwise product (see the module comment), or null. ids: [B, 2] (any shape). */
export function pairProductGrad(ids: tf.Tensor, u: tf.Tensor2D, v: tf.Tensor2D, dz: tf.Tensor, w: tf.Tensor | null, numRows: number): tf.Tensor2D | null {
  const d = u.shape[1];
  if (d % 4 !== 0 || u.dtype !== "float32" || !ready(pairKernel, `${d}/${w ? "w" : "1"}`)) return null;
  const inputs: tf.NamedTensorMap = { ids, u, v, dz };
  if (w) inputs.w = w;
  return run(pairKernel.kernelName, inputs, { d, numRows, weighted: w !== null }) as tf.Tensor2D;
}

/** dh where h > 0, else 0 (relu backward through h = relu(a)), or null. */
export function reluGrad(dh: tf.Tensor, h: tf.Tensor): tf.Tensor | null {
  if (dh.dtype !== "float32" || dh.size !== h.size || !ready(reluKernel, "relu")) return null;
  return run(reluKernel.kernelName, { dh, h }, {});
}

/** Rows of a table by ids (any shape): the SIMD kernel on wasm, gatherND elsewhere. Result [ids.size, dim]. */
export function gatherTable(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor2D {
  return gatherRows(table, ids) ?? (tf.reshape(tf.gatherND(table, tf.reshape(ids, [-1, 1])), [ids.size, table.shape[1]]) as tf.Tensor2D);
}

/**
 * The output layer's gradient [sum_b terms[k][b, :] dz[b] for each k; sum_b dz[b]] ([sum of widths + 1, 1]) in one
 * SIMD pass, or null (widths must be multiples of 4). terms: [rows, w_k]; dz: [rows, 1].
 */
export function outputGradient(terms: tf.Tensor2D[], dz: tf.Tensor2D): tf.Tensor2D | null {
  const widths = terms.map((t) => t.shape[1]);
  if (widths.some((w) => w % 4 !== 0) || !ready(outputKernel, widths.join(","))) return null;
  const inputs: tf.NamedTensorMap = { dz };
  terms.forEach((t, k) => (inputs[`t${k}`] = t));
  return run(outputKernel.kernelName, inputs, { widths }) as tf.Tensor2D;
}
