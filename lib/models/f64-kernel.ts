/**
 * The one hot loop of the blocked SPD inverse (spd-inverse.ts), on a float64 heap:
 *
 *   subNT:  C[r][c] -= sum_{t < len} A[r][t] * B[c][t]     for r < m, c < n
 *
 * (C -= A B^T, both operands read along their rows, so every inner loop is two contiguous streams). Offsets and
 * leading dimensions count float64 elements; m must be a multiple of 4, n and len multiples of 2.
 *
 * Two implementations with the same contract: WebAssembly SIMD (f64x2) generated with the kit's assembler
 * (lib/nn/kernels/asm.ts), and plain JavaScript (the fallback where SIMD is missing, and the test reference). Each
 * 4 x 2 tile keeps its 8 sums in registers while the 6 rows stream past: 6 loads per 8 multiply-adds instead of 2
 * per 1 for separate dot products. Measured in CPU time on one core of this machine (an AMD EPYC shared with other
 * jobs), 256 x 256 tiles of length 64-1024: the JavaScript tile 1.6-1.9 G multiply-adds/s, the SIMD tile 4.3-5.6
 * (unrolling its inner loop twice made it slower: more live vectors than registers). End-to-end times in
 * spd-inverse.ts.
 */
import { I32, V128, loopWhile, moduleBytes, op, uleb, validate, type Code } from "../nn/kernels/asm";

export interface F64Kernel {
  readonly kind: "wasm" | "js";
  /** The heap every offset refers to. */
  readonly heap: Float64Array;
  subNT(a: number, b: number, c: number, m: number, n: number, len: number, lda: number, ldb: number, ldc: number): void;
}

/** A kernel on a fresh heap of `length` float64 values (zeroed): wasm SIMD when the engine has it, unless `kind` says. */
export function createF64Kernel(length: number, kind: "auto" | "wasm" | "js" = "auto"): F64Kernel {
  if (kind !== "auto" && kind !== "wasm" && kind !== "js") throw new Error(`f64 kernel: kind must be "auto", "wasm" or "js", got ${JSON.stringify(kind)}`);
  if (kind !== "js") {
    const k = wasmKernel(length);
    if (typeof k !== "string") return k;
    if (kind === "wasm") throw new Error(`f64 kernel: WebAssembly SIMD is not available here (${k}); use kind "js" or "auto"`);
  }
  return jsKernel(new Float64Array(length));
}

/** The JavaScript version, 4 x 2 tiles with eight scalar accumulators. */
export function jsKernel(heap: Float64Array): F64Kernel {
  return {
    kind: "js",
    heap,
    subNT(a, b, c, m, n, len, lda, ldb, ldc) {
      const h = heap;
      for (let r = 0; r < m; r += 4) {
        const a0 = a + r * lda;
        const a1 = a0 + lda;
        const a2 = a1 + lda;
        const a3 = a2 + lda;
        for (let col = 0; col < n; col += 2) {
          const b0 = b + col * ldb;
          const b1 = b0 + ldb;
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0; // prettier-ignore
          for (let t = 0; t < len; t++) {
            const x0 = h[b0 + t]!;
            const x1 = h[b1 + t]!;
            let y = h[a0 + t]!;
            s00 += y * x0;
            s01 += y * x1;
            y = h[a1 + t]!;
            s10 += y * x0;
            s11 += y * x1;
            y = h[a2 + t]!;
            s20 += y * x0;
            s21 += y * x1;
            y = h[a3 + t]!;
            s30 += y * x0;
            s31 += y * x1;
          }
          const o = c + r * ldc + col;
          h[o]! -= s00;
          h[o + 1]! -= s01;
          h[o + ldc]! -= s10;
          h[o + ldc + 1]! -= s11;
          h[o + 2 * ldc]! -= s20;
          h[o + 2 * ldc + 1]! -= s21;
          h[o + 3 * ldc]! -= s30;
          h[o + 3 * ldc + 1]! -= s31;
        }
      }
    },
  };
}

// f64 and f64x2 opcodes (WebAssembly core and SIMD specifications) that asm.ts does not define.
const f64 = {
  load: (offset = 0): Code => [0x2b, 3, ...uleb(offset)],
  store: (offset = 0): Code => [0x39, 3, ...uleb(offset)],
  sub: [0xa1],
  add: [0xa0],
  x2Add: [0xfd, 0xf0, 0x01],
  x2Mul: [0xfd, 0xf2, 0x01],
  x2Lane: (lane: number): Code => [0xfd, 0x21, lane],
};

