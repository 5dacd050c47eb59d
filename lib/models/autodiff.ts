/**
 * The autodiff path: a model of your own, written as a forward pass with tf ops over weights the kit owns; its
 * gradients come from TensorFlow.js's autodiff, and it trains with the same `fit`, the same optimisers (the fused
 * wasm Adam included), coupled L2 by weight group and seeded dropout, and is evaluated by the same protocols.
 *
 *   const model = new AutodiffModel({
 *     name: "MF", numUsers, numItems,
 *     weights: { user: embeddingWeight(numUsers, 32), item: embeddingWeight(numItems, 32) },
 *     forward: (w, batch) => tf.sum(tf.mul(embeddingLookup(w.user, batch.userIds), embeddingLookup(w.item, batch.itemIds)), 1),
 *   });
 *   await fit(model, implicitBatches(split.train), { epochs: 10 });
 *
 * Look rows up with `embeddingLookup` / `pooledLookup` (lib/nn/embedding.ts), never `tf.gather`: gather's gradient
 * needs a kernel the wasm backend lacks (and is very slow on cpu). The price of autodiff against a hand-written
 * backward is measured in bench/train.ts.
 */
import * as tf from "@tensorflow/tfjs";
import type { LossName } from "../nn/losses";
import { dropout } from "../nn/dropout";
import type { WeightSpec } from "../nn/dense";
import type { ParamSpec, ParamStore, WeightMap } from "../nn/params";
import { autodiffGradients, readGradients, summedLoss, type AutodiffPass } from "../nn/step";
import { deviceTargets, scoredRows, type TrainBatch } from "./batch";
import { Model } from "./model";
import { COMMON_KEYS, checkKnownKeys, resolveCommon, type CommonOptions, type ResolvedCommon } from "./options";
import type { Loss } from "../nn/losses";

/** The (user, item) pairs of a batch, as host arrays and as int32 device tensors. */
export interface PairInputs {
  /** Number of pairs (pairwise losses: positives then negatives, 2 x the batch). */
  n: number;
  users: Int32Array;
  items: Int32Array;
  /** [n] int32. */
  userIds: tf.Tensor1D;
  /** [n] int32. */
  itemIds: tf.Tensor1D;
}

/** What a forward pass is told besides the weights and the inputs. */
export interface ForwardContext {
  /** True in a training step (dropout on), false when scoring. */
  training: boolean;
  /** Seeded inverted dropout at `rate` while training; the identity otherwise. */
  dropout<T extends tf.Tensor>(x: T, rate: number): T;
  /** The model's embeddingDropout / denseDropout rates. */
  rates: { embedding: number; dense: number };
}

export type ForwardFn<K extends string> = (w: Readonly<Record<K, tf.Tensor>>, batch: PairInputs, ctx: ForwardContext) => tf.Tensor;

export interface AutodiffModelOptions<K extends string = string> extends CommonOptions {
  /** Display name. Default "Custom". */
  name?: string;
  /** Name under which save/load finds the model: register a factory with registerModelClass. Default: name. */
  className?: string;
  /** The weights by name. */
  weights: Record<K, WeightSpec>;
  /** Logits ([n] or [n, 1]) of the batch's pairs, with tf ops over the weights `w`. */
  forward: ForwardFn<K>;
  /** Plain-JSON settings the model is built from, kept in its config (and so in saved models). Default {}. */
  settings?: Record<string, unknown>;
}

export type AutodiffConfig = ResolvedCommon & { name: string; className: string; settings: Record<string, unknown> };

const KEYS = [...COMMON_KEYS, "name", "className", "weights", "forward", "settings"] as const;

export class AutodiffModel<K extends string = string> extends Model<AutodiffConfig> {
  readonly name: string;
  readonly className: string;
  private readonly forwardFn: ForwardFn<K>;

  /**
   * `weights` (e.g. from loadModel) replace the seeded initial values. `store` lets a subclass stand the model over
   * existing variables (see fromLayersModel).
   */
  constructor(options: AutodiffModelOptions<K>, weights?: WeightMap, store?: ParamStore) {
    checkKnownKeys("AutodiffModel", options, KEYS);
    const name = options.name ?? "Custom";
    const cfg: AutodiffConfig = {
      ...resolveCommon(name, options),
      name,
      className: options.className ?? name,
      settings: JSON.parse(JSON.stringify(options.settings ?? {})) as Record<string, unknown>,
    };
    if (typeof options.forward !== "function") throw new Error(`${name}: forward must be a function (w, batch, ctx) => logits`);
    super(cfg, store ? [] : weightSpecsOf(name, options.weights), weights, store);
    this.name = name;
    this.className = cfg.className;
    this.forwardFn = options.forward;
  }

  /** The settings given at construction (what a registered factory rebuilds the model from). */
  get settings(): Record<string, unknown> {
    return this.getConfig().settings;
  }

  trainStep(batch: TrainBatch): void {
    this.checkAlive();
    const where = `${this.name}.trainStep`;
    this.step.autodiff(this.params, (n) => this.weightDecay(n), (loss) => this.pass(batch, loss, where), where);
  }

  lossAndGradients(batch: TrainBatch, lossName?: LossName): { loss: number; grads: WeightMap } {
    this.checkAlive();
    const loss = this.lossFor(lossName);
    const where = `${this.name}.lossAndGradients`;
    return readGradients(this.params, () => autodiffGradients(this.params, this.pass(batch, loss, where), where), batch.users.length);
  }

  /** The batch's rows and targets, and its logits as a function of the weights (training mode). */
  private pass(batch: TrainBatch, loss: Loss, where: string): AutodiffPass {
    const rows = scoredRows(batch, this.numUsers, this.numItems, loss.pairwise, where);
    const inputs = pairInputs(rows.users, rows.items);
    const ctx = this.context(true);
    const targets = deviceTargets(batch, batch.users.length, loss.pairwise);
    return { n: targets.n, sum: (w) => summedLoss(loss, this.forwardFn(Object.fromEntries(w) as Record<K, tf.Tensor>, inputs, ctx), targets) };
  }

  protected logitsFor(users: Int32Array, items: Int32Array): tf.Tensor {
    const w = Object.fromEntries(this.params.names.map((n) => [n, this.params.get(n)])) as Record<K, tf.Tensor>;
    return this.forwardFn(w, pairInputs(users, items), this.context(false));
  }

  private context(training: boolean): ForwardContext {
    return {
      training,
      dropout: (x, rate) => (training && rate > 0 ? dropout(x, rate, this.dropoutRng) : x),
      rates: { embedding: this.cfg.embeddingDropout, dense: this.cfg.denseDropout },
    };
  }
}

function pairInputs(users: Int32Array, items: Int32Array): PairInputs {
  return { n: users.length, users, items, userIds: tf.tensor1d(users, "int32"), itemIds: tf.tensor1d(items, "int32") };
}

function weightSpecsOf(where: string, weights: Record<string, WeightSpec> | undefined): ParamSpec[] {
  if (!weights || typeof weights !== "object" || !Object.keys(weights).length) {
    throw new Error(`${where}: weights must name at least one weight, e.g. { user: embeddingWeight(numUsers, 32) }`);
  }
  return Object.entries(weights).map(([name, w]) => {
    if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`${where}: weight '${name}' needs a shape of positive integers, got ${JSON.stringify(w.shape)}`);
    }
    return { name, shape: [...w.shape], group: w.group ?? "dense", init: w.init ?? { kind: "normal", std: 0.01 } };
  });
}
