/**
 * Adam's update as ONE kernel on the wasm backend: a small WebAssembly module (SIMD, 4 floats at a time),
 * assembled below from its instructions, that reads and writes the wasm backend's own memory, registered as the
 * TensorFlow.js kernel "RecsysAdamUpdate". Where it is not available (other backends, no SIMD, a shared-memory
 * build) the optimiser runs the same arithmetic as ordinary tf ops.
 *
 * Why: an exact dense Adam step touches every weight (108k for NeuMF on MovieLens-100K) with 10 elementwise
 * kernels, each a full pass over memory plus fixed overhead: about 0.6 ms per training step on wasm, a third of
 * a step at batch 256. Fused, it is one pass.
 *
 * Per element, in this order (the same operations, in the same order, as the tf-op path in optimizers.ts, so both
 * give bit-identical results; IEEE single precision, no fused multiply-add):
 *   g' = g + lambda * w                  (only with weight decay; lambda a scalar or one value per element)
 *   M' = M * b1 + g'                     (scaled first moment, M = m / (1 - b1))
 *   V' = V * b2 + g' * g'                (scaled second moment, V = v / (1 - b2))
 *   w' = w - (M' / (sqrt(V') + e)) * a
 */
import * as tf from "@tensorflow/tfjs";

/** The few WebAssembly JS-API members used here (the project's TypeScript lib has no WebAssembly typings). */
interface WasmMemory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const ADAM_KERNEL = "RecsysAdamUpdate";

type Op = number[];