// Parameters (i32; pointers and strides in bytes) and locals of `subNT`.
const [A, B, C, M, N, LEN, LDA, LDB, LDC] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [R, COL, T, PA0, PA1, PA2, PA3, PB0, PB1, PC] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
const ACC = (r: number, c: number) => 19 + r * 2 + c; // 8 v128 sums
const [X0, X1, Y] = [27, 28, 29];

/** Body of subNT: the loops of jsKernel with f64x2 sums (each holds the even and odd t terms). */
function subNTCode(): Code {
  const add = (x: number, y: number): Code => [...op.get(x), ...op.get(y), ...op.i32Add];
  const inner: Code = [
    ...add(PB0, T), ...op.v128Load(), ...op.set(X0),
    ...add(PB1, T), ...op.v128Load(), ...op.set(X1),
  ]; // prettier-ignore
  [PA0, PA1, PA2, PA3].forEach((pa, r) => {
    inner.push(...add(pa, T), ...op.v128Load(), ...op.set(Y));
    for (const [c, x] of [[0, X0], [1, X1]] as const) {
      inner.push(...op.get(ACC(r, c)), ...op.get(Y), ...op.get(x), ...f64.x2Mul, ...f64.x2Add, ...op.set(ACC(r, c)));
    }
  });
  const tile: Code = [];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 2; c++) tile.push(...op.v128Zero, ...op.set(ACC(r, c)));
  tile.push(
    // pb0 = b + col * ldb; pb1 = pb0 + ldb
    ...op.get(B), ...op.get(COL), ...op.get(LDB), ...op.i32Mul, ...op.i32Add, ...op.set(PB0),
    ...add(PB0, LDB), ...op.set(PB1),
    ...op.i32(0), ...op.set(T),
    ...loopWhile(T, LEN, 16, inner),
    // pc = c + r * ldc + col * 8
    ...op.get(C), ...op.get(R), ...op.get(LDC), ...op.i32Mul, ...op.i32Add, ...op.get(COL), ...op.i32(8), ...op.i32Mul, ...op.i32Add, ...op.set(PC),
  ); // prettier-ignore
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 2; c++) {
      // C[r][c] -= lane0 + lane1; the row offset r * ldc is added to the address at run time.
      const addr: Code = [...op.get(PC), ...op.get(LDC), ...op.i32(r), ...op.i32Mul, ...op.i32Add];
      tile.push(...addr, ...addr, ...f64.load(8 * c));
      tile.push(...op.get(ACC(r, c)), ...f64.x2Lane(0), ...op.get(ACC(r, c)), ...f64.x2Lane(1), ...f64.add, ...f64.sub, ...f64.store(8 * c));
    }
  }
  const row: Code = [
    // pa0..pa3 = a + r * lda + k * lda
    ...op.get(A), ...op.get(R), ...op.get(LDA), ...op.i32Mul, ...op.i32Add, ...op.set(PA0),
    ...add(PA0, LDA), ...op.set(PA1),
    ...add(PA1, LDA), ...op.set(PA2),
    ...add(PA2, LDA), ...op.set(PA3),
    ...op.i32(0), ...op.set(COL),
    ...loopWhile(COL, N, 2, tile),
  ]; // prettier-ignore
  return [...op.i32(0), ...op.set(R), ...loopWhile(R, M, 4, row)];
}

/** Minimal typings of the WebAssembly JS API (the project's TypeScript lib has none). */
interface WasmApi {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const Wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | string | undefined;

/** The SIMD kernel on its own memory of `length` float64 values, or why it cannot run here. */
function wasmKernel(length: number): F64Kernel | string {
  if (!Wasm) return "no WebAssembly";
  if (compiled === undefined) {
    const bytes = moduleBytes([{ name: "subNT", params: new Array(9).fill(I32), locals: [[10, I32], [11, V128]], body: subNTCode() }]);
    compiled = validate(bytes) ? new Wasm.Module(bytes) : "the engine rejects WebAssembly SIMD";
  }
  if (typeof compiled === "string") return compiled;
  const bytes = length * 8;
  if (bytes > 2 ** 32 - 65536) return `${length} float64 values exceed the 4 GB of a WebAssembly memory`;
  const memory = new Wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const fn = new Wasm.Instance(compiled, { env: { memory } }).exports.subNT as (...args: number[]) => void;
  const heap = new Float64Array(memory.buffer, 0, length);
  return {
    kind: "wasm",
    heap,
    subNT(a, b, c, m, n, len, lda, ldb, ldc) {
      fn(a * 8, b * 8, c * 8, m, n, len * 8, lda * 8, ldb * 8, ldc * 8);
    },
  };
}
