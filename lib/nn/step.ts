/**
 * The training step: a loss and an optimiser applied to a model's gradients, whichever way the gradients come.
 *
 * - Hand-written (the fast path of the kit's own models): the model returns logits and a `backward(dLogits)`
 *   closure; the loss has its own gradient (one fused kernel on wasm), so no autodiff tape is recorded.
 * - Autodiff (any model written with tf ops): the model returns a function of its weights that gives the logits;
 *   TensorFlow.js's `valueAndGrads` (or `variableGrads` for tf.Variables) differentiates the mean loss.
 *
 * Either way the optimiser then updates every weight of the ParamStore (with the model's L2 coefficients), and the
 * batch's summed loss is added to a running total on the backend: nothing is read back per step (`takeLoss` reads
 * it once). The gradient is that of the batch MEAN, as PyTorch's default `reduction="mean"`.
 */
import * as tf from "@tensorflow/tfjs";
import { pointwiseLoss } from "./kernels/glue";
import { getLoss, pairwiseDifference, type Loss, type LossName } from "./losses";
import { Optimizer, type OptimizerOptions } from "./optimizers";
import type { GradMap, ParamStore, WeightMap } from "./params";

export interface CompileOptions {
  /** Loss name (or a Loss). Default "bce". */
  loss?: LossName | Loss;
  /** Optimizer or its options. Default Adam with learning rate 0.001. */
  optimizer?: Optimizer | OptimizerOptions;
}

/** Targets of one batch, as device tensors with `half` rows (pairwise: one row per pair). */
export interface StepTargets {
  /** Pointwise: labels [half, 1] (0 on padding rows). Pairwise: unused zeros. */
  labels: tf.Tensor2D;
  /** [half, 1]: 1 / n on real rows, 0 on padding: each example's weight in the batch mean. */
  weights: tf.Tensor2D;
  /** [half, 1]: 1 on real rows, 0 on padding. */
  mask: tf.Tensor2D;
  /** Real examples in the batch. */
  n: number;
}

/** The output of a hand-written forward pass in training mode. */
export interface HandWrittenPass {
  /** [rows, 1]; pairwise losses: positives' rows then negatives' rows. */
  logits: tf.Tensor2D;
  /** Gradients of sum(dLogits * logits) with respect to every weight. */
  backward: (dLogits: tf.Tensor2D) => GradMap;
  targets: StepTargets;
}

/**
 * An autodiff pass: the SUM over the batch's n examples of their losses, as a function of the weights (by name).
 * Pair models build it from logits with `summedLoss`; others (a two-tower model's in-batch softmax) directly.
 */
export interface AutodiffPass {
  n: number;
  sum: (weights: ReadonlyMap<string, tf.Tensor>) => tf.Scalar;
}

/** Weight name -> L2 coefficient (0: none). */
export type WeightDecayFn = (name: string) => number;

/**
 * Data-parallel training (lib/train/parallel): a step on one shard of a batch hands its gradients here and gets
 * back those of the whole batch, identical on every replica, so every replica applies the same optimiser step.
 */
export interface GradientExchange {
  /**
   * `grads`: the gradients of the shard's MEAN loss; `lossSum`: the shard's summed loss ([1, 1] or scalar). Returns
   * the gradients of the whole batch's mean loss, the batch's summed loss ([1, 1]) and its number of examples.
   * Tensors are created in the caller's tidy scope.
   */
  exchange(grads: GradMap, lossSum: tf.Tensor): { grads: GradMap; lossSum: tf.Tensor; n: number };
}

/** Mean loss per example, and how many examples it covers. */
export interface LossReading {
  loss: number;
  examples: number;
}

/** The loss, the optimiser and the running loss of one model. */
export class TrainingStep {
  private lossFn: Loss | null = null;
  private optimizerImpl: Optimizer | null = null;
  private lossSum: tf.Tensor | null = null;
  private lossExamples = 0;
  /** Set by the data-parallel trainer for the length of a fit (see GradientExchange); null: single replica. */
  exchange: GradientExchange | null = null;

  /** Choose the loss and the optimiser. A new optimiser replaces (and disposes) the old one and its state. */
  compile(options: CompileOptions = {}): void {
    const loss = typeof options.loss === "object" ? options.loss : getLoss(options.loss ?? "bce");
    const optimizer = options.optimizer instanceof Optimizer ? options.optimizer : new Optimizer(options.optimizer ?? {});
    if (this.optimizerImpl && this.optimizerImpl !== optimizer) this.optimizerImpl.dispose();
    this.lossFn = loss;
    this.optimizerImpl = optimizer;
  }

  get loss(): Loss | null {
    return this.lossFn;
  }

  get optimizer(): Optimizer | null {
    return this.optimizerImpl;
  }

