/**
 * The full-ranking kernel: one WebAssembly SIMD module (built with the kit's assembler, lib/nn/kernels/asm.ts)
 * that scores users against every item and ranks each row in place, so the scores never leave the wasm memory
 * and no row is copied to JavaScript.
 *
 * Bit-identical to tf.matMul on the wasm backend: XNNPACK's f32 GEMM (what the wasm backend runs) computes each
 * score as acc = 0; acc = acc + a_d * b_d for d = 0, 1, ..., dim - 1, every product and sum rounded to float32
 * (no fused multiply-add in WebAssembly SIMD). `score4` does exactly that, 4 users x 8 items at a time (the item
 * matrix packed in panels of 8 items), with the dimension loop unrolled: the module is built per dim. The item bias
 * is added as JavaScript did it on the read-back scores (float64 sum, rounded to float32). test/eval/rank-kernel
 * checks all of this against tf.matMul.
 *
 * Functions (byte pointers into the one memory; see rank-layout.ts):
 * - score4(u0, u1, u2, u3, panels, numPanels, out, stride): rows out + r * stride (r = 0..3) get user r's scores.
 * - addBias(row, groups, bias): row[j] = f32(row[j] + bias[j]) for 4 * groups floats; bias is float64.
 * - countAtLeast(row, n, t, mask, maskLen, res): res[0] = |{j : row[j] >= t}| - |{masked m : row[m] >= t}|,
 *   res[1] = 1 if any row[j] is NaN. With one held-out item scored t this is its pessimistic rank (ranking.ts).
 * - stampMask(mask, maskLen, stamp, tag): stamp[mask[m]] = tag.
 * - topK(row, n, stamp, tag, k, items, scores, res): the k best items j with stamp[j] != tag, best first, ties to
 *   the lower index (selectTopK's order); res[2] = how many were found.
 */
import { F32, I32, V128, loopWhile, moduleBytes, op, type Code } from "../nn/kernels/asm";

/** Items per panel of the packed item matrix, and users per `score4` call. */
export const PANEL = 8;
export const TILE = 4;

/** The largest memory the module accepts (pages of 64 KiB): 4 GiB, wasm32's limit. */
const MAX_PAGES = 65536;

const addr = (base: number, index: number, shift = 2): Code => [...op.get(base), ...op.get(index), ...op.i32(shift), ...op.i32Shl, ...op.i32Add];
const inc = (local: number, by: number): Code => [...op.get(local), ...op.i32(by), ...op.i32Add, ...op.set(local)];

function score4(dim: number): Code {
  const [U0, PANELS, NUM, OUT, STRIDE] = [0, 1, 2, 3, 4];
  const [P, PP, B, UA, UEND, O0] = [5, 6, 7, 8, 9, 10]; // O0..O3 = 10..13
  const ACC = 14; // 8 v128: user r, half h at ACC + 2r + h
  const [B0, B1, A] = [22, 23, 24];
  const rowBytes = dim * 4;
  const body: Code = [];
  body.push(...op.get(PANELS), ...op.set(PP), ...op.i32(0), ...op.set(P));
  for (let r = 0; r < TILE; r++) body.push(...op.get(OUT), ...op.get(STRIDE), ...op.i32(r), ...op.i32Mul, ...op.i32Add, ...op.set(O0 + r));
  const panel: Code = [];
  for (let a = 0; a < 2 * TILE; a++) panel.push(...op.v128Zero, ...op.set(ACC + a));
  // One step of the dimension loop: local B walks the panel (32 bytes a step), UA the user rows (4 bytes a step).
  const step = (bOff: number, uOff: number): Code => {
    const code: Code = [...op.get(B), ...op.v128Load(bOff), ...op.set(B0), ...op.get(B), ...op.v128Load(bOff + 16), ...op.set(B1)];
    for (let r = 0; r < TILE; r++) {
      code.push(...op.get(UA), ...op.v128Load32Splat(uOff + r * rowBytes), ...op.set(A));
      for (let h = 0; h < 2; h++) {
        // acc = acc + a * b: XNNPACK's order of operations, rounded the same way.
        code.push(...op.get(ACC + 2 * r + h), ...op.get(A), ...op.get(h ? B1 : B0), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(ACC + 2 * r + h));
      }
    }
    return code;
  };
  // A loop of single steps, not `dim` unrolled ones: TurboFan schedules a long straight line of loads early and
  // spills the accumulators (fully unrolled ran ~3x slower than XNNPACK, 4 steps per iteration ~1.3x slower, one
  // step ~1.8x faster; bench/eval.ts, ML-1M size).
  panel.push(...op.get(PP), ...op.set(B), ...op.get(U0), ...op.set(UA), ...op.get(U0), ...op.i32(dim * 4), ...op.i32Add, ...op.set(UEND));
  panel.push(...loopWhile(UA, UEND, 4, [...step(0, 0), ...inc(B, 32)]));
  for (let r = 0; r < TILE; r++) {
    panel.push(...op.get(O0 + r), ...op.get(ACC + 2 * r), ...op.v128Store(0));
    panel.push(...op.get(O0 + r), ...op.get(ACC + 2 * r + 1), ...op.v128Store(16));
    panel.push(...inc(O0 + r, 32));
  }
  panel.push(...inc(PP, dim * 32));
  body.push(...loopWhile(P, NUM, 1, panel));
  return body;
}

