/**
 * What every kit model shares, whichever way it gets its gradients: its resolved options, its weights (a
 * ParamStore from lib/nn), its loss and optimiser (a TrainingStep from lib/nn), the Recommender methods, weight
 * access, the epoch count that lets a second `fit` continue, and disposal. Subclasses supply the training step
 * (`HandWrittenModel`: forward + backward; `AutodiffModel`: forward only) and the logits of pairs.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../random";
import { getLoss, LOSSES, type Loss, type LossName } from "../nn/losses";
import type { Optimizer } from "../nn/optimizers";
import { ParamStore, type ParamSpec, type WeightMap } from "../nn/params";
import { lossInput, TrainingStep, type CompileOptions, type GradientExchange, type LossReading } from "../nn/step";
import { scoredRows, type TrainBatch } from "./batch";
import { scoreAllPairs, scorePairs } from "./pair-scoring";
import type { ResolvedCommon } from "./options";
import type { TrainableRecommender } from "./trainable";

export abstract class Model<C extends ResolvedCommon = ResolvedCommon> implements TrainableRecommender {
  abstract readonly name: string;
  /** Class name under which save/load finds the model (see io.ts and registerModelClass). */
  abstract readonly className: string;
  readonly numUsers: number;
  readonly numItems: number;
  epochsTrained = 0;
  protected readonly params: ParamStore;
  protected readonly step = new TrainingStep();
  /** Dropout masks' stream (a data-parallel replica gets its own, see useReplicaDropout). */
  protected dropoutRng: Rng;
  private disposed = false;

  /** `store` defaults to a ParamStore of `specs` initialised from the seed (or holding `weights`). */
  protected constructor(
    protected readonly cfg: C,
    specs: readonly ParamSpec[],
    weights?: WeightMap,
    store?: ParamStore,
  ) {
    this.numUsers = cfg.numUsers;
    this.numItems = cfg.numItems;
    const rng = new Rng(cfg.seed);
    this.params = store ?? new ParamStore(specs, rng, weights);
    this.dropoutRng = rng.derive("dropout");
  }

  /** The resolved options (every default filled in); plain JSON, so `new Model(model.getConfig())` is an equal model. */
  getConfig(): C {
    return JSON.parse(JSON.stringify(this.cfg)) as C;
  }

  get seed(): number {
    return this.cfg.seed;
  }

  /**
   * Data-parallel training (lib/train/parallel) routes every step's gradients through `exchange` (null: back to
   * one replica). Not for everyday use: fit({ workers }) sets and clears it.
   */
  setGradientExchange(exchange: GradientExchange | null): void {
    this.step.exchange = exchange;
  }

  /**
   * Replica `k` (k >= 1) of a data-parallel run draws its dropout masks from a stream of its own, derived from the
   * seed and k, so its shards do not reuse replica 0's masks. Replica 0 (the model fit was given) keeps its stream.
   */
  useReplicaDropout(k: number): void {
    this.dropoutRng = new Rng(this.cfg.seed).derive("dropout").derive(`replica ${k}`);
  }

  /** Choose the loss and the optimizer for `trainStep`. A new optimizer replaces the old one and its state. */
  compile(options: CompileOptions = {}): void {
    this.checkAlive();
    const loss = typeof options.loss === "object" ? options.loss : getLoss(options.loss ?? "bce");
    if (!this.supportsLoss(loss)) {
      const valid = Object.values(LOSSES).filter((l) => this.supportsLoss(l)).map((l) => l.name);
      throw new Error(`${this.name} cannot train with loss '${loss.name}'; it trains with ${valid.join(", ")}`);
    }
    this.step.compile({ ...options, loss });
  }

  /** Pair models train with pointwise and pairwise losses; in-batch losses need a two-tower model. */
  protected supportsLoss(loss: Loss): boolean {
    return !loss.inBatch;
  }

  get loss(): Loss | null {
    return this.step.loss;
  }

  get optimizer(): Optimizer | null {
    return this.step.optimizer;
  }

  /** One optimisation step on a batch (see trainable.ts). */
  abstract trainStep(batch: TrainBatch): void;

  /**
   * Mean loss on a batch and the gradient of that mean for every weight, without updating anything (host arrays;
   * one read-back). Dropout applies as in training. For tests, and for looking at gradients while teaching.
   */
  abstract lossAndGradients(batch: TrainBatch, lossName?: LossName): { loss: number; grads: WeightMap };

  /** Logits [n] (or [n, 1]) of pairs in evaluation mode (no dropout), inside the caller's tidy scope. */
  protected abstract logitsFor(users: Int32Array, items: Int32Array): tf.Tensor;

  takeLoss(): LossReading {
    return this.step.takeLoss();
  }

  peekLoss(): LossReading {
    return this.step.peekLoss();
  }

  /** The compiled loss, or the named one, or "bce". */
  protected lossFor(lossName?: LossName): Loss {
    return lossName ? getLoss(lossName) : this.step.loss ?? getLoss("bce");
  }

  /**
   * Mean loss per example over batches, without training and without dropout (e.g. a validation loss). One
   * read-back at the end. Uses the compiled loss unless one is named.
   */
  evaluateLoss(batches: Iterable<TrainBatch>, lossName?: LossName): LossReading {
    this.checkAlive();
    const loss = this.lossFor(lossName);
    let total: tf.Tensor | null = null;
    let examples = 0;
    for (const batch of batches) {
      const rows = scoredRows(batch, this.numUsers, this.numItems, loss.pairwise, `${this.name}.evaluateLoss`);
      const next: tf.Tensor = tf.tidy(() => {
        const logits = tf.reshape(this.logitsFor(rows.users, rows.items), [rows.users.length, 1]) as tf.Tensor2D;
        const { z } = lossInput(loss, logits);
        const labels = loss.pairwise ? tf.zeros([batch.users.length, 1]) : tf.tensor2d(batch.labels!, [batch.users.length, 1]);
        const s = tf.sum(loss.value(z, labels));
        return total ? tf.add(total, s) : s;
      });
      (total as tf.Tensor | null)?.dispose();
      total = next;
      examples += batch.users.length;
    }
    const sum = total ? (total as tf.Tensor).dataSync()[0]! : NaN;
    (total as tf.Tensor | null)?.dispose();
    return { loss: examples ? sum / examples : NaN, examples };
  }

  /** Coupled L2 coefficient of a weight, by its group. */
  protected weightDecay(name: string): number {
    return this.params.spec(name).group === "embedding" ? this.cfg.embeddingL2 : this.cfg.denseL2;
  }

  async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    this.checkAlive();
    return scorePairs(`${this.name}.score`, (u, i) => this.logitsFor(u, i), users, items, this.numUsers, this.numItems);
  }

  /** Scores of every item for each user (users.length x numItems, row-major). */
  async scoreAll(users: Int32Array): Promise<Float32Array> {
    this.checkAlive();
    return scoreAllPairs(`${this.name}.scoreAll`, (u, i) => this.logitsFor(u, i), users, this.numUsers, this.numItems);
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
    this.step.dispose();
    this.disposeExtra();
    this.disposed = true;
  }

  /** Files a model needs besides its weights to be loaded on its own (e.g. a two-tower model's inputs), by name. */
  saveExtras(): Record<string, Buffer | string> {
    return {};
  }

  /** Subclasses free their cached constants here. */
  protected disposeExtra(): void {}

  protected checkAlive(): void {
    if (this.disposed) throw new Error(`${this.name}: this model was disposed`);
  }
}
