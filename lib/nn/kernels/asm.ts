/**
 * A minimal WebAssembly assembler: just the instructions the kernels of this folder need, encoded per the
 * WebAssembly core and SIMD specifications, and the glue to run a module on the wasm backend's own memory.
 *
 * Kernels built with it (wasm-adam in lib/train, weight-grad here) read and write tensors in place in the wasm
 * backend's heap (by byte offset) and are registered as ordinary TensorFlow.js kernels for the "wasm" backend, so
 * the engine tracks their outputs like any other. Each kernel has a tf-op fallback and a test that compares the two.
 */

export type Code = number[];

/** Unsigned LEB128. */
export function uleb(n: number): Code {
  const out: Code = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32). */
export function sleb(n: number): Code {
  const out: Code = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export const vec = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
const name = (s: string): Code => vec([...Buffer.from(s, "utf8")].map((b) => [b]));
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Instructions. */
export const op = {
  get: (i: number): Code => [0x20, ...uleb(i)],
  set: (i: number): Code => [0x21, ...uleb(i)],
  tee: (i: number): Code => [0x22, ...uleb(i)],
  i32: (v: number): Code => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  i32LtU: [0x49],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  /** f32.load with a constant byte offset. */
  f32Load: (offset = 0): Code => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset = 0): Code => [0x38, 2, ...uleb(offset)],
  v128Load: (offset = 0): Code => [0xfd, ...uleb(0x00), 0, ...uleb(offset)],
  v128Store: (offset = 0): Code => [0xfd, ...uleb(0x0b), 0, ...uleb(offset)],
  f32x4Splat: [0xfd, ...uleb(0x13)],
  f32x4Sqrt: [0xfd, ...uleb(0xe3)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
  f32x4Max: [0xfd, ...uleb(0xe9)],
  i32Load: (offset = 0): Code => [0x28, 2, ...uleb(offset)],
  f32x4Gt: [0xfd, ...uleb(0x44)],
  v128And: [0xfd, ...uleb(0x4e)],
  /** v128.const of four zero floats. */
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array(16).fill(0)],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
  // For the full-ranking kernel (lib/eval/rank-kernel.ts).
  i32Eqz: [0x45],
  i32Eq: [0x46],
  i32Ne: [0x47],
  i32LtS: [0x48],
  i32GtS: [0x4a],
  i32GeS: [0x4e],
  i32Or: [0x72],
  i32Store: (offset = 0): Code => [0x36, 2, ...uleb(offset)],
  f32Lt: [0x5d],
  f32Gt: [0x5e],
  f32Ge: [0x60],
  f32Ne: [0x5c],
  if: [0x04, 0x40],
  else: [0x05],
  /** Load one float and splat it to the four lanes. */
  v128Load32Splat: (offset = 0): Code => [0xfd, ...uleb(0x09), 2, ...uleb(offset)],
  v128Or: [0xfd, ...uleb(0x50)],
  v128AnyTrue: [0xfd, ...uleb(0x53)],
  /** i8x16.shuffle with its 16 lane indices (0-15 the first operand, 16-31 the second). */
  i8x16Shuffle: (lanes: number[]): Code => [0xfd, ...uleb(0x0d), ...lanes],
  i32x4ExtractLane: (lane: number): Code => [0xfd, ...uleb(0x1b), lane],
  i32x4Add: [0xfd, ...uleb(0xae)],
  i32x4Sub: [0xfd, ...uleb(0xb1)],
  f32x4Ne: [0xfd, ...uleb(0x42)],
  f32x4Ge: [0xfd, ...uleb(0x46)],
  f32x4DemoteF64x2Zero: [0xfd, ...uleb(0x5e)],
  f64x2PromoteLowF32x4: [0xfd, ...uleb(0x5f)],
  f64x2Add: [0xfd, ...uleb(0xf0)],
} as const;

