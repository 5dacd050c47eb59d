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
import { F32, I32, V128, instantiateOnBackend, moduleBytes, op, type Code, type KernelFn, type WasmBackendLike } from "./asm";

export const ADAM_KERNEL = "RecsysAdamUpdate";

const { get, set, i32: i32c } = op;
const [I32_ADD, I32_SHL, I32_AND, I32_GE_U] = [op.i32Add, op.i32Shl, op.i32And, op.i32GeU];
const [F32_ADD, F32_SUB, F32_MUL, F32_DIV, F32_SQRT] = [op.f32Add, op.f32Sub, op.f32Mul, op.f32Div, op.f32Sqrt];
const [F4_SPLAT, F4_SQRT, F4_ADD, F4_SUB, F4_MUL, F4_DIV] = [op.f32x4Splat, op.f32x4Sqrt, op.f32x4Add, op.f32x4Sub, op.f32x4Mul, op.f32x4Div];
const f32load = op.f32Load();
const f32store = op.f32Store();
const V_LOAD = op.v128Load();
const V_STORE = op.v128Store();
const [BLOCK, LOOP, END] = [op.block, op.loop, op.end];
const BR = op.br;
const BR_IF = op.brIf;
type Op = Code;

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
  return body;
}

const ADAM_PARAMS = [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32];
const ADAM_LOCALS: [number, number][] = [[3, I32], [9, V128], [4, F32]];

/** The module: imports env.memory, exports adam_none, adam_scalar, adam_vector. */
export function adamModuleBytes(): Uint8Array {
  return moduleBytes((["none", "scalar", "vector"] as Decay[]).map((d) => ({ name: `adam_${d}`, params: ADAM_PARAMS, locals: ADAM_LOCALS, body: adamBody(d) })));
}

let instance: { none: KernelFn; scalar: KernelFn; vector: KernelFn } | null = null;
let registered = false;
let unavailableReason: string | null = null;

function instantiate(backend: WasmBackendLike): string | null {
  if (instance) return null;
  const e = instantiateOnBackend(backend, adamModuleBytes());
  if (typeof e === "string") return e;
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
