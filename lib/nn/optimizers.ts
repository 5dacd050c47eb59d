/**
 * Optimisers that update a model's weights from gradients it computed itself: Adam, AdamW, Adagrad and SGD with
 * the update rules of tf.train.adam / tf.train.adagrad / tf.train.sgd and torch.optim.Adam / AdamW / SGD.
 *
 * Two kinds of weight decay, and they are not the same thing:
 * - **Coupled L2** (the models' `embeddingL2` / `denseL2`, PyTorch's `weight_decay` on Adam or SGD): the gradient
 *   gets `+ lambda * w` before the update. With SGD this is exactly an L2 penalty (lambda / 2) ||w||^2 added to the
 *   loss; with Adam the decay term is divided by sqrt(v) like the rest of the gradient, so rarely-updated rows decay
 *   faster than frequent ones, and the effective strength depends on the gradient scale.
 * - **Decoupled weight decay** (`name: "adamw"`, option `weightDecay`; Loshchilov & Hutter, "Decoupled Weight Decay
 *   Regularization", ICLR 2019): every step shrinks w by a factor (1 - lr * lambda) apart from the Adam update,
 *   as torch.optim.AdamW. Its lambda is comparable across learning rates and gradient scales; 0.01 is PyTorch's
 *   default.
 * Every decay here is dense: every row of an embedding table decays every step, touched by the batch or not, and
 * the loss is a batch MEAN. So neither lambda is the per-example lambda of the papers that regularise each observed
 * rating's rows (Koren et al. 2009) or each sampled triple (Rendle et al. 2009): those penalise a row once per
 * occurrence, these once per step. Tune lambda on validation data; do not copy a paper's value.
 *
 * Why not tf.train.*: those run about a dozen kernels per weight tensor per step. On the wasm backend each kernel
 * costs several microseconds of fixed overhead, so a NeuMF step spent most of its time in the optimiser. Here
 * every small weight (dense kernels, biases, output layer: the ParamStore keeps everything under PACK_LIMIT values
 * in one flat vector) is updated as ONE vector, and each large embedding table on its own; Adam keeps its moments
 * scaled by 1 / (1 - beta) so each needs one kernel fewer (10 kernels per slot instead of 12). The update of every
 * element is the usual one up to float rounding; only the number of kernels changes. On the wasm backend Adam's
 * ten kernels run as ONE fused WebAssembly SIMD kernel (kernels/adam.ts), bit-identical to them. All updates are
 * dense: rows of an embedding table that a batch did not touch still decay their moments and move, as in
 * PyTorch's default (non-sparse) Adam.
 *
 * Adam (Kingma & Ba, ICLR 2015, Algorithm 1, with the bias corrections written into the step size):
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
 *   w <- w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *      = w - a_t m / (sqrt(v) + eps_t),  a_t = lr sqrt(1 - b2^t) / (1 - b1^t),  eps_t = eps sqrt(1 - b2^t).
 * AdamW: w <- w (1 - lr lambda), then the Adam step.
 * Default eps 1e-8 as in torch.optim.Adam and the PyTorch anchor (tf.train.adam's default is 1e-7).
 * Adagrad (Duchi et al., JMLR 2011) as tf.train.adagrad: G <- G + g^2;  w <- w - lr g / sqrt(G + eps), G starting
 * at 0.1. SGD: w <- w - lr g.
 */
import * as tf from "@tensorflow/tfjs";
import { ParamStore, sizeOf, type GradMap, type ParamGroup } from "./params";
import { fusedAdam } from "./kernels/adam";

export type OptimizerName = "adam" | "adamw" | "adagrad" | "sgd";
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ["adam", "adamw", "adagrad", "sgd"];

export interface OptimizerOptions {
  /** "adam" (default), "adamw" (Adam with decoupled weight decay), "adagrad" or "sgd". */
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
  /**
   * AdamW only: decoupled weight decay lambda (each step w <- w (1 - lr lambda)), one number for every weight or
   * one per group ({ embedding, dense }). Default 0.01 (torch.optim.AdamW). For coupled L2 use the models'
   * embeddingL2 / denseL2 options instead (see the module comment for the difference).
   */
  weightDecay?: number | Partial<Record<ParamGroup, number>>;
}