function addBias(): Code {
  const [ROW, GROUPS, BIAS] = [0, 1, 2];
  const [G, V] = [3, 4];
  const hi = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
  const join = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const step: Code = [
    ...op.get(ROW), ...op.v128Load(0), ...op.set(V),
    ...op.get(ROW),
    ...op.get(V), ...op.f64x2PromoteLowF32x4, ...op.get(BIAS), ...op.v128Load(0), ...op.f64x2Add, ...op.f32x4DemoteF64x2Zero,
    ...op.get(V), ...op.get(V), ...op.i8x16Shuffle(hi), ...op.f64x2PromoteLowF32x4, ...op.get(BIAS), ...op.v128Load(16), ...op.f64x2Add, ...op.f32x4DemoteF64x2Zero,
    ...op.i8x16Shuffle(join),
    ...op.v128Store(0),
    ...inc(ROW, 16), ...inc(BIAS, 32),
  ];
  return [...op.i32(0), ...op.set(G), ...loopWhile(G, GROUPS, 1, step)];
}

function countAtLeast(): Code {
  const [ROW, N, T, MASK, MASK_LEN, RES] = [0, 1, 2, 3, 4, 5];
  const [P, END, C, NAN, M, S, CNT, NANV, TV, V] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const body: Code = [...op.get(T), ...op.f32x4Splat, ...op.set(TV), ...op.v128Zero, ...op.set(CNT), ...op.v128Zero, ...op.set(NANV)];
  body.push(...op.i32(0), ...op.set(C), ...op.i32(0), ...op.set(NAN), ...op.get(ROW), ...op.set(P));
  // Four at a time: a true lane of f32x4.ge is -1, so subtracting the mask counts.
  body.push(...op.get(N), ...op.i32(-4), ...op.i32And, ...op.i32(2), ...op.i32Shl, ...op.get(ROW), ...op.i32Add, ...op.set(END));
  body.push(
    ...loopWhile(P, END, 16, [
      ...op.get(P), ...op.v128Load(0), ...op.set(V),
      ...op.get(CNT), ...op.get(V), ...op.get(TV), ...op.f32x4Ge, ...op.i32x4Sub, ...op.set(CNT),
      ...op.get(NANV), ...op.get(V), ...op.get(V), ...op.f32x4Ne, ...op.v128Or, ...op.set(NANV),
    ]),
  );
  body.push(...addr(ROW, N), ...op.set(END));
  body.push(
    ...loopWhile(P, END, 4, [
      ...op.get(P), ...op.f32Load(0), ...op.set(S),
      ...op.get(C), ...op.get(S), ...op.get(T), ...op.f32Ge, ...op.i32Add, ...op.set(C),
      ...op.get(NAN), ...op.get(S), ...op.get(S), ...op.f32Ne, ...op.i32Or, ...op.set(NAN),
    ]),
  );
  // Masked items are not candidates.
  body.push(...op.i32(0), ...op.set(M));
  body.push(
    ...loopWhile(M, MASK_LEN, 1, [
      ...op.get(C),
      ...op.get(ROW), ...addr(MASK, M), ...op.i32Load(0), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load(0),
      ...op.get(T), ...op.f32Ge, ...op.i32Sub, ...op.set(C),
    ]),
  );
  body.push(...op.get(RES), ...op.get(C));
  for (let l = 0; l < 4; l++) body.push(...op.get(CNT), ...op.i32x4ExtractLane(l), ...op.i32Add);
  body.push(...op.i32Store(0));
  body.push(...op.get(RES), ...op.get(NAN), ...op.get(NANV), ...op.v128AnyTrue, ...op.i32Or, ...op.i32Store(4));
  return body;
}

