/**
 * A two-tower retrieval model (the pattern of YouTube's and Pinterest's candidate generators; Yi et al. 2019):
 *
 *   user tower:  [user id | gender | occupation | age | zip | mean of the latest items before now] -> MLP -> u
 *   item tower:  [item id | genres (a linear layer over the multi-hot) | release year | mean of title tokens] -> MLP -> v
 *   score(u, i) = <u, v>   (u and v L2-normalised by default; training divides by a temperature)
 *
 * Each input is optional (options.features; what the dataset lacks is left out). Because the score is a dot
 * product, item vectors are precomputed once (`factors()`), evaluation is one matrix product, and retrieval is a
 * nearest-neighbour search. An item that has no training interactions gets its vector from its features alone
 * (its id embedding, never trained, is left out), so new items can be recommended ("cold start").
 *
 * The towers are written with the kit's nn blocks (embeddingLookup, pooledLookup, dense) and differentiated by
 * TensorFlow.js; the retrieval task is nn/retrieval.ts's in-batch softmax with the logQ correction ("softmax", the
 * default) or BCE on sampled negatives ("bce"). The history of a training example is the user's training items
 * strictly before that interaction (the batch's `rows` say which); when scoring, it is the user's latest training
 * items. The target therefore never appears in its own input.
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../../data/dataset";
import type { Interactions } from "../../data/interactions";
import { denseWeights, dense } from "../../nn/dense";
import { embeddingLookup, pooledLookup } from "../../nn/embedding";
import type { Loss, LossName } from "../../nn/losses";
import { towerKernelsAvailable } from "../../nn/kernels/tower";
import type { GradMap, Initializer, ParamSpec, WeightMap } from "../../nn/params";
import { inBatchSoftmaxSum, StreamingFrequency } from "../../nn/retrieval";
import { autodiffGradients, readGradients, summedLoss, type AutodiffPass } from "../../nn/step";
import { checkIds, deviceTargets, scoredRows, type TrainBatch } from "../batch";
import { Model } from "../model";
import type { Factors, Recommender } from "../recommender";
import { fastSoftmaxStep, fastTower } from "./fast";
import { historyBags, padBags, type SideInputs } from "./host";
import { encodeInputs, towerInputs, type TowerFeature, type TowerInputs } from "./inputs";
import { resolveTwoTowerOptions, type TwoTowerConfig, type TwoTowerOptions } from "./options";

type Side = "user" | "item";

export class TwoTower extends Model<TwoTowerConfig> {
  readonly name = "TwoTower";
  readonly className = "TwoTower";
  readonly inputs: TowerInputs;
  private readonly logQCounts: Float32Array;
  private frequency: StreamingFrequency | null = null;

  constructor(options: Omit<TwoTowerOptions, "numUsers" | "numItems"> & Partial<Pick<TwoTowerOptions, "numUsers" | "numItems">>, inputs: TowerInputs, weights?: WeightMap) {
    const cfg = resolveTwoTowerOptions({ ...options, numUsers: inputs.numUsers, numItems: inputs.numItems });
    if (options.numUsers !== undefined && options.numUsers !== inputs.numUsers) {
      throw new Error(`TwoTower: numUsers is ${options.numUsers} but the inputs have ${inputs.numUsers} users`);
    }
    super(cfg, towerSpecs(cfg, inputs), weights);
    this.inputs = inputs;
    const total = inputs.itemCounts.reduce((s, c) => s + c, 0);
    // log of each item's share of the training interactions (+1e-12 so unseen items stay finite), as the reference.
    this.logQCounts = Float32Array.from(inputs.itemCounts, (c) => Math.log(c / Math.max(total, 1) + 1e-12));
  }

  /** A TwoTower for a dataset and its training split: the inputs (features, histories) are built from them. */
  static fromDataset(dataset: Dataset, train: Interactions, options: Omit<TwoTowerOptions, "numUsers" | "numItems"> & { features?: readonly string[] } = {}): TwoTower {
    const { features, ...rest } = options;
    return new TwoTower(rest, towerInputs(dataset, train, features));
  }

  /** The features the towers read. */
  get features(): TowerFeature[] {
    return [...this.inputs.features];
  }

  protected override supportsLoss(loss: Loss): boolean {
    return loss.name === "softmax" || loss.name === "bce";
  }

  /**
   * Train with the hand-written step where it runs (the in-batch softmax on the wasm backend; see fast.ts), else
   * through autodiff. false forces autodiff (to compare the two, or to time them).
   */
  handWritten = true;

  trainStep(batch: TrainBatch): void {
    this.checkAlive();
    const where = `${this.name}.trainStep`;
    const decay = (n: string) => this.weightDecay(n);
    if (this.handWritten && this.step.loss?.inBatch && towerKernelsAvailable()) {
      this.step.manual(this.params, decay, (_loss, previous) => ({ n: batch.users.length, ...this.fastPass(batch, previous, where, true) }), where);
      return;
    }
    this.step.autodiff(this.params, decay, (loss) => this.pass(batch, loss, where, true), where);
  }

  /** The hand-written in-batch softmax step (fast.ts): new running total and gradients of the batch mean. */
  private fastPass(batch: TrainBatch, previous: tf.Tensor, where: string, stream: boolean): { total: tf.Tensor; grads: GradMap } {
    const { user, item } = this.batchInputs(batch, where);
    const features = this.inputs.features;
    const u = fastTower(this.params, "user", user, this.cfg, features)!;
    const v = fastTower(this.params, "item", item, this.cfg, features)!;
    return fastSoftmaxStep(u, v, batch.items, this.batchLogQ(batch.items, stream), previous, this.cfg.temperature);
  }

  /** Both towers' host inputs for an in-batch batch (checked). */
  private batchInputs(batch: TrainBatch, where: string): { user: SideInputs; item: SideInputs } {
    const n = batch.users.length;
    if (n === 0) throw new Error(`${where}: empty batch`);
    if (batch.items.length !== n) throw new Error(`${where}: batch has ${n} users but ${batch.items.length} items`);
    checkIds(where, "users", batch.users, this.numUsers);
    checkIds(where, "items", batch.items, this.numItems);
    return { user: this.userInputs(batch.users, this.historyEnds(batch, where)), item: this.itemInputs(batch.items, false, true) };
  }

  /**
   * Mean loss and gradients of a batch (default loss "softmax"), without updating anything. `path` "hand-written"
   * computes them with the training step's kernels (wasm only), to check them against autodiff.
   */
  lossAndGradients(batch: TrainBatch, lossName?: LossName, path: "autodiff" | "hand-written" = "autodiff"): { loss: number; grads: WeightMap } {
    this.checkAlive();
    const loss = this.lossFor(lossName ?? "softmax");
    const where = `${this.name}.lossAndGradients`;
    if (path === "hand-written") {
      if (!loss.inBatch || !towerKernelsAvailable()) throw new Error(`${where}: the hand-written path computes the in-batch softmax on the wasm backend only`);
      return readGradients(
        this.params,
        () => {
          const { total, grads } = this.fastPass(batch, tf.zeros([1, 1]), where, false);
          return { sum: tf.reshape(total, []) as tf.Scalar, grads };
        },
        batch.users.length,
      );
    }
    return readGradients(this.params, () => autodiffGradients(this.params, this.pass(batch, loss, where, false), where), batch.users.length);
  }

  /** One batch's loss as a function of the weights. `stream`: update the streaming logQ estimate (training only). */
  private pass(batch: TrainBatch, loss: Loss, where: string, stream: boolean): AutodiffPass {
    const n = batch.users.length;
    if (loss.inBatch) {
      const { user, item } = this.batchInputs(batch, where);
      const host = { candidateIds: batch.items, logQ: this.batchLogQ(batch.items, stream), temperature: this.cfg.temperature };
      return { n, sum: (w) => inBatchSoftmaxSum(this.tower(w, "user", user), this.tower(w, "item", item), host) };
    }
    const rows = scoredRows(batch, this.numUsers, this.numItems, loss.pairwise, where);
    const ends = this.historyEnds(batch, where);
    const user = this.userInputs(rows.users, loss.pairwise ? concat(ends, ends) : ends);
    const item = this.itemInputs(rows.items, false, true);
    const targets = deviceTargets(batch, n, loss.pairwise);
    return { n, sum: (w) => summedLoss(loss, this.logits(w, user, item), targets) };
  }

  /** Per example, the end of its history in the user's sequence: before its own row, or everything (no rows). */
  private historyEnds(batch: TrainBatch, where: string): Int32Array {
    const seq = this.inputs.history;
    if (!this.inputs.features.includes("history")) return new Int32Array(batch.users.length);
    if (!batch.rows) {
      throw new Error(`${where}: the batch has no rows, so the histories before its examples are unknown; use a batch source built on the model's training interactions (inBatchBatches, implicitBatches, ...)`);
    }
    const rowUsers = this.inputs.rowUsers;
    return Int32Array.from(batch.rows, (r, k) => {
      // Every row belongs to the example's user in the split the model was built with; else the source is another split.
      if (!(r >= 0 && r < rowUsers.length) || rowUsers[r] !== batch.users[k]) {
        throw new Error(
          `${where}: example ${k} (row ${r}, user ${batch.users[k]}) is not an interaction of the training split the model was built with; ` +
            `build the batch source on that split (e.g. inBatchBatches(split.train) with TwoTower.fromDataset(dataset, split.train))`,
        );
      }
      return seq.position[r]!;
    });
  }

  private batchLogQ(items: Int32Array, stream: boolean): Float32Array | null {
    switch (this.cfg.logQ) {
      case "none":
        return null;
      case "counts":
        return Float32Array.from(items, (i) => this.logQCounts[i]!);
      case "streaming": {
        this.frequency ??= new StreamingFrequency(this.numItems);
        return stream ? this.frequency.update(items) : Float32Array.from(items, (i) => this.frequency!.logProbabilities()[i]!);
      }
    }
  }

  /** User-side host inputs; `ends[k]`: how many of user k's sequence items precede this example. */
  private userInputs(users: Int32Array, ends: Int32Array): SideInputs {
    const n = users.length;
    const codes = this.inputs.userCodes.map((c) => ({ name: c.name, codes: pick(c.codes, users) }));
    const bags: SideInputs["bags"] = [];
    if (this.inputs.features.includes("history")) bags.push({ name: "history", ...historyBags(this.inputs, users, ends, this.cfg.historyLength) });
    return { n, ids: users, codes, bags };
  }

  /**
   * Item-side host inputs; `featuresOnly` leaves every id embedding out, else those of cold items and, in training,
   * a seeded `itemIdDropout` share.
   */
  private itemInputs(items: Int32Array, featuresOnly: boolean, training = false): SideInputs {
    const codes = this.inputs.itemCodes.map((c) => ({ name: c.name, codes: pick(c.codes, items) }));
    const bags = this.inputs.itemBags.map((b) => {
      const title = b.name === "title";
      return { name: b.name, ...padBags(b.indptr, b.indices, items, title ? "mean" : "sum", title ? this.cfg.titleLength : Infinity) };
    });
    const dropId = new Float32Array(items.length);
    const counts = this.inputs.itemCounts;
    const p = training ? this.cfg.itemIdDropout : 0;
    if (!featuresOnly) for (let k = 0; k < items.length; k++) dropId[k] = counts[items[k]!] === 0 || (p > 0 && this.dropoutRng.next() < p) ? 0 : 1;
    return { n: items.length, ids: items, codes, bags, dropId };
  }

  /** One tower's output vectors [n, dim] from its host inputs, with tf ops over the weights `w`. */
  private tower(w: ReadonlyMap<string, tf.Tensor>, side: Side, x: SideInputs): tf.Tensor2D {
    const get = (name: string) => w.get(name)!;
    const parts: tf.Tensor[] = [];
    const features = this.inputs.features;
    if (features.includes(side === "user" ? "user-id" : "item-id")) {
      let id = embeddingLookup(get(`${side}.id`), tf.tensor1d(x.ids, "int32"));
      if (x.dropId && x.dropId.some((v) => v === 0)) id = tf.mul(id, tf.tensor2d(x.dropId, [x.n, 1]));
      parts.push(id);
    }
    for (const c of x.codes) parts.push(embeddingLookup(get(`${side}.${c.name}`), tf.tensor1d(c.codes, "int32")));
    for (const b of x.bags) {
      const bags = { ids: tf.tensor2d(b.ids, [x.n, b.width], "int32"), weights: tf.tensor2d(b.weights, [x.n, b.width]) };
      let pooled: tf.Tensor = pooledLookup(get(`${side}.${b.name}`), bags);
      if (b.name === "genres") pooled = tf.add(pooled, get("item.genres.bias"));
      parts.push(pooled);
    }
    let h: tf.Tensor2D = (parts.length === 1 ? parts[0]! : tf.concat(parts, 1)) as tf.Tensor2D;
    const depth = this.cfg.hidden.length;
    for (let k = 0; k <= depth; k++) h = dense(h, get(`${side}.tower.dense${k}.kernel`), get(`${side}.tower.dense${k}.bias`), k < depth ? "relu" : "linear");
    return this.cfg.normalize ? l2Normalize(h) : h;
  }

  /** Training logits of pairs: <u, v> / temperature, [n]. */
  private logits(w: ReadonlyMap<string, tf.Tensor>, user: SideInputs, item: SideInputs): tf.Tensor {
    return tf.mul(tf.sum(tf.mul(this.tower(w, "user", user), this.tower(w, "item", item)), 1), 1 / this.cfg.temperature);
  }

  private weightsMap(): Map<string, tf.Tensor> {
    return new Map(this.params.names.map((n) => [n, this.params.get(n)]));
  }

  protected logitsFor(users: Int32Array, items: Int32Array): tf.Tensor {
    return this.logits(this.weightsMap(), this.userInputs(users, this.fullHistory(users)), this.itemInputs(items, false));
  }

  private fullHistory(users: Int32Array): Int32Array {
    const seq = this.inputs.history;
    return Int32Array.from(users, (u) => seq.indptr[u + 1]! - seq.indptr[u]!);
  }

  /**
   * User vectors [users.length x dim] (row-major) from each user's features and latest training items: what a
   * user tower computes live when serving.
   */
  userVectors(users?: Int32Array): Float32Array {
    this.checkAlive();
    const u = users ?? Int32Array.from({ length: this.numUsers }, (_, k) => k);
    checkIds(`${this.name}.userVectors`, "users", u, this.numUsers);
    return this.inChunks(u, (block) => this.tower(this.weightsMap(), "user", this.userInputs(block, this.fullHistory(block))));
  }

  /**
   * Item vectors [items.length x dim]. Items without training interactions always get their vector from their
   * features alone; `featuresOnly` does that for every item (how a model ranks items it has never seen).
   */
  itemVectors(items?: Int32Array, options: { featuresOnly?: boolean } = {}): Float32Array {
    this.checkAlive();
    const i = items ?? Int32Array.from({ length: this.numItems }, (_, k) => k);
    checkIds(`${this.name}.itemVectors`, "items", i, this.numItems);
    return this.inChunks(i, (block) => this.tower(this.weightsMap(), "item", this.itemInputs(block, options.featuresOnly === true)));
  }

  private inChunks(ids: Int32Array, run: (block: Int32Array) => tf.Tensor): Float32Array {
    const dim = this.cfg.dim;
    const out = new Float32Array(ids.length * dim);
    const chunk = 8192;
    for (let s = 0; s < ids.length; s += chunk) {
      const block = ids.subarray(s, Math.min(ids.length, s + chunk));
      const t = tf.tidy(() => run(block));
      out.set(t.dataSync() as Float32Array, s * dim);
      t.dispose();
    }
    return out;
  }

  /**
   * This model as a Recommender whose item vectors all come from features alone: how it would rank items it has
   * never seen (the cold-start evaluation). Shares the weights; do not dispose it separately.
   */
  featuresOnly(): Recommender {
    return {
      name: `${this.name} (item features only)`,
      numUsers: this.numUsers,
      numItems: this.numItems,
      score: async (users, items) => {
        if (users.length !== items.length) throw new Error(`${this.name}.featuresOnly().score: ${users.length} users but ${items.length} items`);
        const u = this.userVectors(users);
        const v = this.itemVectors(items, { featuresOnly: true });
        const d = this.cfg.dim;
        return Float32Array.from(users, (_, k) => {
          let s = 0;
          for (let c = 0; c < d; c++) s += u[k * d + c]! * v[k * d + c]!;
          return s;
        });
      },
      scoreAll: async (users) => this.scoreAllWith(users, this.itemVectors(undefined, { featuresOnly: true })),
      factors: () => ({ users: this.userVectors(), items: this.itemVectors(undefined, { featuresOnly: true }), dim: this.cfg.dim }),
    };
  }

  /** User and item vectors: score(u, i) = <users[u], items[i]> (the temperature does not change rankings). */
  factors(): Factors {
    return { users: this.userVectors(), items: this.itemVectors(), dim: this.cfg.dim };
  }

  /** Scores of every item for each user, from the vectors (one matrix product per block). */
  override async scoreAll(users: Int32Array): Promise<Float32Array> {
    return this.scoreAllWith(users, this.itemVectors());
  }

  private async scoreAllWith(users: Int32Array, v: Float32Array): Promise<Float32Array> {
    this.checkAlive();
    const u = this.userVectors(users);
    const out = tf.tidy(() => tf.matMul(tf.tensor2d(u, [users.length, this.cfg.dim]), tf.transpose(tf.tensor2d(v, [this.numItems, this.cfg.dim]))));
    const scores = (await out.data()) as Float32Array;
    out.dispose();
    return scores;
  }

  /** The inputs (features, histories, counts), saved beside the weights so that the model loads on its own. */
  override saveExtras(): Record<string, Buffer | string> {
    const { meta, bytes } = encodeInputs(this.inputs);
    return { "tower-inputs.json": JSON.stringify(meta) + "\n", "tower-inputs.bin": bytes };
  }
}

