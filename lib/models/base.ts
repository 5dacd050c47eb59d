/**
 * What MF, GMF, MLP and NeuMF share: the Recommender contract (score, scoreAll), a training step with a
 * hand-written backward pass (no autodiff tape), the loss running on the backend, weight access and disposal.
 *
 * A subclass declares its weights (ParamSpecs, passed to this constructor) and writes `forward(batch, training)`,
 * which returns the logits and, when training, a `backward(dLogits)` closure giving the gradient of every weight.
 * The gradient of every model is checked against finite differences in test/models/gradients.test.ts.
 *
 * Training:
 *   model.compile({ loss: "bce", optimizer: { name: "adam", learningRate: 1e-3 } });
 *   for (const batch of batches) model.trainStep(batch);   // nothing is read back per step
 *   const { loss } = model.takeLoss();                      // one read-back: mean loss since the last call
 */
import * as tf from "@tensorflow/tfjs";
import type { Recommender } from "./recommender";
import { ParamStore, type GradMap, type ParamSpec, type WeightMap } from "./params";
import { checkIds, scoringBatch, uploadBatch, type PairBatch, type TrainBatch } from "./batch";
import { pointwiseLoss } from "./kernels/glue";
import { Rng } from "../random";
import { getLoss, type Loss, type LossName } from "../train/losses";
import { Optimizer, type OptimizerOptions } from "../train/optimizers";

/** Options every model takes. */
export interface CommonOptions {
  /** Number of users (ids 0 .. numUsers - 1). Required. */
  numUsers: number;
  /** Number of items (ids 0 .. numItems - 1). Required. */
  numItems: number;
  /** Dropout rate on the looked-up embedding vectors while training (0 = off). Default 0. */
  embeddingDropout?: number;
  /** Dropout rate on the output of every hidden dense layer while training (0 = off). Default 0. */
  denseDropout?: number;
  /**
   * L2 weight decay on embedding tables and per-user/per-item biases, as PyTorch's `weight_decay`: every step
   * adds lambda * w to the gradient of every row (touched by the batch or not). Default 0.
   */
  embeddingL2?: number;
  /** L2 weight decay on dense layers, output layer and global bias, same convention. Default 0. */
  denseL2?: number;
  /** Seed of the initial weights and of the dropout masks. Default 0. */
  seed?: number;
}

export type ResolvedCommon = Required<CommonOptions>;

/** Defaults and checks of the common options, in one place. */
export function resolveCommon(where: string, o: CommonOptions): ResolvedCommon {
  const r: ResolvedCommon = {
    numUsers: o.numUsers,
    numItems: o.numItems,
    embeddingDropout: o.embeddingDropout ?? 0,
    denseDropout: o.denseDropout ?? 0,
    embeddingL2: o.embeddingL2 ?? 0,
    denseL2: o.denseL2 ?? 0,
    seed: o.seed ?? 0,
  };
  for (const k of ["numUsers", "numItems"] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new Error(`${where}: ${k} must be a positive integer, got ${r[k]}`);
  }
  for (const k of ["embeddingDropout", "denseDropout"] as const) {
    if (!(r[k] >= 0 && r[k] < 1)) throw new Error(`${where}: ${k} must be in [0, 1), got ${r[k]}`);
  }
  for (const k of ["embeddingL2", "denseL2"] as const) {
    if (!(r[k] >= 0) || !Number.isFinite(r[k])) throw new Error(`${where}: ${k} must be a number >= 0, got ${r[k]}`);
  }
  if (!Number.isInteger(r.seed)) throw new Error(`${where}: seed must be an integer, got ${r.seed}`);
  return r;
}

/** Rejects misspelt options (a catch-all that silently ignores them hides mistakes). */
export function checkKnownKeys(where: string, options: object, known: readonly string[]): void {
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new Error(`${where}: unknown option '${k}'. Valid: ${known.join(", ")}`);
  }
}

export const COMMON_KEYS = ["numUsers", "numItems", "embeddingDropout", "denseDropout", "embeddingL2", "denseL2", "seed"] as const;

/** The result of a forward pass: logits [rows, 1] and, when training, the backward pass. */
export interface ForwardResult {
  logits: tf.Tensor2D;
  /** Gradients of sum(dLogits * logits) with respect to every weight (single or joint entries, see GradMap). */
  backward?: (dLogits: tf.Tensor2D) => GradMap;
}

