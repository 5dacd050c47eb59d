/**
 * Weighted bags of table rows on the wasm heap, 4 floats at a time (WebAssembly SIMD), for the tower-input kernels
 * (tower.ts): the pooled history, genres and title tokens of a two-tower batch.
 *
 *   bag_gather(table, ids, weights, out, n, width, outStride, outCol)
 *       out[r, col .. col + d) = sum_l weights[r, l] table[ids[r, l]]        (padding slots have weight 0)
 *   bag_scatter(grad, ids, weights, dx, n, width, dxStride, dxCol)
 *       grad[ids[r, l]] += weights[r, l] dx[r, col .. col + d)               (grad zeroed by the caller)
 *
 * One module per row size d (a multiple of 4), with the d floats of a row held in d / 4 vector registers. Byte
 * pointers; strides and columns in floats. Padding slots (weight 0) are skipped.
 */
import { I32, V128, instantiateOnBackend, moduleBytes, op, type Code, type KernelFn, type WasmBackendLike } from "./asm";

const F4_ADD = [0xfd, 0xe4, 0x01];
const F4_MUL = [0xfd, 0xe6, 0x01];
const F4_SPLAT = [0xfd, 0x13];
const F32_EQ = [0x5b];
const F32_CONST0 = [0x43, 0, 0, 0, 0];

function bagModule(d: number): Uint8Array {
  const v = d / 4;
  // params: TABLE, IDS, W, OUT, N, WIDTH, STRIDE, COL; locals: R, L, ROWP, WP, IP, SRC (i32), then v accumulators + WS (v128)
  const [TABLE, IDS, W, OUT, N, WIDTH, STRIDE, COL] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [R, L, ROWP, WP, IP, SRC] = [8, 9, 10, 11, 12, 13];
  const ACC = 14; // ACC .. ACC + v - 1
  const WS = ACC + v;
  const WF = WS + 1; // f32 local
  const gather: Code = [];
  const scatter: Code = [];
  const mulAddr = (a: number, b: number): Code => [...op.get(a), ...op.get(b), ...op.i32Mul];

  for (const [body, isGather] of [[gather, true], [scatter, false]] as const) {
    body.push(...op.i32(0), ...op.set(R));
    body.push(...op.block, ...op.loop, ...op.get(R), ...op.get(N), ...op.i32GeU, ...op.brIf(1));
    // ROWP = byte address of row r's block in OUT/DX: base + (r * STRIDE + COL) * 4
    body.push(...mulAddr(R, STRIDE), ...op.get(COL), ...op.i32Add, ...op.i32(2), ...op.i32Shl, ...op.get(OUT), ...op.i32Add, ...op.set(ROWP));
    // WP, IP = byte addresses of row r's weights and ids
    body.push(...mulAddr(R, WIDTH), ...op.i32(2), ...op.i32Shl, ...op.tee(WP), ...op.get(IDS), ...op.i32Add, ...op.set(IP));
    body.push(...op.get(WP), ...op.get(W), ...op.i32Add, ...op.set(WP));
    if (isGather) for (let k = 0; k < v; k++) body.push(...op.v128Zero, ...op.set(ACC + k));
    else for (let k = 0; k < v; k++) body.push(...op.get(ROWP), ...op.v128Load(16 * k), ...op.set(ACC + k));
    body.push(...op.i32(0), ...op.set(L));
    body.push(...op.block, ...op.loop, ...op.get(L), ...op.get(WIDTH), ...op.i32GeU, ...op.brIf(1));
    // w = weights[r, l]; skip when 0
    body.push(...op.get(WP), ...op.f32Load(0), ...op.set(WF));
    body.push(...op.block, ...op.get(WF), ...F32_CONST0, ...F32_EQ, ...op.brIf(0));
    body.push(...op.get(WF), ...F4_SPLAT, ...op.set(WS));
    // SRC = table/grad + ids[r, l] * d * 4
    body.push(...op.get(IP), ...op.i32Load(0), ...op.i32(d * 4), ...op.i32Mul, ...op.get(TABLE), ...op.i32Add, ...op.set(SRC));
    for (let k = 0; k < v; k++) {
      if (isGather) {
        body.push(...op.get(ACC + k), ...op.get(SRC), ...op.v128Load(16 * k), ...op.get(WS), ...F4_MUL, ...F4_ADD, ...op.set(ACC + k));
      } else {
        body.push(...op.get(SRC), ...op.get(SRC), ...op.v128Load(16 * k), ...op.get(ACC + k), ...op.get(WS), ...F4_MUL, ...F4_ADD, ...op.v128Store(16 * k));
      }
    }
    body.push(...op.end);
    body.push(...op.get(WP), ...op.i32(4), ...op.i32Add, ...op.set(WP));
    body.push(...op.get(IP), ...op.i32(4), ...op.i32Add, ...op.set(IP));
    body.push(...op.get(L), ...op.i32(1), ...op.i32Add, ...op.set(L), ...op.br(0), ...op.end, ...op.end);
    if (isGather) for (let k = 0; k < v; k++) body.push(...op.get(ROWP), ...op.get(ACC + k), ...op.v128Store(16 * k));
    body.push(...op.get(R), ...op.i32(1), ...op.i32Add, ...op.set(R), ...op.br(0), ...op.end, ...op.end);
  }
  const params = [I32, I32, I32, I32, I32, I32, I32, I32];
  const locals: [number, number][] = [[6, I32], [v + 1, V128], [1, 0x7d]];
  return moduleBytes([
    { name: "bag_gather", params, locals, body: gather },
    { name: "bag_scatter", params, locals, body: scatter },
  ]);
}

const modules = new Map<number, { gather: KernelFn; scatter: KernelFn } | string>();

/** The two functions for rows of size d on this backend's memory, or why not (d not a multiple of 4, no SIMD). */
export function bagFunctions(backend: WasmBackendLike, d: number): { gather: KernelFn; scatter: KernelFn } | string {
  if (d % 4 !== 0 || d > 256) return `row size ${d} is not a multiple of 4 up to 256`;
  let m = modules.get(d);
  if (m === undefined) {
    const e = instantiateOnBackend(backend, bagModule(d));
    m = typeof e === "string" ? e : { gather: e.bag_gather!, scatter: e.bag_scatter! };
    modules.set(d, m);
  }
  return m;
}