function stampMask(): Code {
  const [MASK, LEN, STAMP, TAG, M] = [0, 1, 2, 3, 4];
  return [...op.i32(0), ...op.set(M), ...loopWhile(M, LEN, 1, [...op.get(STAMP), ...addr(MASK, M), ...op.i32Load(0), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.get(TAG), ...op.i32Store(0)])];
}

function topK(): Code {
  const [ROW, N, STAMP, TAG, K, ITEMS, SCORES, RES] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [J, SIZE, P, Q, END, S, WORST, WV] = [8, 9, 10, 11, 12, 13, 14, 15];
  /**
   * Insert (S, item J) into the sorted slots [0, P]: slots holding a smaller score move down one; an equal score
   * stays ahead (it has a lower index). P = size (filling) or k - 1 (full: the worst is dropped).
   */
  const insert: Code = [
    ...op.block, ...op.loop,
    ...op.get(P), ...op.i32Eqz, ...op.brIf(1),
    ...addr(SCORES, P), ...op.set(Q),
    ...op.get(Q), ...op.i32(4), ...op.i32Sub, ...op.f32Load(0), ...op.get(S), ...op.f32Lt, ...op.i32Eqz, ...op.brIf(1),
    ...op.get(Q), ...op.get(Q), ...op.i32(4), ...op.i32Sub, ...op.f32Load(0), ...op.f32Store(0),
    ...addr(ITEMS, P), ...op.set(Q),
    ...op.get(Q), ...op.get(Q), ...op.i32(4), ...op.i32Sub, ...op.i32Load(0), ...op.i32Store(0),
    ...op.get(P), ...op.i32(1), ...op.i32Sub, ...op.set(P),
    ...op.br(0),
    ...op.end, ...op.end,
    ...addr(SCORES, P), ...op.get(S), ...op.f32Store(0),
    ...addr(ITEMS, P), ...op.get(J), ...op.i32Store(0),
  ];
  const notMasked: Code = [...addr(STAMP, J), ...op.i32Load(0), ...op.get(TAG), ...op.i32Ne];
  const loadWorst: Code = [...op.get(SCORES), ...op.get(K), ...op.i32(1), ...op.i32Sub, ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load(0), ...op.set(WORST)];
  // One candidate J (score S) once the slots are full: in when it beats the worst kept and is not masked.
  const offer: Code = [
    ...op.get(S), ...op.get(WORST), ...op.f32Gt, ...op.if,
    ...notMasked, ...op.if,
    ...op.get(K), ...op.i32(1), ...op.i32Sub, ...op.set(P), ...insert, ...loadWorst,
    ...op.end,
    ...op.end,
  ];
  const loadS: Code = [...addr(ROW, J), ...op.f32Load(0), ...op.set(S)];
  const body: Code = [...op.i32(0), ...op.set(J), ...op.i32(0), ...op.set(SIZE)];
  // Fill: the first k candidates go in whatever their scores.
  body.push(
    ...op.block, ...op.loop,
    ...op.get(J), ...op.get(N), ...op.i32GeU, ...op.brIf(1),
    ...op.get(SIZE), ...op.get(K), ...op.i32GeU, ...op.brIf(1),
    ...loadS, ...notMasked, ...op.if, ...op.get(SIZE), ...op.set(P), ...insert, ...inc(SIZE, 1), ...op.end,
    ...inc(J, 1), ...op.br(0),
    ...op.end, ...op.end,
  );
  body.push(...op.get(RES), ...op.get(SIZE), ...op.i32Store(8));
  // Full: almost every score fails `> worst`; test four at a time and look closer only when one passes.
  // (When fewer than k candidates exist J = N already and nothing below runs.)
  body.push(...loadWorst, ...op.get(WORST), ...op.f32x4Splat, ...op.set(WV));
  body.push(...op.get(N), ...op.i32(3), ...op.i32Sub, ...op.set(END));
  const lanes: Code = [];
  for (let l = 0; l < 4; l++) lanes.push(...loadS, ...offer, ...inc(J, 1));
  body.push(
    ...op.block, ...op.loop,
    ...op.get(J), ...op.get(END), ...op.i32GeS, ...op.brIf(1),
    ...addr(ROW, J), ...op.v128Load(0), ...op.get(WV), ...op.f32x4Gt, ...op.v128AnyTrue,
    ...op.if, ...lanes, ...op.get(WORST), ...op.f32x4Splat, ...op.set(WV), ...op.else, ...inc(J, 4), ...op.end,
    ...op.br(0),
    ...op.end, ...op.end,
  );
  body.push(...op.block, ...op.loop, ...op.get(J), ...op.get(N), ...op.i32GeS, ...op.brIf(1), ...loadS, ...offer, ...inc(J, 1), ...op.br(0), ...op.end, ...op.end);
  return body;
}