export interface CompileOptions {
  /** Loss name. Default "bce". */
  loss?: LossName;
  /** Optimizer or its options. Default Adam with learning rate 0.001. */
  optimizer?: Optimizer | OptimizerOptions;
}

/** A rate-`rate` inverted-dropout mask: 0 with probability rate, else 1 / (1 - rate). */
export function dropoutMask(rng: Rng, n: number, rate: number): Float32Array {
  const out = new Float32Array(n);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < n; i++) out[i] = rng.next() < rate ? 0 : keep;
  return out;
}

/** For a mask laid out [rows, 2, dim]: the same mask with the two halves of every row exchanged. */
export function swapHalves(mask: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(mask.length);
  for (let r = 0; r < rows; r++) {
    const o = r * 2 * dim;
    out.set(mask.subarray(o, o + dim), o + dim);
    out.set(mask.subarray(o + dim, o + 2 * dim), o);
  }
  return out;
}

/** The [rows, 2, dim] pair mask as the masks of the first and second vector, [rows, dim] each. */
export function splitPairMask(mask: Float32Array, rows: number, dim: number): [Float32Array, Float32Array] {
  const a = new Float32Array(rows * dim);
  const b = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    a.set(mask.subarray(2 * r * dim, (2 * r + 1) * dim), r * dim);
    b.set(mask.subarray((2 * r + 1) * dim, (2 * r + 2) * dim), r * dim);
  }
  return [a, b];
}

export abstract class TrainableModel<C extends ResolvedCommon = ResolvedCommon> implements Recommender {
  abstract readonly name: string;
  readonly numUsers: number;
  readonly numItems: number;
  protected readonly params: ParamStore;
  protected readonly dropoutRng: Rng;
  private lossFn: Loss | null = null;
  private optimizerImpl: Optimizer | null = null;
  private lossSum: tf.Tensor | null = null;
  private lossExamples = 0;
  private disposed = false;

  protected constructor(
    protected readonly cfg: C,
    specs: ParamSpec[],
    weights?: WeightMap,
  ) {
    this.numUsers = cfg.numUsers;
    this.numItems = cfg.numItems;
    const rng = new Rng(cfg.seed);
    this.params = new ParamStore(specs, rng, weights);
    this.dropoutRng = rng.derive("dropout");
  }

  /** The resolved options (every default filled in); plain JSON, so `new Model(model.getConfig())` is an equal model. */
  getConfig(): C {
    return JSON.parse(JSON.stringify(this.cfg)) as C;
  }

  /** Class name used by save/load. */
  abstract readonly className: string;

  /** Logits for the pairs of `batch` (see batch.ts); with `training`, dropout and the backward pass. */
  protected abstract forward(batch: PairBatch, training: boolean): ForwardResult;

