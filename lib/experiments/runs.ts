/**
 * One run of an experiment: a dataset, a model configuration and a seed, described as plain JSON so that it can be
 * hashed (for the results cache), sent to a worker process or put on a queue, and executed anywhere the kit runs.
 * Every run uses the same split and protocol as `trainAndEvaluate` (leave-one-out; full ranking with the training
 * items masked, and the labelled sampled protocol), so its numbers are the train command's.
 */
import { createHash } from "crypto";
import { loadCsv } from "../data/csv";
import type { Dataset } from "../data/dataset";
import { loadDataset } from "../data/load";
import type { SyntheticOptions } from "../data/synthetic";
import { GroundTruth, MostPopular, RandomRecommender } from "../models/baselines";
import { EASE } from "../models/ease";
import { IALS } from "../models/ials";
import { ItemKNN } from "../models/itemknn";
import { evaluateFullRanking } from "../eval/full-ranking";
import type { Recommender } from "../models/recommender";
import type { LossName } from "../nn/losses";
import type { OptimizerOptions } from "../nn/optimizers";
import { VERSION } from "../version";
import { evaluateRun, runData, runSplit, trainAndEvaluate, MODEL_NAMES, type ModelName, type ModelOptions, type RunRecord } from "./train-and-evaluate";

/** Where a run's data comes from: a registry dataset (with its folder and the synthetic world's knobs) or a CSV. */
export interface DatasetSpec {
  name: string;
  dataDir?: string;
  /** Never download. Default true in workers (downloads belong to the coordinator). */
  offline?: boolean;
  synthetic?: SyntheticOptions;
  csv?: { file: string; user: string; item: string; rating?: string; timestamp?: string; delimiter?: string };
}

/** Models that are built from the training data (closed forms, neighbourhoods, ALS sweeps), not trained by fit. */
export const BASELINE_NAMES = ["pop", "random", "itemknn", "ease", "ials", "truth"] as const;

/** A model configuration: a kit model by name with options and training settings, shown under `label`. */
export interface ModelConfig {
  /** Row label in tables, e.g. "MF (64 factors)". Default: the model name. */
  label?: string;
  /** A kit model (mf, gmf, mlp, neumf, two-tower) or a baseline (pop, random, ...). */
  model: string;
  /** The model's options (factors, layers, dropout, L2, features, ...). */
  options?: Record<string, unknown>;
  /** Training settings of trained models. */
  training?: { epochs?: number; batchSize?: number; negatives?: number; loss?: LossName; optimizer?: OptimizerOptions };
}

export interface RunSpec {
  dataset: DatasetSpec;
  config: ModelConfig;
  seed: number;
  k: number;
  sampledNegatives: number;
  /** Carve a validation split from train (model selection and early stopping use it, never test). */
  validation: boolean;
  /** Early-stopping patience on validation NDCG@k (needs validation). */
  patience?: number;
  /**
   * A model-selection run (hyper-parameter search): its metrics are the validation split's and the test split is
   * never evaluated. Needs validation.
   */
  select?: boolean;
}

export interface RunResult {
  /** The run's cache key (see runId). */
  id: string;
  label: string;
  model: string;
  /** The configuration as canonical JSON (options and training settings). */
  configuration: string;
  seed: number;
  /**
   * Test metrics: "hr", "ndcg", "recall", "mrr", "auc", "coverage" (full ranking), "sampled hr", "sampled ndcg";
   * for a selection run (spec.select), the validation split's "hr", "ndcg", "recall", "mrr", "auc" instead.
   */
  metrics: Record<string, number>;
  /** Validation metrics of the last (or best) epoch, when a validation split was carved. */
  validation?: Record<string, number>;
  /** Per test user (ascending index): full-ranking HR@k and NDCG@k, for paired tests. */
  perUser: { users: number[]; hr: number[]; ndcg: number[] };
  /** Learning curve: per epoch, train loss and validation metrics. */
  history: { epoch: number; trainLoss: number; validation?: Record<string, number> }[];
  trainSeconds: number;
  examplesPerSecond: number;
  epochs: number;
  /** Wall time of the whole run (data, training, evaluation). */
  seconds: number;
}