/** `while (counter < limit) { body; counter += step }` with i32 locals. */
export function loopWhile(counter: number, limit: number, step: number, body: Code): Code {
  return [
    ...op.block,
    ...op.loop,
    ...op.get(counter),
    ...op.get(limit),
    ...op.i32GeU,
    ...op.brIf(1),
    ...body,
    ...op.get(counter),
    ...op.i32(step),
    ...op.i32Add,
    ...op.set(counter),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

export interface FunctionDef {
  name: string;
  params: number[];
  /** Extra locals as [count, type] groups (indices continue after the params). */
  locals: [number, number][];
  body: Code;
  /** Result types. Default: none. */
  results?: number[];
}

/** A shared memory import (for worker threads that all run on one memory): its size limits in 64 KiB pages. */
export interface SharedMemoryLimits {
  minPages: number;
  maxPages: number;
}

/** A module importing env.memory (shared when `shared` is given) and exporting the given functions. */
export function moduleBytes(functions: FunctionDef[], shared?: SharedMemoryLimits): Uint8Array {
  const typeOf = (f: FunctionDef) => [0x60, ...vec(f.params.map((p) => [p])), ...vec((f.results ?? []).map((r) => [r]))];
  const types = section(1, vec(functions.map(typeOf)));
  const limits = shared ? [0x03, ...uleb(shared.minPages), ...uleb(shared.maxPages)] : [0x00, ...uleb(0)];
  const imports = section(2, vec([[...name("env"), ...name("memory"), 0x02, ...limits]]));
  const funcs = section(3, vec(functions.map((_, i) => uleb(i))));
  const exportSection = section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const bodies = functions.map((f) => {
    const code = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, ...op.end];
    return [...uleb(code.length), ...code];
  });
  const code = section(10, vec(bodies));
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exportSection, ...code]);
}

/** The few WebAssembly JS-API members used here (the project's TypeScript lib has no WebAssembly typings). */
export interface WasmMemory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function validate(bytes: Uint8Array): boolean {
  return WebAssemblyApi.validate(bytes);
}

/** What a kernel needs from the tfjs wasm backend object. */
export interface WasmBackendLike {
  wasm: { asm?: { memory?: WasmMemory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: "float32"): { dataId: object; shape: number[]; dtype: "float32" };
}

export type KernelFn = (...args: number[]) => void;

/**
 * Instantiate a module on the backend's memory. Returns its exports, or the reason it cannot run here (no SIMD,
 * memory not exposed, shared memory of a threaded build).
 */
export function instantiateOnBackend(backend: WasmBackendLike, bytes: Uint8Array): Record<string, KernelFn> | string {
  const memory = backend.wasm.asm?.memory;
  if (!memory || !(memory instanceof (WebAssemblyApi.Memory as unknown as new () => object))) return "the wasm backend does not expose its memory";
  if (typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer) return "the wasm backend uses shared memory (threaded build)";
  if (!WebAssemblyApi.validate(bytes)) return "this JavaScript engine has no WebAssembly SIMD";
  const inst = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes), { env: { memory } });
  return inst.exports as Record<string, KernelFn>;
}

/**
 * A wasm-backend kernel whose body calls into a generated module: registers it once with TensorFlow.js, caches
 * one compiled module per shape key, and remembers why it cannot run (then callers use tf ops).
 */
export class GeneratedKernel<Attrs extends object> {
  private readonly modules = new Map<string, Record<string, KernelFn> | string>();
  private registered = false;
  disabled = false;

  constructor(
    readonly kernelName: string,
    /** Module bytes for a shape key. */
    private readonly build: (key: string) => Uint8Array,
    /** The kernel body: allocate outputs with backend.makeOutput, call `fn` with byte offsets. */
    private readonly body: (
      backend: WasmBackendLike,
      inputs: Record<string, { dataId: object; shape: number[]; dtype: string }>,
      attrs: Attrs,
      exports: (key: string) => Record<string, KernelFn>,
    ) => { dataId: object; shape: number[]; dtype: "float32" } | { dataId: object; shape: number[]; dtype: "float32" }[],
  ) {}

  /** The module for `key` on the active backend, or why there is none. */
  exportsFor(backend: WasmBackendLike, key: string): Record<string, KernelFn> | string {
    let m = this.modules.get(key);
    if (m === undefined) {
      m = instantiateOnBackend(backend, this.build(key));
      this.modules.set(key, m);
    }
    return m;
  }

  /** True when the kernel can run for `key` on the active backend (registering it on first use). */
  ready(tfBackendName: string, backend: WasmBackendLike, key: string, register: (config: object) => void): boolean {
    if (this.disabled || tfBackendName !== "wasm") return false;
    if (typeof this.exportsFor(backend, key) === "string") return false;
    if (!this.registered) {
      this.registered = true;
      register({
        kernelName: this.kernelName,
        backendName: "wasm",
        kernelFunc: ({ inputs, attrs, backend: b }: { inputs: object; attrs: object; backend: object }) =>
          this.body(b as WasmBackendLike, inputs as never, attrs as Attrs, (k) => this.exportsFor(b as WasmBackendLike, k) as Record<string, KernelFn>),
      });
    }
    return true;
  }
}

/** Byte offset of a tensor in the wasm heap. */
export function heapOffset(backend: WasmBackendLike, t: { dataId: object }): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}