  /** Choose the loss and the optimizer for `trainStep`. Calling it again replaces them (and the optimizer state). */
  compile(options: CompileOptions = {}): void {
    this.checkAlive();
    const loss = getLoss(options.loss ?? "bce");
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

  /**
   * One optimisation step on a batch: forward, the loss and its gradient, backward, optimiser update. The batch's
   * loss is added to a running sum on the backend; nothing is read back (see `takeLoss`).
   */
  trainStep(batch: TrainBatch): void {
    this.checkAlive();
    const loss = this.lossFn;
    const optimizer = this.optimizerImpl;
    if (!loss || !optimizer) throw new Error(`${this.name}.trainStep: call compile({ loss, optimizer }) first`);
    tf.tidy(() => {
      const b = uploadBatch(batch, this.numUsers, this.numItems, loss.pairwise, `${this.name}.trainStep`);
      const { logits, backward } = this.forward(b, true);
      const { z, expand } = loss.pairwise ? pairwiseDifference(logits, b.rows / 2) : { z: logits, expand: (d: tf.Tensor2D) => d };
      // dz = d(batch mean)/dz, and the running loss sum, in one kernel on wasm (kernels/glue.ts).
      const previous = this.lossSum ?? tf.zeros([1, 1]);
      const [dz, total] = pointwiseLoss(z, b.labels, b.weights, b.mask, previous, loss.name) ?? [
        tf.mul(loss.gradient(z, b.labels), b.weights) as tf.Tensor2D,
        tf.add(previous, tf.sum(tf.mul(b.mask, loss.value(z, b.labels)))) as tf.Tensor2D,
      ];
      const grads = backward!(expand(dz));
      optimizer.step(this.params, grads, (name) => this.weightDecay(name));
      tf.keep(total);
      this.lossSum?.dispose();
      this.lossSum = total;
    });
    this.lossExamples += batch.users.length;
  }

  /**
   * Mean loss on a batch and the gradient of that mean with respect to every weight, without updating anything
   * (host arrays; one read-back). For tests, and for looking at gradients while teaching. Dropout is applied
   * as in training.
   */
  lossAndGradients(batch: TrainBatch, lossName?: LossName): { loss: number; grads: WeightMap } {
    this.checkAlive();
    const loss = lossName ? getLoss(lossName) : this.lossFn ?? getLoss("bce");
    const { value, grads } = tf.tidy(() => {
      const b = uploadBatch(batch, this.numUsers, this.numItems, loss.pairwise, `${this.name}.lossAndGradients`);
      const { logits, backward } = this.forward(b, true);
      const { z, expand } = loss.pairwise ? pairwiseDifference(logits, b.rows / 2) : { z: logits, expand: (d: tf.Tensor2D) => d };
      const dz = tf.mul(loss.gradient(z, b.labels), b.weights) as tf.Tensor2D;
      const g = backward!(expand(dz));
      const value = tf.div(tf.sum(tf.mul(b.mask, loss.value(z, b.labels))), b.n);
      return { value, grads: Object.fromEntries(g) as Record<string, tf.Tensor> };
    });
    try {
      return { loss: value.dataSync()[0]!, grads: this.params.splitGradients(new Map(Object.entries(grads))) };
    } finally {
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    }
  }

  /** Mean training loss per example since the last call (one read-back), and how many examples that covers. */
  takeLoss(): { loss: number; examples: number } {
    const examples = this.lossExamples;
    const sum = this.lossSum ? this.lossSum.dataSync()[0]! : NaN;
    this.lossSum?.dispose();
    this.lossSum = null;
    this.lossExamples = 0;
    return { loss: examples ? sum / examples : NaN, examples };
  }

  /** Like takeLoss, without resetting (one read-back): for live progress lines. */
  peekLoss(): { loss: number; examples: number } {
    const examples = this.lossExamples;
    const sum = this.lossSum ? this.lossSum.dataSync()[0]! : NaN;
    return { loss: examples ? sum / examples : NaN, examples };
  }

  /**
   * Mean loss per example over batches, without training and without dropout (e.g. a validation loss). One
   * read-back at the end. Uses the compiled loss unless one is named.
   */
  evaluateLoss(batches: Iterable<TrainBatch>, lossName?: LossName): { loss: number; examples: number } {
    this.checkAlive();
    const loss = lossName ? getLoss(lossName) : this.lossFn ?? getLoss("bce");
    let total: tf.Tensor | null = null;
    let examples = 0;
    for (const batch of batches) {
      const next: tf.Tensor = tf.tidy(() => {
        const b = uploadBatch(batch, this.numUsers, this.numItems, loss.pairwise, `${this.name}.evaluateLoss`);
        const { logits } = this.forward(b, false);
        const z = loss.pairwise ? pairwiseDifference(logits, b.rows / 2).z : logits;
        const s = tf.sum(tf.mul(b.mask, loss.value(z, b.labels)));
        return total ? tf.add(total, s) : s;
      });
      total?.dispose();
      total = next;
      examples += batch.users.length;
    }
    const sum = total ? total.dataSync()[0]! : NaN;
    (total as tf.Tensor | null)?.dispose();
    return { loss: examples ? sum / examples : NaN, examples };
  }

  /** L2 coefficient of a weight (by its group). */
  protected weightDecay(name: string): number {
    return this.params.spec(name).group === "embedding" ? this.cfg.embeddingL2 : this.cfg.denseL2;
  }

  async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    this.checkAlive();
    if (users.length !== items.length) throw new Error(`${this.name}.score: ${users.length} users but ${items.length} items`);
    checkIds(`${this.name}.score`, "users", users, this.numUsers);
    checkIds(`${this.name}.score`, "items", items, this.numItems);
    const out = new Float32Array(users.length);
    const chunk = 1 << 15;
    for (let s = 0; s < users.length; s += chunk) {
      const e = Math.min(users.length, s + chunk);
      const t = tf.tidy(() => this.logitsFor(users.subarray(s, e), items.subarray(s, e)));
      out.set((await t.data()) as Float32Array, s);
      t.dispose();
    }
    return out;
  }