/** Unsigned LEB128. */
function uleb(n: number): Op {
  const out: Op = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (small i32 constants). */
function sleb(n: number): Op {
  const out: Op = [];
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

const vec = (items: Op[]): Op => [...uleb(items.length), ...items.flat()];
const name = (s: string): Op => vec([...Buffer.from(s, "utf8")].map((b) => [b]));
const section = (id: number, body: Op): Op => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

// Instructions used below.
const get = (i: number): Op => [0x20, ...uleb(i)];
const set = (i: number): Op => [0x21, ...uleb(i)];
const i32c = (v: number): Op => [0x41, ...sleb(v)];
const I32_ADD = [0x6a];
const I32_SHL = [0x74];
const I32_AND = [0x71];
const I32_GE_U = [0x4f];
const F32_ADD = [0x92];
const F32_SUB = [0x93];
const F32_MUL = [0x94];
const F32_DIV = [0x95];
const F32_SQRT = [0x91];
const f32load = [0x2a, 2, 0];
const f32store = [0x38, 2, 0];
const simd = (op: number): Op => [0xfd, ...uleb(op)];
const V_LOAD = [...simd(0x00), 0, 0]; // v128.load align=1 offset=0 (no alignment assumed)
const V_STORE = [...simd(0x0b), 0, 0];
const F4_SPLAT = simd(0x13);
const F4_SQRT = simd(0xe3);
const F4_ADD = simd(0xe4);
const F4_SUB = simd(0xe5);
const F4_MUL = simd(0xe6);
const F4_DIV = simd(0xe7);
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const BR = (d: number): Op => [0x0c, ...uleb(d)];
const BR_IF = (d: number): Op => [0x0d, ...uleb(d)];

/** Decay variants: none, one scalar for all elements, one value per element (a pointer). */
type Decay = "none" | "scalar" | "vector";

/**
 * Parameters (in order): w, g, M, V, outW, outM, outV (byte offsets), n (elements), decayPtr (byte offset, vector
 * variant), then f32: b1, b2, a, e, lambda (scalar variant).
 */
function adamBody(decay: Decay): Op {
  const [W, G, M, V, OW, OM, OV, N, DP] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [B1, B2, A, E, LAM] = [9, 10, 11, 12, 13];
  // Locals: i32 i, off, n4; v128 b1x4, b2x4, ax4, ex4, lx4, w4, g4, m4, v4; f32 ws, gs, ms, vs.
  const [I, OFF, N4] = [14, 15, 16];
  const [B1X, B2X, AX, EX, LX, W4, G4, M4, V4] = [17, 18, 19, 20, 21, 22, 23, 24, 25];
  const [WS, GS, MS, VS] = [26, 27, 28, 29];
  const at = (base: number): Op => [...get(base), ...get(OFF), ...I32_ADD];

  // One step of the update on either 4 lanes (SIMD) or one float, given how to load/store and which ops to use.
  const step = (lanes: 4 | 1): Op => {
    const [w, g, m, v] = lanes === 4 ? [W4, G4, M4, V4] : [WS, GS, MS, VS];
    const [b1, b2, a, e, l] = lanes === 4 ? [B1X, B2X, AX, EX, LX] : [B1, B2, A, E, LAM];
    const [load, store, add, sub, mul, div, sqrt] =
      lanes === 4 ? [V_LOAD, V_STORE, F4_ADD, F4_SUB, F4_MUL, F4_DIV, F4_SQRT] : [f32load, f32store, F32_ADD, F32_SUB, F32_MUL, F32_DIV, F32_SQRT];
    const out: Op = [];
    out.push(...at(W), ...load, ...set(w));
    out.push(...at(G), ...load);
    if (decay !== "none") {
      // g' = g + w * lambda
      out.push(...get(w));
      if (decay === "scalar") out.push(...get(l));
      else out.push(...at(DP), ...load);
      out.push(...mul, ...add);
    }
    out.push(...set(g));
    // M' = M * b1 + g'
    out.push(...at(M), ...load, ...get(b1), ...mul, ...get(g), ...add, ...set(m));
    // V' = V * b2 + g' * g'
    out.push(...at(V), ...load, ...get(b2), ...mul, ...get(g), ...get(g), ...mul, ...add, ...set(v));
    out.push(...at(OM), ...get(m), ...store);
    out.push(...at(OV), ...get(v), ...store);
    // w' = w - (M' / (sqrt(V') + e)) * a
    out.push(...at(OW), ...get(w), ...get(m), ...get(v), ...sqrt, ...get(e), ...add, ...div, ...get(a), ...mul, ...sub, ...store);
    return out;
  };

  const body: Op = [];
  for (const [dst, src] of [[B1X, B1], [B2X, B2], [AX, A], [EX, E], [LX, LAM]]) body.push(...get(src!), ...F4_SPLAT, ...set(dst!));
  body.push(...get(N), ...i32c(-4), ...I32_AND, ...set(N4));
  body.push(...i32c(0), ...set(I));
  // SIMD loop over i = 0, 4, 8, ... < n4
  body.push(...BLOCK, ...LOOP);
  body.push(...get(I), ...get(N4), ...I32_GE_U, ...BR_IF(1));
  body.push(...get(I), ...i32c(2), ...I32_SHL, ...set(OFF));
  body.push(...step(4));
  body.push(...get(I), ...i32c(4), ...I32_ADD, ...set(I), ...BR(0), ...END, ...END);
  // Scalar tail over i < n
  body.push(...BLOCK, ...LOOP);
  body.push(...get(I), ...get(N), ...I32_GE_U, ...BR_IF(1));
  body.push(...get(I), ...i32c(2), ...I32_SHL, ...set(OFF));
  body.push(...step(1));
  body.push(...get(I), ...i32c(1), ...I32_ADD, ...set(I), ...BR(0), ...END, ...END);
  body.push(...END);
  const locals = vec([[...uleb(3), I32], [...uleb(9), V128], [...uleb(4), F32]]);
  const code = [...locals, ...body];
  return [...uleb(code.length), ...code];
}

/** The module: imports env.memory, exports adam_none, adam_scalar, adam_vector. */
export function adamModuleBytes(): Uint8Array {
  const params = [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32];
  const types = section(1, vec([[0x60, ...vec(params.map((p) => [p])), ...vec([])]]));
  const imports = section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(0)]]));
  const variants: Decay[] = ["none", "scalar", "vector"];
  const funcs = section(3, vec(variants.map(() => uleb(0))));
  const exports = section(7, vec(variants.map((v, i) => [...name(`adam_${v}`), 0x00, ...uleb(i)])));
  const code = section(10, vec(variants.map((v) => adamBody(v))));
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}