export type ResolvedOptimizerOptions = Required<Omit<OptimizerOptions, "weightDecay">> & { weightDecay: Record<ParamGroup, number> };

/** Defaults in one place. */
export function resolveOptimizerOptions(options: OptimizerOptions = {}): ResolvedOptimizerOptions {
  const name = options.name ?? "adam";
  if (!OPTIMIZER_NAMES.includes(name)) throw new Error(`unknown optimizer '${name}'. Valid: ${OPTIMIZER_NAMES.join(", ")}`);
  const known = ["name", "learningRate", "beta1", "beta2", "epsilon", "initialAccumulatorValue", "weightDecay"];
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new Error(`optimizer: unknown option '${k}'. Valid: ${known.join(", ")}`);
  if (options.weightDecay !== undefined && name !== "adamw") {
    throw new Error(`optimizer ${name}: weightDecay (decoupled) applies to 'adamw' only; for coupled L2 set the model's embeddingL2 / denseL2`);
  }
  const wd = options.weightDecay ?? 0.01;
  const weightDecay = typeof wd === "number" ? { embedding: wd, dense: wd } : { embedding: wd.embedding ?? 0, dense: wd.dense ?? 0 };
  for (const [g, v] of Object.entries(weightDecay)) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`optimizer ${name}: weightDecay (${g}) must be a number >= 0, got ${v}`);
  }
  if (name !== "adamw") (weightDecay.embedding = 0), (weightDecay.dense = 0);
  const resolved: ResolvedOptimizerOptions = {
    name,
    learningRate: options.learningRate ?? 1e-3,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    epsilon: options.epsilon ?? (name === "adagrad" ? 1e-7 : 1e-8),
    initialAccumulatorValue: options.initialAccumulatorValue ?? 0.1,
    weightDecay,
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

/** Options that resolve to `resolved` again (what a saved optimiser is rebuilt from). */
export function optimizerOptionsOf(resolved: ResolvedOptimizerOptions): OptimizerOptions {
  const { weightDecay, ...rest } = resolved;
  return resolved.name === "adamw" ? { ...rest, weightDecay: { ...weightDecay } } : rest;
}

/** One group of weights updated as a unit: one large weight, or all packed small weights as one vector. */
interface Slot {
  /** The weight's name, or null for the packed vector. */
  name: string | null;
  size: number;
  /** Per-element L2 coefficients (packed weights with mixed coefficients), or one number. */
  decay: tf.Tensor | number;
  /** AdamW: the factor (1 - lr lambda) applied to w before the update, per element or one number (1: none). */
  shrink: tf.Tensor | number;
  /** Optimiser state for this slot (Adam: scaled moments M, V; Adagrad: G). */
  state: tf.Tensor[];
}

export class Optimizer {
  readonly config: ResolvedOptimizerOptions;
  /** Number of updates applied so far (Adam's t). */
  iterations = 0;
  private slots: Slot[] | null = null;
  private boundTo: ParamStore | null = null;
  private pendingState: OptimizerState | null = null;
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
          let w = slot.name === null ? params.getPacked() : params.get(slot.name);
          let g = slot.name === null ? params.packedGradient(grads) : grads.get(slot.name);
          if (!g) throw new Error(`Optimizer.step: no gradient for weight '${slot.name}'`);
          if (slot.shrink !== 1) w = tf.mul(w, typeof slot.shrink === "number" ? tf.scalar(slot.shrink) : slot.shrink);
          if (this.config.name === "adam" || this.config.name === "adamw") {
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
      case "adam":
      case "adamw": {
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
        case "adamw":
          return [tf.keep(tf.zeros(shape)), tf.keep(tf.zeros(shape))];
        case "adagrad":
          return [tf.keep(tf.fill(shape, this.config.initialAccumulatorValue))];
        case "sgd":
          return [];
      }
    };
    const shrinkOf = (name: string) => 1 - this.config.learningRate * this.config.weightDecay[params.spec(name).group];
    const slots: Slot[] = [];
    for (const spec of params.specs) {
      if (params.isPacked(spec.name)) continue;
      slots.push({
        name: spec.name,
        size: sizeOf(spec.shape),
        decay: checkDecay(spec.name, weightDecay(spec.name)),
        shrink: shrinkOf(spec.name),
        state: stateFor([...spec.shape]),
      });
    }
    const packed = params.packedNames;
    if (packed.length) {
      const sizes = packed.map((n) => sizeOf(params.spec(n).shape));
      const decay = perElement(packed.map((n) => checkDecay(n, weightDecay(n))), sizes);
      const shrink = perElement(packed.map(shrinkOf), sizes);
      slots.push({ name: null, size: params.packedSize, decay, shrink, state: stateFor([params.packedSize]) });
    }
    if (this.pendingState) {
      const pending = this.pendingState;
      this.pendingState = null;
      applyState(slots, pending);
      this.iterations = pending.iterations;
    }
    return slots;
  }

  /**
   * The optimiser's state as host arrays (moments or accumulators of every slot, and the step count), to save with
   * a model so that training can resume exactly. Empty slots before the first step.
   */
  getState(): OptimizerState {
    if (this.pendingState) return this.pendingState;
    return {
      config: { ...this.config, weightDecay: { ...this.config.weightDecay } },
      iterations: this.iterations,
      slots: (this.slots ?? []).map((s) => ({ name: s.name, values: s.state.map((t) => (t.dataSync() as Float32Array).slice()) })),
    };
  }

  /**
   * Put back a state from getState (same options, same model layout). It is applied when the optimiser first
   * steps, i.e. once it knows the model's weights; a mismatch is an error then.
   */
  setState(state: OptimizerState): void {
    const a = JSON.stringify(state.config);
    const b = JSON.stringify(this.config);
    if (a !== b) throw new Error(`Optimizer.setState: the saved state is for ${a}, this optimizer is ${b}`);
    this.reset();
    this.pendingState = state.slots.length ? state : null;
    this.iterations = state.iterations;
  }

  /** Forget all state (moments, accumulators, step count); the next step starts afresh. */
  reset(): void {
    for (const slot of this.slots ?? []) {
      for (const s of slot.state) s.dispose();
      if (typeof slot.decay !== "number") slot.decay.dispose();
      if (typeof slot.shrink !== "number") slot.shrink.dispose();
    }
    this.slots = null;
    this.boundTo = null;
    this.pendingState = null;
    this.iterations = 0;
  }

  dispose(): void {
    this.reset();
    for (const t of Object.values(this.constants)) t.dispose();
  }
}