/** JSON with sorted keys, so that equal specs serialise (and hash) equally. */
export function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(",")}]`;
  if (x && typeof x === "object") {
    return `{${Object.keys(x)
      .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(x);
}

/** The cache key of a run: its spec, the data's fingerprint and the kit's version (a new version reruns). */
export function runId(spec: RunSpec, dataFingerprint: string): string {
  return createHash("sha256").update(`${VERSION}\n${dataFingerprint}\n${canonical(spec)}`).digest("hex").slice(0, 24);
}

/** Load a dataset spec (the same data everywhere the spec is loaded). */
export async function loadDatasetSpec(spec: DatasetSpec): Promise<Dataset> {
  if (spec.name === "csv") {
    if (!spec.csv) throw new Error("dataset 'csv' needs csv: { file, user, item, ... }");
    return loadCsv(spec.csv.file, spec.csv);
  }
  return loadDataset(spec.name, { dataDir: spec.dataDir, download: spec.offline === false, progress: false, ...(spec.name === "synthetic" ? { synthetic: spec.synthetic } : {}) });
}

/** The label of a configuration in tables. */
export function labelOf(config: ModelConfig): string {
  return config.label ?? config.model;
}

/** Builds a baseline from the training split; the time it takes is the run's training time. */
export type BaselineBuilder = (
  train: import("../data/interactions").Interactions,
  options: Record<string, unknown>,
  seed: number,
  dataset: Dataset,
) => Recommender | Promise<Recommender>;

/** Baselines by name: built from the training split (no fit). */
const BASELINES: Record<string, BaselineBuilder> = {
  pop: (train) => new MostPopular(train),
  random: (train, _o, seed) => new RandomRecommender({ numUsers: train.numUsers, numItems: train.numItems, seed }),
  itemknn: (train, options) => new ItemKNN(train, options),
  ease: (train, options) => new EASE(train, options),
  ials: async (train, options, seed) => {
    const model = new IALS(train, { seed, ...options });
    await model.fit();
    return model;
  },
  // A synthetic world's ground truth: the ceiling of its table.
  truth: (_train, _o, _s, dataset) => {
    if (!("truth" in dataset)) throw new Error(`model 'truth' is the ground truth of a synthetic world; ${dataset.name} has none`);
    return new GroundTruth(dataset as import("../data/synthetic").SyntheticDataset);
  },
};

/** Every model name a configuration may use. */
export function configModelNames(): string[] {
  return [...Object.keys(BASELINES), ...MODEL_NAMES];
}

/** Register a baseline builder (e.g. a user's own Recommender) under a name runs can use. */
export function registerBaseline(name: string, build: BaselineBuilder): void {
  BASELINES[name] = build;
}

/** Execute one run on a loaded dataset. */
export async function executeRun(spec: RunSpec, dataset: Dataset, id: string): Promise<RunResult> {
  const started = performance.now();
  const { config } = spec;
  const label = labelOf(config);
  const base = { id, label, model: config.model, configuration: canonical({ options: config.options ?? {}, training: config.training ?? {} }), seed: spec.seed };
  const record: RunRecord = {
    dataset: dataset.name,
    split: { method: "leave-one-out", validation: spec.validation },
    loss: config.training?.loss ?? (config.model === "two-tower" ? "softmax" : "bce"),
    seed: spec.seed,
    k: spec.k,
    sampledNegatives: spec.sampledNegatives,
    epochs: 0,
    batchSize: 0,
  };
  if (spec.select && !spec.validation) throw new Error("a selection run (select: true) needs validation: true: it reads the validation split only");
  const baseline = BASELINES[config.model];
  if (baseline) {
    const split = runSplit(runData(dataset, "bce"), record);
    const t0 = performance.now();
    const model = await baseline(split.train, config.options ?? {}, spec.seed, dataset);
    const trainSeconds = (performance.now() - t0) / 1000;
    try {
      const validation = split.validation ? await evaluateFullRanking(model, split.validation, { train: split.train, k: spec.k }) : undefined;
      const validationMetrics = validation ? plainMetrics({ ...validation.metrics }) : undefined;
      const evaluated = spec.select ? { metrics: validationMetrics!, perUser: { users: [], hr: [], ndcg: [] } } : resultMetrics(await evaluateRun(model, split, record));
      const examples = split.train.length;
      return { ...base, ...evaluated, ...(validationMetrics ? { validation: validationMetrics } : {}), history: [], trainSeconds, examplesPerSecond: examples / Math.max(trainSeconds, 1e-9), epochs: 0, seconds: (performance.now() - started) / 1000 };
    } finally {
      (model as { dispose?: () => void }).dispose?.();
    }
  }
  if (!(MODEL_NAMES as readonly string[]).includes(config.model)) {
    throw new Error(`unknown model '${config.model}'. Valid: ${configModelNames().join(", ")}`);
  }
  const t = config.training ?? {};
  const r = await trainAndEvaluate(dataset, {
    model: config.model as ModelName,
    modelOptions: config.options as Partial<ModelOptions> | undefined,
    epochs: t.epochs,
    batchSize: t.batchSize,
    negatives: t.negatives,
    loss: t.loss,
    optimizer: t.optimizer,
    seed: spec.seed,
    k: spec.k,
    sampledNegatives: spec.sampledNegatives,
    validation: spec.validation,
    patience: spec.patience,
    progress: false,
    test: !spec.select,
  });
  try {
    const last = r.history.epochs[r.history.epochs.length - 1];
    const best = r.history.best ? r.history.epochs[r.history.best.epoch - 1] : last;
    const validation = best?.validation ? plainMetrics(best.validation) : undefined;
    return {
      ...base,
      ...(spec.select ? { metrics: validation!, perUser: { users: [], hr: [], ndcg: [] } } : resultMetrics(r.test)),
      ...(validation ? { validation } : {}),
      history: r.history.epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, ...(e.validation ? { validation: e.validation } : {}) })),
      trainSeconds: r.trainSeconds,
      examplesPerSecond: r.examplesPerSecond,
      epochs: r.history.epochs.length,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    r.model.dispose();
  }
}

/** Validation metrics under the names of test metrics: "ndcg@10" -> "ndcg". */
function plainMetrics(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k.replace(/@\d+$/, ""), v]));
}

function resultMetrics(test: import("./train-and-evaluate").TestMetrics): Pick<RunResult, "metrics" | "perUser"> {
  const metrics: Record<string, number> = {};
  if (test.full) for (const [k, v] of Object.entries(test.full)) metrics[k] = v;
  if (test.sampled) {
    metrics["sampled hr"] = test.sampled.hr;
    metrics["sampled ndcg"] = test.sampled.ndcg;
  }
  if (test.coldStart) {
    metrics["cold hr"] = test.coldStart.hr;
    metrics["cold ndcg"] = test.coldStart.ndcg;
  }
  const p = test.perUser;
  return { metrics, perUser: p ? { users: Array.from(p.users), hr: Array.from(p.hr), ndcg: Array.from(p.ndcg) } : { users: [], hr: [], ndcg: [] } };
}