type AdamFn = (...args: number[]) => void;

interface WasmBackendLike {
  wasm: { asm?: { memory?: WasmMemory }; HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
}

let instance: { none: AdamFn; scalar: AdamFn; vector: AdamFn } | null = null;
let registered = false;
let unavailableReason: string | null = null;

function instantiate(backend: WasmBackendLike): string | null {
  if (instance) return null;
  const memory = backend.wasm.asm?.memory;
  if (!memory || !(memory instanceof WebAssembly.Memory)) return "the wasm backend does not expose its memory";
  if (typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer) return "the wasm backend uses shared memory (threaded build)";
  const bytes = adamModuleBytes();
  if (!WebAssembly.validate(bytes)) return "this JavaScript engine has no WebAssembly SIMD";
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const e = inst.exports as Record<string, AdamFn>;
  instance = { none: e.adam_none!, scalar: e.adam_scalar!, vector: e.adam_vector! };
  return null;
}

/** Registers the kernel for the wasm backend (idempotent). */
function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: ADAM_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmBackendLike;
      const { w, g, m, v, decay } = inputs as Record<string, tf.TensorInfo | undefined>;
      const { beta1, beta2, a, e, lambda } = attrs as unknown as Record<string, number>;
      const outs = [b.makeOutput([...w!.shape], "float32"), b.makeOutput([...w!.shape], "float32"), b.makeOutput([...w!.shape], "float32")];
      const ptr = (t: tf.TensorInfo) => b.dataIdMap.get(t.dataId).memoryOffset;
      const n = w!.shape.reduce((x, y) => x * y, 1);
      const fn = decay ? instance!.vector : lambda !== 0 ? instance!.scalar : instance!.none;
      fn(ptr(w!), ptr(g!), ptr(m!), ptr(v!), ptr(outs[0]!), ptr(outs[1]!), ptr(outs[2]!), n, decay ? ptr(decay) : 0, beta1!, beta2!, a!, e!, lambda!);
      return outs;
    },
  });
}

/** Whether the fused kernel runs on the active backend (and why not, when it does not). */
export function fusedAdamStatus(): { available: boolean; reason?: string } {
  if (tf.getBackend() !== "wasm") return { available: false, reason: `backend is ${tf.getBackend()}, not wasm` };
  if (!instance && !unavailableReason) unavailableReason = instantiate(tf.backend() as unknown as WasmBackendLike);
  if (unavailableReason) return { available: false, reason: unavailableReason };
  register();
  return { available: true };
}

let disabled = false;

/** Turn the fused kernel off (true) or back on, e.g. to compare with the tf-op path. Returns the previous setting. */
export function disableFusedAdam(off: boolean): boolean {
  const old = disabled;
  disabled = off;
  return old;
}

/**
 * One fused Adam update on the wasm backend, or null when unavailable (the caller then runs tf ops).
 * `decay` is a scalar lambda or a per-element tensor (same shape as w), 0 for none.
 */
export function fusedAdam(
  w: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  decay: number | tf.Tensor,
  s: { beta1: number; beta2: number; a: number; e: number },
): { weight: tf.Tensor; m: tf.Tensor; v: tf.Tensor } | null {
  if (disabled || !fusedAdamStatus().available) return null;
  if ([w, g, m, v].some((t) => t.dtype !== "float32" || t.size !== w.size) || (typeof decay !== "number" && decay.size !== w.size)) return null;
  const inputs: tf.NamedTensorMap = { w, g, m, v };
  if (typeof decay !== "number") inputs.decay = decay;
  const attrs = { beta1: s.beta1, beta2: s.beta2, a: s.a, e: s.e, lambda: typeof decay === "number" ? decay : 0 };
  const [weight, mOut, vOut] = tf.engine().runKernel(ADAM_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { weight: weight!, m: mOut!, v: vOut! };
}