/** Saved optimiser state (see Optimizer.getState). */
export interface OptimizerState {
  config: ResolvedOptimizerOptions;
  iterations: number;
  /** Per slot (a large weight by name, or null for the packed small weights): its state tensors' values. */
  slots: { name: string | null; values: Float32Array[] }[];
}

function applyState(slots: Slot[], state: OptimizerState): void {
  if (state.slots.length !== slots.length) throw new Error(`Optimizer.setState: the saved state has ${state.slots.length} slots, this model needs ${slots.length}`);
  slots.forEach((slot, i) => {
    const saved = state.slots[i]!;
    if (saved.name !== slot.name || saved.values.length !== slot.state.length || saved.values.some((v) => v.length !== slot.size)) {
      throw new Error(`Optimizer.setState: saved slot ${i} ('${saved.name ?? "packed"}') does not match this model's ('${slot.name ?? "packed"}', ${slot.size} values)`);
    }
    slot.state = slot.state.map((t, k) => {
      const next = tf.keep(tf.tensor(saved.values[k]!, t.shape, "float32"));
      t.dispose();
      return next;
    });
  });
}

/** One number when every piece has the same value, else a kept vector with each piece's value repeated. */
function perElement(values: number[], sizes: number[]): tf.Tensor | number {
  if (values.every((d) => d === values[0])) return values[0]!;
  const out = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let o = 0;
  values.forEach((v, i) => {
    out.fill(v, o, o + sizes[i]!);
    o += sizes[i]!;
  });
  return tf.keep(tf.tensor1d(out));
}

function checkDecay(name: string, d: number): number {
  if (!(d >= 0) || !Number.isFinite(d)) throw new Error(`weight decay of '${name}' must be a number >= 0, got ${d}`);
  return d;
}