  /** Scores of every item for each user (users.length x numItems, row-major), pairs scored in chunks. */
  async scoreAll(users: Int32Array): Promise<Float32Array> {
    this.checkAlive();
    checkIds(`${this.name}.scoreAll`, "users", users, this.numUsers);
    const nI = this.numItems;
    const out = new Float32Array(users.length * nI);
    const usersPerChunk = Math.max(1, Math.floor((1 << 15) / nI));
    const allItems = Int32Array.from({ length: nI }, (_, i) => i);
    for (let s = 0; s < users.length; s += usersPerChunk) {
      const e = Math.min(users.length, s + usersPerChunk);
      const t = tf.tidy(() => this.scoreAllChunk(users.subarray(s, e), allItems));
      out.set((await t.data()) as Float32Array, s * nI);
      t.dispose();
    }
    return out;
  }

  /** Scores [users.length * numItems] for a few users; subclasses may override with something faster. */
  protected scoreAllChunk(users: Int32Array, allItems: Int32Array): tf.Tensor {
    const n = users.length * allItems.length;
    const u = new Int32Array(n);
    const i = new Int32Array(n);
    for (let a = 0, o = 0; a < users.length; a++) {
      u.fill(users[a]!, o, o + allItems.length);
      i.set(allItems, o);
      o += allItems.length;
    }
    return this.logitsFor(u, i);
  }

  /** Logits [n] for pairs (inside the caller's tidy). */
  protected logitsFor(users: Int32Array, items: Int32Array): tf.Tensor1D {
    const n = users.length;
    const { logits } = this.forward(scoringBatch(users, items, this.numUsers), false);
    return tf.reshape(logits, [n]) as tf.Tensor1D;
  }

  /** Host copies of all weights, by name. */
  getWeights(): WeightMap {
    this.checkAlive();
    return this.params.snapshot();
  }

  /** Replace all weights (same names and shapes), e.g. to restore the best epoch. */
  setWeights(weights: WeightMap): void {
    this.checkAlive();
    this.params.restore(weights);
  }

  /** Names, shapes and groups of the weights. */
  weightSpecs(): ParamSpec[] {
    return this.params.specs.map((s) => ({ ...s, shape: [...s.shape] }));
  }

  /** Number of scalar weights. */
  countWeights(): number {
    return this.params.size;
  }

  /** Free the weights, optimizer state and loss accumulator. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.params.dispose();
    this.optimizerImpl?.dispose();
    this.lossSum?.dispose();
    this.disposeExtra();
    this.disposed = true;
  }

  /** Subclasses free their cached constants here. */
  protected disposeExtra(): void {}

  protected checkAlive(): void {
    if (this.disposed) throw new Error(`${this.name}: this model was disposed`);
  }
}

/**
 * Pairwise losses: logits [rows, 1] hold positives then negatives; z = s_pos - s_neg ([rows / 2, 1]) with one
 * matMul, and the backward map dz -> d logits = [dz; -dz].
 */
function pairwiseDifference(logits: tf.Tensor2D, half: number): { z: tf.Tensor2D; expand: (dz: tf.Tensor2D) => tf.Tensor2D } {
  const plusMinusRow = tf.tensor2d([1, -1], [1, 2]);
  const z = tf.reshape(tf.matMul(plusMinusRow, tf.reshape(logits, [2, half])), [half, 1]) as tf.Tensor2D;
  const expand = (dz: tf.Tensor2D) =>
    tf.reshape(tf.matMul(tf.tensor2d([1, -1], [2, 1]), tf.reshape(dz, [1, half])), [2 * half, 1]) as tf.Tensor2D;
  return { z, expand };
}