  /** The compiled loss and optimiser, or an error telling `where` to compile first. */
  compiled(where: string): { loss: Loss; optimizer: Optimizer } {
    if (!this.lossFn || !this.optimizerImpl) throw new Error(`${where}: call compile({ loss, optimizer }) first`);
    return { loss: this.lossFn, optimizer: this.optimizerImpl };
  }

  /** One update from a hand-written pass (built inside this step's tidy scope by `pass`). */
  handWritten(params: ParamStore, decay: WeightDecayFn, pass: (loss: Loss) => HandWrittenPass, where: string): void {
    const { loss, optimizer } = this.compiled(where);
    let n = 0;
    this.accumulate(() => {
      const p = pass(loss);
      n = p.targets.n;
      const { z, expand } = lossInput(loss, p.logits);
      const t = p.targets;
      // dz = d(batch mean)/dz and the running loss sum, in one kernel on wasm (kernels/glue.ts).
      // With an exchange the kernel sums this shard's loss alone (from zero): the exchange adds up the shards'.
      const previous = this.lossSum && !this.exchange ? this.lossSum : tf.zeros([1, 1]);
      const [dz, total] = pointwiseLoss(z, t.labels, t.weights, t.mask, previous, loss.name) ?? [
        tf.mul(loss.gradient(z, t.labels), t.weights) as tf.Tensor2D,
        tf.add(previous, tf.sum(tf.mul(t.mask, loss.value(z, t.labels)))) as tf.Tensor2D,
      ];
      if (!this.exchange) {
        optimizer.step(params, p.backward(expand(dz)), decay);
        return total;
      }
      const r = this.exchanged(p.backward(expand(dz)), total);
      n = r.n;
      optimizer.step(params, r.grads, decay);
      return r.total;
    });
    this.lossExamples += n;
  }

  /**
   * One update from a pass that computes both itself (e.g. a two-tower model's hand-written in-batch softmax): given
   * the loss and the running total so far, it returns the new total (previous + the batch's summed loss), the
   * gradients of the batch mean and the number of examples. Built inside this step's tidy scope.
   */
  manual(params: ParamStore, decay: WeightDecayFn, pass: (loss: Loss, previous: tf.Tensor) => { n: number; total: tf.Tensor; grads: GradMap }, where: string): void {
    const { loss, optimizer } = this.compiled(where);
    let n = 0;
    this.accumulate(() => {
      if (this.exchange && loss.inBatch) throw new Error(`${where}: loss '${loss.name}' depends on the whole batch and cannot be split across workers`);
      const p = pass(loss, this.lossSum && !this.exchange ? this.lossSum : tf.zeros([1, 1]));
      n = p.n;
      if (!this.exchange) {
        optimizer.step(params, p.grads, decay);
        return p.total;
      }
      const r = this.exchanged(p.grads, p.total);
      n = r.n;
      optimizer.step(params, r.grads, decay);
      return r.total;
    });
    this.lossExamples += n;
  }

  /** One update from an autodiff pass (built inside this step's tidy scope by `pass`). */
  autodiff(params: ParamStore, decay: WeightDecayFn, pass: (loss: Loss) => AutodiffPass, where: string): void {
    const { loss, optimizer } = this.compiled(where);
    let n = 0;
    this.accumulate(() => {
      const p = pass(loss);
      n = p.n;
      if (this.exchange && loss.inBatch) throw new Error(`${where}: loss '${loss.name}' depends on the whole batch and cannot be split across workers`);
      const { sum, grads } = autodiffGradients(params, p, where);
      if (!this.exchange) {
        optimizer.step(params, grads, decay);
        return this.lossSum ? tf.add(this.lossSum, sum) : tf.reshape(sum, [1, 1]);
      }
      const r = this.exchanged(grads, sum);
      n = r.n;
      optimizer.step(params, r.grads, decay);
      return r.total;
    });
    this.lossExamples += n;
  }

  /** The whole batch's gradients and loss from the exchange, and the new running total (inside the step's tidy). */
  private exchanged(grads: GradMap, shardSum: tf.Tensor): { grads: GradMap; total: tf.Tensor; n: number } {
    const r = this.exchange!.exchange(grads, shardSum);
    const batchSum = tf.reshape(r.lossSum, [1, 1]);
    return { grads: r.grads, n: r.n, total: this.lossSum ? tf.add(this.lossSum, batchSum) : batchSum };
  }

  /** Run a step in one tidy scope; the new running total it returns replaces the old one. */
  private accumulate(stepAndTotal: () => tf.Tensor): void {
    const total = tf.tidy(stepAndTotal);
    this.lossSum?.dispose();
    this.lossSum = total;
  }

  /** Mean training loss per example since the last call (one read-back), and how many examples that covers. */
  takeLoss(): LossReading {
    const reading = this.peekLoss();
    this.lossSum?.dispose();
    this.lossSum = null;
    this.lossExamples = 0;
    return reading;
  }

