/**
 * Optimisers that update a model's weights from gradients it computed itself: Adam, Adagrad and SGD with the
 * update rules of tf.train.adam / tf.train.adagrad / tf.train.sgd (and torch.optim.Adam / SGD), plus coupled L2
 * weight decay as in PyTorch's `weight_decay` (the gradient gets `+ lambda * w` before the update).
 *
 * Why not tf.train.*: those run about a dozen kernels per weight tensor per step. On the wasm backend each kernel
 * costs several microseconds of fixed overhead, so a NeuMF step spent most of its time in the optimiser. Here
 * every small weight (dense kernels, biases, output layer: the ParamStore keeps everything under PACK_LIMIT values
 * in one flat vector) is updated as ONE vector, and each large embedding table on its own; Adam keeps its moments
 * scaled by 1 / (1 - beta) so each needs one kernel fewer (10 kernels per slot instead of 12). The update of every
 * element is the usual one up to float rounding; only the number of kernels changes. On the wasm backend Adam's
 * ten kernels run as ONE fused WebAssembly SIMD kernel (wasm-adam.ts), bit-identical to them. All updates are dense: rows
 * of an embedding table that a batch did not touch still decay their moments and move, as in PyTorch's default
 * (non-sparse) Adam.
 *
 * Adam (Kingma & Ba, ICLR 2015, Algorithm 1, with the bias corrections written into the step size):
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
 *   w <- w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *      = w - a_t m / (sqrt(v) + eps_t),  a_t = lr sqrt(1 - b2^t) / (1 - b1^t),  eps_t = eps sqrt(1 - b2^t).
 * Default eps 1e-8 as in torch.optim.Adam and the PyTorch anchor (tf.train.adam's default is 1e-7).
 * Adagrad (Duchi et al., JMLR 2011) as tf.train.adagrad: G <- G + g^2;  w <- w - lr g / sqrt(G + eps), G starting
 * at 0.1. SGD: w <- w - lr g.
 */
import * as tf from "@tensorflow/tfjs";
import { ParamStore, sizeOf, type GradMap } from "../models/params";
import { fusedAdam } from "./wasm-adam";

export type OptimizerName = "adam" | "adagrad" | "sgd";

export interface OptimizerOptions {
  /** "adam" (default), "adagrad" or "sgd". */
  name?: OptimizerName;
  /** Step size. Default 0.001. */
  learningRate?: number;
  /** Adam: decay of the first moment. Default 0.9. */
  beta1?: number;
  /** Adam: decay of the second moment. Default 0.999. */
  beta2?: number;
  /** Adam: added to sqrt(v); default 1e-8 (PyTorch). Adagrad: added to G under the square root; default 1e-7 (tfjs). */
  epsilon?: number;
  /** Adagrad: starting value of the accumulated squared gradients. Default 0.1 (tf.train.adagrad). */
  initialAccumulatorValue?: number;
}

export type ResolvedOptimizerOptions = Required<OptimizerOptions>;

/** Defaults in one place. */
export function resolveOptimizerOptions(options: OptimizerOptions = {}): ResolvedOptimizerOptions {
  const name = options.name ?? "adam";
  if (!["adam", "adagrad", "sgd"].includes(name)) throw new Error(`unknown optimizer '${name}'. Valid: adam, adagrad, sgd`);
  const resolved: ResolvedOptimizerOptions = {
    name,
    learningRate: options.learningRate ?? 1e-3,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    epsilon: options.epsilon ?? (name === "adagrad" ? 1e-7 : 1e-8),
    initialAccumulatorValue: options.initialAccumulatorValue ?? 0.1,
  };
  const positive = (v: number, what: string) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`optimizer ${name}: ${what} must be a positive number, got ${v}`);
  };
  positive(resolved.learningRate, "learningRate");
  positive(resolved.epsilon, "epsilon");
  for (const [k, v] of [["beta1", resolved.beta1], ["beta2", resolved.beta2]] as const) {
    if (!(v >= 0 && v < 1)) throw new Error(`optimizer ${name}: ${k} must be in [0, 1), got ${v}`);
  }
  if (!(resolved.initialAccumulatorValue >= 0)) {
    throw new Error(`optimizer ${name}: initialAccumulatorValue must be >= 0, got ${resolved.initialAccumulatorValue}`);
  }
  return resolved;
}

/** One group of weights updated as a unit: one large weight, or all packed small weights as one vector. */
interface Slot {
  /** The weight's name, or null for the packed vector. */
  name: string | null;
  size: number;
  /** Per-element L2 coefficients (packed weights with mixed coefficients), or one number. */
  decay: tf.Tensor | number;
  /** Optimiser state for this slot (Adam: scaled moments M, V; Adagrad: G). */
  state: tf.Tensor[];
}

export class Optimizer {
  readonly config: ResolvedOptimizerOptions;
  /** Number of updates applied so far (Adam's t). */
  iterations = 0;
  private slots: Slot[] | null = null;
  private boundTo: ParamStore | null = null;
  private readonly constants: Record<string, tf.Scalar>;

  constructor(options: OptimizerOptions = {}) {
    this.config = resolveOptimizerOptions(options);
    const c = this.config;
    this.constants = {
      beta1: tf.keep(tf.scalar(c.beta1)),
      beta2: tf.keep(tf.scalar(c.beta2)),
      learningRate: tf.keep(tf.scalar(c.learningRate)),
      epsilon: tf.keep(tf.scalar(c.epsilon)),
    };
  }