/** The module for one factor dimension, importing a shared memory. */
export function rankModuleBytes(dim: number, shared = true): Uint8Array {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`rank kernel: dim must be a positive integer, got ${dim}`);
  return moduleBytes(
    [
      { name: "score4", params: [I32, I32, I32, I32, I32], locals: [[9, I32], [11, V128]], body: score4(dim) },
      { name: "addBias", params: [I32, I32, I32], locals: [[1, I32], [1, V128]], body: addBias() },
      { name: "countAtLeast", params: [I32, I32, F32, I32, I32, I32], locals: [[5, I32], [1, F32], [4, V128]], body: countAtLeast() },
      { name: "stampMask", params: [I32, I32, I32, I32], locals: [[1, I32]], body: stampMask() },
      { name: "topK", params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: [[5, I32], [2, F32], [1, V128]], body: topK() },
    ],
    shared ? { minPages: 1, maxPages: MAX_PAGES } : undefined,
  );
}

/** The kernel's functions, bound to one memory. */
export interface RankKernel {
  score4(users: number, panels: number, numPanels: number, out: number, stride: number): void;
  addBias(row: number, groups: number, bias: number): void;
  countAtLeast(row: number, n: number, t: number, mask: number, maskLen: number, res: number): void;
  stampMask(mask: number, maskLen: number, stamp: number, tag: number): void;
  topK(row: number, n: number, stamp: number, tag: number, k: number, items: number, scores: number, res: number): void;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** A shared memory of `pages` pages (fixed size). */
export function sharedMemory(pages: number): { buffer: SharedArrayBuffer } {
  if (pages > MAX_PAGES) throw new Error(`full-ranking kernel: needs ${pages} pages of 64 KiB, more than wasm32's 4 GiB; evaluate fewer users at a time (options.users)`);
  return new Wasm.Memory({ initial: pages, maximum: pages, shared: true });
}

let available: boolean | undefined;

/** Whether this engine runs the kernel (WebAssembly SIMD and shared memory); evaluators fall back to tf ops if not. */
export function rankKernelAvailable(): boolean {
  if (available === undefined) {
    try {
      available = typeof SharedArrayBuffer === "function" && Wasm.validate(rankModuleBytes(1));
    } catch {
      available = false;
    }
  }
  return available;
}

// Compiled once per dim and thread (compiling unrolls dim steps; instantiating is cheap).
const compiled = new Map<number, object>();

/** The kernel for `dim` on `memory` (a memory from sharedMemory, possibly made by another thread). */
export function rankKernel(dim: number, memory: object): RankKernel {
  let m = compiled.get(dim);
  if (!m) compiled.set(dim, (m = new Wasm.Module(rankModuleBytes(dim))));
  return new Wasm.Instance(m, { env: { memory } }).exports as unknown as RankKernel;
}