/** values[ids[k]] for every k (a plain loop: typed-array `from` with a callback is several times slower). */
function pick(values: Int32Array, ids: Int32Array): Int32Array {
  const out = new Int32Array(ids.length);
  for (let k = 0; k < ids.length; k++) out[k] = values[ids[k]!]!;
  return out;
}

function concat(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** v / max(||v||, 1e-12) row by row (as PyTorch's F.normalize). */
function l2Normalize(v: tf.Tensor2D): tf.Tensor2D {
  return tf.div(v, tf.maximum(tf.sqrt(tf.sum(tf.square(v), 1, true)), 1e-12)) as tf.Tensor2D;
}

/** The weights of both towers for the chosen features (names are stable: they key saved weights). */
function towerSpecs(cfg: TwoTowerConfig, inputs: TowerInputs): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const normal = (std: number): Initializer => ({ kind: "normal", std });
  const dims = cfg.featureDims;
  const has = (f: TowerFeature) => inputs.features.includes(f);
  const tower = (side: Side, width: number) => {
    const widths = [width, ...cfg.hidden, cfg.dim];
    for (let k = 0; k + 1 < widths.length; k++) {
      const { kernel, bias } = denseWeights(widths[k]!, widths[k + 1]!);
      specs.push({ name: `${side}.tower.dense${k}.kernel`, shape: [...kernel.shape], group: "dense", init: kernel.init! });
      specs.push({ name: `${side}.tower.dense${k}.bias`, shape: [...bias.shape], group: "dense", init: bias.init! });
    }
  };
  let userWidth = 0;
  if (has("user-id")) {
    specs.push({ name: "user.id", shape: [inputs.numUsers, dims["user-id"]], group: "embedding", init: normal(cfg.embeddingInitStd) });
    userWidth += dims["user-id"];
  }
  for (const c of inputs.userCodes) {
    specs.push({ name: `user.${c.name}`, shape: [c.size, dims[c.name]], group: "embedding", init: normal(cfg.categoricalInitStd) });
    userWidth += dims[c.name];
  }
  if (has("history")) {
    specs.push({ name: "user.history", shape: [inputs.numItems, dims.history], group: "embedding", init: normal(cfg.embeddingInitStd) });
    userWidth += dims.history;
  }
  let itemWidth = 0;
  if (has("item-id")) {
    specs.push({ name: "item.id", shape: [inputs.numItems, dims["item-id"]], group: "embedding", init: normal(cfg.embeddingInitStd) });
    itemWidth += dims["item-id"];
  }
  for (const c of inputs.itemCodes) {
    specs.push({ name: `item.${c.name}`, shape: [c.size, dims[c.name]], group: "embedding", init: normal(cfg.categoricalInitStd) });
    itemWidth += dims[c.name];
  }
  for (const b of inputs.itemBags) {
    if (b.name === "genres") {
      // A linear layer over the multi-hot genre vector (PyTorch nn.Linear's initialisation): a summed lookup + bias.
      const { kernel, bias } = denseWeights(b.size, dims.genres);
      specs.push({ name: "item.genres", shape: [b.size, dims.genres], group: "dense", init: kernel.init! });
      specs.push({ name: "item.genres.bias", shape: [dims.genres], group: "dense", init: bias.init! });
    } else {
      specs.push({ name: `item.${b.name}`, shape: [b.size, dims[b.name]], group: "embedding", init: normal(cfg.embeddingInitStd) });
    }
    itemWidth += dims[b.name];
  }
  tower("user", userWidth);
  tower("item", itemWidth);
  return specs;
}