  /**
   * One update of every weight of `params` from `grads` (see GradMap: single or joint entries, same shapes).
   * `weightDecay(name)` is that weight's L2 coefficient (0: none). Gradients are not disposed.
   */
  step(params: ParamStore, grads: GradMap, weightDecay: (name: string) => number): void {
    if (this.boundTo && this.boundTo !== params) {
      throw new Error("Optimizer.step: this optimizer already holds state for another model; create one optimizer per model");
    }
    if (!this.slots) {
      this.slots = this.makeSlots(params, weightDecay);
      this.boundTo = params;
    }
    this.iterations++;
    const numbers = this.stepNumbers();
    const scalars: Record<string, tf.Scalar> = {};
    try {
      for (const slot of this.slots) {
        const result = tf.tidy(() => {
          const w = slot.name === null ? params.getPacked() : params.get(slot.name);
          let g = slot.name === null ? params.packedGradient(grads) : grads.get(slot.name);
          if (!g) throw new Error(`Optimizer.step: no gradient for weight '${slot.name}'`);
          if (this.config.name === "adam") {
            const fused = fusedAdam(w, g, slot.state[0]!, slot.state[1]!, slot.decay, numbers);
            if (fused) return { weight: fused.weight, state: [fused.m, fused.v] };
          }
          if (slot.decay !== 0) g = tf.add(g, tf.mul(w, typeof slot.decay === "number" ? tf.scalar(slot.decay) : slot.decay));
          for (const k of ["a", "e"] as const) scalars[k] ??= tf.keep(tf.scalar(numbers[k]));
          return this.update(w, g, slot.state, scalars);
        });
        if (slot.name === null) params.setPacked(result.weight);
        else params.set(slot.name, result.weight);
        for (const s of slot.state) s.dispose();
        slot.state = result.state.map((s) => tf.keep(s));
      }
    } finally {
      for (const t of Object.values(scalars)) t.dispose();
    }
  }

  /** This step's Adam constants (see the module comment). */
  private stepNumbers(): { beta1: number; beta2: number; a: number; e: number } {
    const c = this.config;
    const t = this.iterations;
    // With scaled moments M = m / (1 - b1) and V = v / (1 - b2) (one kernel fewer each: M <- b1 M + g,
    // V <- b2 V + g^2), the Adam step a_t m / (sqrt(v) + eps_t) is a M / (sqrt(V) + e) with:
    const correction2 = Math.sqrt(1 - Math.pow(c.beta2, t));
    const alpha = (c.learningRate * correction2) / (1 - Math.pow(c.beta1, t));
    const root = Math.sqrt(1 - c.beta2);
    return { beta1: c.beta1, beta2: c.beta2, a: (alpha * (1 - c.beta1)) / root, e: (c.epsilon * correction2) / root };
  }

  private update(w: tf.Tensor, g: tf.Tensor, state: tf.Tensor[], s: Record<string, tf.Scalar>): { weight: tf.Tensor; state: tf.Tensor[] } {
    const k = this.constants;
    switch (this.config.name) {
      case "adam": {
        const m = tf.add(tf.mul(state[0]!, k.beta1!), g);
        const v = tf.add(tf.mul(state[1]!, k.beta2!), tf.square(g));
        const weight = tf.sub(w, tf.mul(tf.div(m, tf.add(tf.sqrt(v), s.e!)), s.a!));
        return { weight, state: [m, v] };
      }
      case "adagrad": {
        const acc = tf.add(state[0]!, tf.square(g));
        const weight = tf.sub(w, tf.div(tf.mul(g, k.learningRate!), tf.sqrt(tf.add(acc, k.epsilon!))));
        return { weight, state: [acc] };
      }
      case "sgd":
        return { weight: tf.sub(w, tf.mul(g, k.learningRate!)), state: [] };
    }
  }

  private makeSlots(params: ParamStore, weightDecay: (name: string) => number): Slot[] {
    const stateFor = (shape: number[]): tf.Tensor[] => {
      switch (this.config.name) {
        case "adam":
          return [tf.keep(tf.zeros(shape)), tf.keep(tf.zeros(shape))];
        case "adagrad":
          return [tf.keep(tf.fill(shape, this.config.initialAccumulatorValue))];
        case "sgd":
          return [];
      }
    };
    const slots: Slot[] = [];
    for (const spec of params.specs) {
      if (params.isPacked(spec.name)) continue;
      slots.push({ name: spec.name, size: sizeOf(spec.shape), decay: checkDecay(spec.name, weightDecay(spec.name)), state: stateFor([...spec.shape]) });
    }
    const packed = params.packedNames;
    if (packed.length) {
      const decays = packed.map((n) => checkDecay(n, weightDecay(n)));
      const sizes = packed.map((n) => sizeOf(params.spec(n).shape));
      const total = params.packedSize;
      let decay: tf.Tensor | number = decays[0]!;
      if (decays.some((d) => d !== decays[0])) {
        const values = new Float32Array(total);
        let o = 0;
        packed.forEach((_, i) => {
          values.fill(decays[i]!, o, o + sizes[i]!);
          o += sizes[i]!;
        });
        decay = tf.keep(tf.tensor1d(values));
      }
      slots.push({ name: null, size: total, decay, state: stateFor([total]) });
    }
    return slots;
  }

  /** Forget all state (moments, accumulators, step count); the next step starts afresh. */
  reset(): void {
    for (const slot of this.slots ?? []) {
      for (const s of slot.state) s.dispose();
      if (typeof slot.decay !== "number") slot.decay.dispose();
    }
    this.slots = null;
    this.boundTo = null;
    this.iterations = 0;
  }

  dispose(): void {
    this.reset();
    for (const t of Object.values(this.constants)) t.dispose();
  }
}

function checkDecay(name: string, d: number): number {
  if (!(d >= 0) || !Number.isFinite(d)) throw new Error(`weight decay of '${name}' must be a number >= 0, got ${d}`);
  return d;
}
