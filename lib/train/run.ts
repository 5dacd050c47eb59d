/**
 * One training run end to end, for the `recsys-lab train` command and for scripts: load a dataset, hold out each
 * user's latest interaction (leave-one-out), train a model on implicit feedback with sampled negatives, evaluate
 * with full ranking (training items masked) and with the sampled protocol (1 held-out + 99 negatives, a labelled
 * paper-reproduction mode), optionally save the model. Returns one plain object, ready for JSON.
 */
import { loadDataset } from "../data/load";
import { leaveOneOut } from "../data/splits";
import { sampledCandidates } from "../data/sampling";
import { evaluateFullRanking, FULL_RANKING_PROTOCOL } from "../eval/full-ranking";
import { evaluateSampled, sampledProtocol } from "../eval/sampled";
import { MF, GMF, MLP, NeuMF, saveModel, type AnyModel } from "../models";
import { Rng } from "../random";
import { fit } from "./trainer";
import { implicitBatches, pairwiseBatches } from "./sources";
import type { OptimizerName } from "./optimizers";

export type ModelKind = "mf" | "gmf" | "mlp" | "neumf";
export const MODEL_KINDS: readonly ModelKind[] = ["mf", "gmf", "mlp", "neumf"];

export interface TrainRunOptions {
  /** Registry name, e.g. "ml-100k" or "synthetic". */
  dataset: string;
  /** Folder of the dataset's files (see lib/data loadDataset). */
  dataDir?: string;
  /** Download when the files are missing. Default true. */
  download?: boolean;
  model: ModelKind;
  /** Default 10. */
  epochs?: number;
  /** Default 256. */
  batchSize?: number;
  /** Default "adam". */
  optimizer?: OptimizerName;
  /** Default 0.001. */
  learningRate?: number;
  /** Implicit-feedback loss: "bce" (default, pointwise with sampled negatives) or "bpr" (pairs). */
  loss?: "bce" | "bpr";
  /** Negatives per positive for "bce", resampled every epoch. Default 4. */
  negatives?: number;
  /** Sets both embeddingDropout and denseDropout (unless those are given). Default 0. */
  dropout?: number;
  embeddingDropout?: number;
  denseDropout?: number;
  /** Sets both embeddingL2 and denseL2 (unless those are given). Default 0. */
  l2?: number;
  embeddingL2?: number;
  denseL2?: number;
  /** MF: latent dimension (default 32); GMF/NeuMF: GMF factors (default 8). */
  factors?: number;
  /** MLP/NeuMF tower widths (default [64, 32, 16, 8]). */
  layers?: number[];
  /** One seed for weights, dropout, negatives, order and the sampled candidates. Default 0. */
  seed?: number;
  /** Save the trained model into this folder (see saveModel). */
  save?: string;
  /** Progress line on stderr (default true). */
  progress?: boolean;
}

export interface TrainRunResult {
  dataset: string;
  model: string;
  config: object;
  split: { method: string; train: number; test: number };
  training: { epochs: number; batchSize: number; optimizer: OptimizerName; learningRate: number; loss: string; negatives: number };
  /** Full ranking (all items; the user's training items masked). */
  full: { protocol: string; hr10: number; ndcg10: number };
  /** Sampled (paper reproduction): the held-out item among 99 sampled negatives. */
  sampled: { protocol: string; hr10: number; ndcg10: number };
  trainSeconds: number;
  examplesPerSecond: number;
  history: { epoch: number; trainLoss: number; seconds: number }[];
  saved?: string;
}

/** The model of a run (exported for notebooks that want the same defaults). */
export function makeModel(kind: ModelKind, numUsers: number, numItems: number, o: Omit<TrainRunOptions, "dataset" | "model"> = {}): AnyModel {
  const common = {
    numUsers,
    numItems,
    seed: o.seed ?? 0,
    embeddingDropout: o.embeddingDropout ?? o.dropout ?? 0,
    denseDropout: o.denseDropout ?? o.dropout ?? 0,
    embeddingL2: o.embeddingL2 ?? o.l2 ?? 0,
    denseL2: o.denseL2 ?? o.l2 ?? 0,
  };
  switch (kind) {
    case "mf":
      return new MF({ ...common, ...(o.factors !== undefined ? { factors: o.factors } : {}) });
    case "gmf":
      return new GMF({ ...common, ...(o.factors !== undefined ? { factors: o.factors } : {}) });
    case "mlp":
      return new MLP({ ...common, ...(o.layers ? { layers: o.layers } : {}) });
    case "neumf":
      return new NeuMF({ ...common, ...(o.factors !== undefined ? { factors: o.factors } : {}), ...(o.layers ? { layers: o.layers } : {}) });
    default:
      throw new Error(`unknown model '${kind as string}'. Valid: ${MODEL_KINDS.join(", ")}`);
  }
}

export async function trainRun(options: TrainRunOptions): Promise<TrainRunResult> {
  const seed = options.seed ?? 0;
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 256;
  const negatives = options.negatives ?? 4;
  const loss = options.loss ?? "bce";
  const optimizer = options.optimizer ?? "adam";
  const learningRate = options.learningRate ?? 1e-3;
  if (!MODEL_KINDS.includes(options.model)) throw new Error(`unknown model '${options.model}'. Valid: ${MODEL_KINDS.join(", ")}`);
  const data = await loadDataset(options.dataset, { dataDir: options.dataDir, download: options.download ?? true, progress: options.progress ?? true });
  const interactions = data.interactions.toImplicit();
  const split = leaveOneOut(interactions);
  const model = makeModel(options.model, interactions.numUsers, interactions.numItems, options);
  try {
    const source = loss === "bpr" ? pairwiseBatches(split.train, { batchSize }) : implicitBatches(split.train, { negatives, batchSize });
    const history = await fit(model, source, {
      epochs,
      loss,
      optimizer: { name: optimizer, learningRate },
      seed,
      progress: options.progress ?? true,
    });
    const full = await evaluateFullRanking(model, split.test, { train: split.train, k: 10 });
    const candidates = sampledCandidates(split.train, split.test, { numNegatives: 99, rng: new Rng(seed).derive("sampled candidates") });
    const sampled = await evaluateSampled(model, split.test, { negatives: candidates, k: 10 });
    const trainSeconds = history.epochs.reduce((s, e) => s + e.trainSeconds, 0);
    const examples = history.epochs.reduce((s, e) => s + e.examples, 0);
    if (options.save) await saveModel(model, options.save);
    return {
      dataset: data.name,
      model: model.name,
      config: model.getConfig(),
      split: { method: "leave-one-out (latest interaction per user)", train: split.train.length, test: split.test.length },
      training: { epochs: history.epochs.length, batchSize, optimizer, learningRate, loss, negatives: loss === "bce" ? negatives : 1 },
      full: { protocol: FULL_RANKING_PROTOCOL, hr10: full.metrics.hr, ndcg10: full.metrics.ndcg },
      sampled: { protocol: sampledProtocol(99), hr10: sampled.metrics.hr, ndcg10: sampled.metrics.ndcg },
      trainSeconds,
      examplesPerSecond: Math.round(examples / trainSeconds),
      history: history.epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, seconds: e.trainSeconds })),
      ...(options.save ? { saved: options.save } : {}),
    };
  } finally {
    model.dispose();
  }
}