  /** Like takeLoss, without resetting (one read-back): for live progress lines. */
  peekLoss(): LossReading {
    const examples = this.lossExamples;
    const sum = this.lossSum ? this.lossSum.dataSync()[0]! : NaN;
    return { loss: examples ? sum / examples : NaN, examples };
  }

  dispose(): void {
    this.optimizerImpl?.dispose();
    this.optimizerImpl = null;
    this.lossSum?.dispose();
    this.lossSum = null;
  }
}

/** z for the loss (pairwise: s_pos - s_neg) and the map from dz back to d logits. */
export function lossInput(loss: Loss, logits: tf.Tensor2D): { z: tf.Tensor2D; expand: (dz: tf.Tensor2D) => tf.Tensor2D } {
  return loss.pairwise ? pairwiseDifference(logits, logits.shape[0] / 2) : { z: logits, expand: (d) => d };
}

/** Sum over real rows of the per-example loss ([] scalar), given unpadded logits [rows] or [rows, 1]. */
export function summedLoss(loss: Loss, logits: tf.Tensor, t: StepTargets): tf.Scalar {
  const rows = loss.pairwise ? 2 * t.n : t.n;
  if (logits.size !== rows || logits.shape[0] !== rows) {
    throw new Error(`the forward pass must return one logit per row ([${rows}] or [${rows}, 1]); got [${logits.shape.join(", ")}]`);
  }
  const { z } = lossInput(loss, tf.reshape(logits, [rows, 1]) as tf.Tensor2D);
  return tf.sum(tf.mul(t.mask, loss.value(z, t.labels)));
}

/** Summed loss and the gradient of the batch mean for every weight, by TensorFlow.js autodiff (caller's tidy). */
export function autodiffGradients(params: ParamStore, pass: AutodiffPass, where: string): { sum: tf.Scalar; grads: GradMap } {
  const names = params.names;
  const xs = names.map((n) => params.get(n));
  const n = pass.n;
  const grads: GradMap = new Map();
  let sum: tf.Scalar;
  if (params.isVariableBacked) {
    const variables = xs as tf.Variable[];
    const byVariable = new Map(names.map((name, i) => [variables[i]!.name, name]));
    const weights = new Map(names.map((name, i) => [name, xs[i]!]));
    const r = tf.variableGrads(() => tf.div(pass.sum(weights), n) as tf.Scalar, variables);
    sum = tf.mul(r.value, n) as tf.Scalar;
    for (const [vName, g] of Object.entries(r.grads)) grads.set(byVariable.get(vName)!, g);
  } else {
    const weights = () => new Map(names.map((name, i) => [name, xs[i]!]));
    // The engine's own gradients() with allowNoGradients: a weight the forward pass did not use gets null (then
    // zeros below) instead of tf.grads' "Cannot compute gradient" error; only a loss using no weight at all throws.
    const r = tf.engine().gradients(() => tf.div(pass.sum(weights()), n) as tf.Scalar, xs, undefined, true);
    if (r.grads.every((g) => !g)) throw new Error(`${where}: no gradient reaches any weight; the forward pass must compute its logits from the weights it is given, with tf ops`);
    sum = tf.mul(r.value, n) as tf.Scalar;
    names.forEach((name, i) => grads.set(name, r.grads[i]!));
  }
  // A weight the forward pass did not use this time (e.g. a side table a batch did not touch) gets a zero gradient.
  for (let i = 0; i < names.length; i++) if (!grads.get(names[i]!)) grads.set(names[i]!, tf.zerosLike(xs[i]!));
  return { sum, grads };
}

/** Mean loss and host gradients of the batch mean: for tests and for looking at gradients while teaching. */
export function readGradients(params: ParamStore, compute: () => { sum: tf.Scalar; grads: GradMap }, n: number): { loss: number; grads: WeightMap } {
  const { sum, grads } = tf.tidy(() => {
    const r = compute();
    return { sum: r.sum, grads: Object.fromEntries(r.grads) as Record<string, tf.Tensor> };
  });
  try {
    return { loss: sum.dataSync()[0]! / n, grads: params.splitGradients(new Map(Object.entries(grads))) };
  } finally {
    sum.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }
}

/** Hand-written gradients of the batch mean (tf ops, no fused kernels; caller's tidy). */
export function handWrittenGradients(loss: Loss, pass: HandWrittenPass): { sum: tf.Scalar; grads: GradMap } {
  const t = pass.targets;
  const { z, expand } = lossInput(loss, pass.logits);
  const dz = tf.mul(loss.gradient(z, t.labels), t.weights) as tf.Tensor2D;
  return { sum: tf.sum(tf.mul(t.mask, loss.value(z, t.labels))), grads: pass.backward(expand(dz)) };
}
