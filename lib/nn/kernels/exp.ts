/**
 * exp on the wasm heap, 4 floats at a time (WebAssembly SIMD), for the [B, B] softmax of in-batch retrieval
 * losses: `rows x cols` values (cols a multiple of 4) are replaced in place by exp(x - max_r), and each row's sum
 * is written out. The backend's own Exp kernel and JavaScript's Math.exp take ~13 ns a value (one at a time);
 * this takes a fraction of that.
 *
 * The approximation is Cephes' expf: n = round(x log2 e), r = x - n ln 2 (in two parts), exp(r) by a degree-6
 * polynomial, times 2^n built in the float's exponent bits. Relative error below 2e-7 for x in [-87, 0] (tested
 * against Math.exp); below -87.3 the result is ~1e-38 (a softmax weight of zero).
 */
import { F32, I32, V128, instantiateOnBackend, moduleBytes, op, type Code, type KernelFn, type WasmBackendLike } from "./asm";

const simd = (code: number): Code => {
  const out: number[] = [0xfd];
  let v = code;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const f32const = (x: number): Code => {
  const b = new Uint8Array(new Float32Array([x]).buffer);
  return [0x43, ...b];
};
const F4 = { max: simd(0xe9), nearest: simd(0x6a), add: simd(0xe4), sub: simd(0xe5), mul: simd(0xe6), splat: simd(0x13), lane: (k: number) => [...simd(0x1f), k] };
const I4 = { splat: simd(0x11), add: simd(0xae), shl: simd(0xab), truncSat: simd(0xf8), eq: simd(0x37) };
const BITSELECT = simd(0x52);
const F32_MAX = [0x97];

/** exp of the v128 in local `x`, left on the stack. Uses local `n` (v128). */
function exp4(x: number, n: number): Code {
  const splat = (v: number) => [...f32const(v), ...F4.splat];
  const poly = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  const out: Code = [];
  // x = max(x, -87.3); n = nearest(x log2 e); x = x - n C1 - n C2
  out.push(...op.get(x), ...splat(-87.3), ...F4.max, ...op.set(x));
  out.push(...op.get(x), ...splat(Math.LOG2E), ...F4.mul, ...F4.nearest, ...op.set(n));
  out.push(...op.get(x), ...op.get(n), ...splat(0.693359375), ...F4.mul, ...F4.sub);
  out.push(...op.get(n), ...splat(-2.12194440e-4), ...F4.mul, ...F4.sub, ...op.set(x));
  // p = ((((c0 r + c1) r + c2) r + c3) r + c4) r + c5; y = p r^2 + r + 1
  out.push(...splat(poly[0]!));
  for (const c of poly.slice(1)) out.push(...op.get(x), ...F4.mul, ...splat(c), ...F4.add);
  out.push(...op.get(x), ...F4.mul, ...op.get(x), ...F4.mul, ...op.get(x), ...F4.add, ...splat(1), ...F4.add);
  // times 2^n: (int(n) + 127) << 23 as a float's bits
  out.push(...op.get(n), ...I4.truncSat, ...op.i32(127), ...I4.splat, ...I4.add, ...op.i32(23), ...I4.shl, ...F4.mul);
  return out;
}

/** exp_rows(ptr, rows, cols, maxPtr, sumPtr): byte pointers; cols a multiple of 4. */
export function expModuleBytes(): Uint8Array {
  const [PTR, ROWS, COLS, MAX, SUM] = [0, 1, 2, 3, 4];
  const [R, C, P, X, NV, ACC, M] = [5, 6, 7, 8, 9, 10, 11];
  const body: Code = [];
  body.push(...op.i32(0), ...op.set(R), ...op.get(PTR), ...op.set(P));
  body.push(...op.block, ...op.loop, ...op.get(R), ...op.get(ROWS), ...op.i32GeU, ...op.brIf(1));
  // m = splat(max[r]); acc = 0
  body.push(...op.get(MAX), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load(0), ...F4.splat, ...op.set(M));
  body.push(...op.v128Zero, ...op.set(ACC));
  body.push(...op.i32(0), ...op.set(C));
  body.push(...op.block, ...op.loop, ...op.get(C), ...op.get(COLS), ...op.i32GeU, ...op.brIf(1));
  body.push(...op.get(P), ...op.v128Load(0), ...op.get(M), ...F4.sub, ...op.set(X));
  body.push(...op.get(P), ...exp4(X, NV), ...op.tee(X), ...op.v128Store(0));
  body.push(...op.get(ACC), ...op.get(X), ...F4.add, ...op.set(ACC));
  body.push(...op.get(P), ...op.i32(16), ...op.i32Add, ...op.set(P));
  body.push(...op.get(C), ...op.i32(4), ...op.i32Add, ...op.set(C), ...op.br(0), ...op.end, ...op.end);
  // sum[r] = acc lanes 0 + 1 + 2 + 3
  body.push(...op.get(SUM), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add);
  body.push(...op.get(ACC), ...F4.lane(0), ...op.get(ACC), ...F4.lane(1), ...op.f32Add, ...op.get(ACC), ...F4.lane(2), ...op.f32Add, ...op.get(ACC), ...F4.lane(3), ...op.f32Add);
  body.push(...op.f32Store(0));
  body.push(...op.get(R), ...op.i32(1), ...op.i32Add, ...op.set(R), ...op.br(0), ...op.end, ...op.end);
  return moduleBytes([{ name: "exp_rows", params: [I32, I32, I32, I32, I32], locals: [[3, I32], [4, V128]], body }]);
}

/**
 * softmax_rows(s, out, rows, cols, logq, ids, maxOut, sumOut, invT): the first half of an in-batch softmax row by
 * row: z_rj = s_rj invT - logq_j, except accidental hits (ids_j = ids_r, j != r) set to -1e30; then
 * out_rj = exp(z_rj - max_r), max_r and sum_r written out. Byte pointers; cols a multiple of 4 and rows = cols.
 */
function softmaxRowsBody(): Code {
  const [S, OUT, ROWS, COLS, LQ, IDS, MAXO, SUMO, INVT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [R, C, P, Q, OWN] = [9, 10, 11, 12, 13];
  const [X, NV, ACC, M, IT, OWNV] = [14, 15, 16, 17, 18, 19];
  const [ZRR, MAX] = [20, 21];
  const splat = (v: number) => [...f32const(v), ...F4.splat];
  const b: Code = [];
  b.push(...op.get(INVT), ...F4.splat, ...op.set(IT));
  b.push(...op.i32(0), ...op.set(R));
  b.push(...op.block, ...op.loop, ...op.get(R), ...op.get(ROWS), ...op.i32GeU, ...op.brIf(1));
  // own = ids[r]; P = s + r * cols * 4; Q = out + r * cols * 4
  b.push(...op.get(IDS), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load(0), ...op.tee(OWN), ...I4.splat, ...op.set(OWNV));
  b.push(...op.get(R), ...op.get(COLS), ...op.i32Mul, ...op.i32(2), ...op.i32Shl, ...op.tee(P), ...op.get(OUT), ...op.i32Add, ...op.set(Q));
  b.push(...op.get(P), ...op.get(S), ...op.i32Add, ...op.set(P));
  b.push(...splat(-1e30), ...op.set(M));
  // pass 1: z with hits (and, for now, the diagonal) at -1e30; running max
  b.push(...op.i32(0), ...op.set(C));
  b.push(...op.block, ...op.loop, ...op.get(C), ...op.get(COLS), ...op.i32GeU, ...op.brIf(1));
  b.push(...op.get(Q), ...op.get(C), ...op.i32(2), ...op.i32Shl, ...op.i32Add); // address for the store
  b.push(...splat(-1e30));
  b.push(...op.get(P), ...op.get(C), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.v128Load(0), ...op.get(IT), ...F4.mul);
  b.push(...op.get(LQ), ...op.get(C), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.v128Load(0), ...F4.sub);
  b.push(...op.get(IDS), ...op.get(C), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.v128Load(0), ...op.get(OWNV), ...I4.eq);
  b.push(...BITSELECT, ...op.tee(X), ...op.v128Store(0));
  b.push(...op.get(M), ...op.get(X), ...F4.max, ...op.set(M));
  b.push(...op.get(C), ...op.i32(4), ...op.i32Add, ...op.set(C), ...op.br(0), ...op.end, ...op.end);
  // the diagonal: z_rr = s_rr invT - logq_r, written back; max = max(lanes of M, z_rr)
  b.push(...op.get(P), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load(0), ...op.get(INVT), ...op.f32Mul);
  b.push(...op.get(LQ), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load(0), ...op.f32Sub, ...op.set(ZRR));
  b.push(...op.get(Q), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.get(ZRR), ...op.f32Store(0));
  b.push(...op.get(M), ...F4.lane(0), ...op.get(M), ...F4.lane(1), ...F32_MAX, ...op.get(M), ...F4.lane(2), ...F32_MAX, ...op.get(M), ...F4.lane(3), ...F32_MAX);
  b.push(...op.get(ZRR), ...F32_MAX, ...op.set(MAX));
  b.push(...op.get(MAXO), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.get(MAX), ...op.f32Store(0));
  // pass 2: exp(z - max) in place, summed
  b.push(...op.get(MAX), ...F4.splat, ...op.set(M), ...op.v128Zero, ...op.set(ACC));
  b.push(...op.i32(0), ...op.set(C));
  b.push(...op.block, ...op.loop, ...op.get(C), ...op.get(COLS), ...op.i32GeU, ...op.brIf(1));
  b.push(...op.get(Q), ...op.get(C), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.tee(P), ...op.v128Load(0), ...op.get(M), ...F4.sub, ...op.set(X));
  b.push(...op.get(P), ...exp4(X, NV), ...op.tee(X), ...op.v128Store(0));
  b.push(...op.get(ACC), ...op.get(X), ...F4.add, ...op.set(ACC));
  b.push(...op.get(C), ...op.i32(4), ...op.i32Add, ...op.set(C), ...op.br(0), ...op.end, ...op.end);
  b.push(...op.get(SUMO), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add);
  b.push(...op.get(ACC), ...F4.lane(0), ...op.get(ACC), ...F4.lane(1), ...op.f32Add, ...op.get(ACC), ...F4.lane(2), ...op.f32Add, ...op.get(ACC), ...F4.lane(3), ...op.f32Add);
  b.push(...op.f32Store(0));
  b.push(...op.get(R), ...op.i32(1), ...op.i32Add, ...op.set(R), ...op.br(0), ...op.end, ...op.end);
  return b;
}

/** i8x16.shuffle of two v128 by f32 lanes (0-3: the first operand's, 4-7: the second's). */
const shuffle = (lanes: [number, number, number, number]): Code => [0xfd, 0x0d, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];

/**
 * scale_transpose(ds, dsT, n, k): ds[r, :] *= k[r] in place and dsT = ds^T, in 4 x 4 blocks (four row vectors
 * scaled, stored back, transposed with shuffles, stored as four column vectors): both stay cache-friendly. n a
 * multiple of 4; byte pointers.
 */
function scaleTransposeBody(): Code {
  const [DS, DST, N, K] = [0, 1, 2, 3];
  const [R, J, ROW, STRIDE] = [4, 5, 6, 7];
  const [A, B, C, D, T0, T1, T2, T3, K0, K1, K2, K3] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const b: Code = [];
  const rows = [A, B, C, D];
  const ks = [K0, K1, K2, K3];
  b.push(...op.get(N), ...op.i32(2), ...op.i32Shl, ...op.set(STRIDE)); // row stride in bytes
  b.push(...op.i32(0), ...op.set(R));
  b.push(...op.block, ...op.loop, ...op.get(R), ...op.get(N), ...op.i32GeU, ...op.brIf(1));
  for (let q = 0; q < 4; q++) b.push(...op.get(K), ...op.get(R), ...op.i32(q), ...op.i32Add, ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load(0), ...F4.splat, ...op.set(ks[q]!));
  // ROW = ds + r * stride
  b.push(...op.get(R), ...op.get(STRIDE), ...op.i32Mul, ...op.get(DS), ...op.i32Add, ...op.set(ROW));
  b.push(...op.i32(0), ...op.set(J));
  b.push(...op.block, ...op.loop, ...op.get(J), ...op.get(N), ...op.i32GeU, ...op.brIf(1));
  for (let q = 0; q < 4; q++) {
    // address ROW + q * stride + j * 4
    const addr: Code = [...op.get(ROW), ...op.get(STRIDE), ...op.i32(q), ...op.i32Mul, ...op.i32Add, ...op.get(J), ...op.i32(2), ...op.i32Shl, ...op.i32Add];
    b.push(...addr, ...addr, ...op.v128Load(0), ...op.get(ks[q]!), ...F4.mul, ...op.tee(rows[q]!), ...op.v128Store(0));
    void addr;
  }
  b.push(...op.get(A), ...op.get(B), ...shuffle([0, 4, 1, 5]), ...op.set(T0));
  b.push(...op.get(A), ...op.get(B), ...shuffle([2, 6, 3, 7]), ...op.set(T1));
  b.push(...op.get(C), ...op.get(D), ...shuffle([0, 4, 1, 5]), ...op.set(T2));
  b.push(...op.get(C), ...op.get(D), ...shuffle([2, 6, 3, 7]), ...op.set(T3));
  const cols: [number, number, [number, number, number, number]][] = [[T0, T2, [0, 1, 4, 5]], [T0, T2, [2, 3, 6, 7]], [T1, T3, [0, 1, 4, 5]], [T1, T3, [2, 3, 6, 7]]];
  cols.forEach(([x, y, lanes], q) => {
    // dsT + (j + q) * stride + r * 4
    b.push(...op.get(J), ...op.i32(q), ...op.i32Add, ...op.get(STRIDE), ...op.i32Mul, ...op.get(DST), ...op.i32Add, ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add);
    b.push(...op.get(x), ...op.get(y), ...shuffle(lanes), ...op.v128Store(0));
  });
  b.push(...op.get(J), ...op.i32(4), ...op.i32Add, ...op.set(J), ...op.br(0), ...op.end, ...op.end);
  b.push(...op.get(R), ...op.i32(4), ...op.i32Add, ...op.set(R), ...op.br(0), ...op.end, ...op.end);
  return b;
}

export function softmaxModuleBytes(): Uint8Array {
  return moduleBytes([
    { name: "softmax_rows", params: [I32, I32, I32, I32, I32, I32, I32, I32, F32], locals: [[5, I32], [6, V128], [2, F32]], body: softmaxRowsBody() },
    { name: "scale_transpose", params: [I32, I32, I32, I32], locals: [[4, I32], [12, V128]], body: scaleTransposeBody() },
  ]);
}

let instance: KernelFn | string | null = null;
let softmaxInstance: { rows: KernelFn; scaleTranspose: KernelFn } | string | null = null;

/** The exp_rows function on this backend's memory, or why not. */
export function expRowsFn(backend: WasmBackendLike): KernelFn | string {
  if (instance === null) {
    const e = instantiateOnBackend(backend, expModuleBytes());
    instance = typeof e === "string" ? e : e.exp_rows!;
  }
  return instance;
}

/** The softmax_rows and scale_transpose functions on this backend's memory, or why not. */
export function softmaxFns(backend: WasmBackendLike): { rows: KernelFn; scaleTranspose: KernelFn } | string {
  if (softmaxInstance === null) {
    const e = instantiateOnBackend(backend, softmaxModuleBytes());
    softmaxInstance = typeof e === "string" ? e : { rows: e.softmax_rows!, scaleTranspose: e.scale_transpose! };
  }
  return softmaxInstance;
}

