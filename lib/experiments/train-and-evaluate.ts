/**
 * One training run, end to end, as the CLI, the notebooks and the comparison experiments all need it:
 * dataset -> leave-one-out split (optionally a validation split carved from train) -> model -> fit -> test
 * metrics with the full-ranking protocol (the honest default) and the labelled sampled protocol (paper
 * reproduction), plus the history for learning curves and a record of the run that a saved model keeps, so that
 * `recsys-lab evaluate --model-dir` can rebuild the same split and reproduce the test metrics exactly.
 */
import type { Dataset } from "../data/dataset";
import { Interactions } from "../data/interactions";
import { sampledCandidates } from "../data/sampling";
import { carveValidation, leaveOneOut, type Split } from "../data/splits";
import { evaluateFullRanking } from "../eval/full-ranking";
import { evaluateRatings } from "../eval/rating";
import { evaluateSampled } from "../eval/sampled";
import type { Model } from "../models/model";
import { MF, type MFOptions } from "../models/mf";
import { GMF, MLP, NeuMF, type GMFOptions, type MLPOptions, type NeuMFOptions } from "../models/ncf";
import type { Recommender } from "../models/recommender";
import type { TrainableRecommender } from "../models/trainable";
import { TwoTower } from "../models/two-tower/model";
import type { TwoTowerOptions } from "../models/two-tower/options";
import { Rng } from "../random";
import type { Progress } from "../progress";
import type { LossName } from "../nn/losses";
import type { OptimizerOptions } from "../nn/optimizers";
import { implicitBatches, inBatchBatches, pairwiseBatches, ratingBatches } from "../train/sources";
import { fit, type History } from "../train/trainer";
import type { WorkersOption } from "../train/parallel/workers-option";
import { lossValidation, rankingValidation } from "../train/validation";

export const MODEL_NAMES = ["mf", "gmf", "mlp", "neumf", "two-tower"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** A two-tower model's options without its sizes, plus the features its towers read (default: what the data has). */
export type TwoTowerModelOptions = Omit<TwoTowerOptions, "numUsers" | "numItems"> & { features?: string[] };

/** Options of a model without its sizes (which come from the data). */
export type ModelOptions = Omit<MFOptions, "numUsers" | "numItems"> &
  Omit<GMFOptions, "numUsers" | "numItems"> &
  Omit<MLPOptions, "numUsers" | "numItems"> &
  Omit<NeuMFOptions, "numUsers" | "numItems"> &
  TwoTowerModelOptions;

/**
 * Build a model by name for a data set's sizes; options that the model does not have are an error. A two-tower
 * model also needs the dataset (its features) and the training split (histories): pass `data`.
 */
export function createModel(
  name: ModelName,
  sizes: { numUsers: number; numItems: number },
  options: Partial<ModelOptions> = {},
  data?: { dataset: Dataset; train: Interactions },
): Model {
  const o = { ...dropUndefined(options), numUsers: sizes.numUsers, numItems: sizes.numItems };
  switch (name) {
    case "two-tower": {
      if (!data) throw new Error("createModel: 'two-tower' needs the dataset and the training split (its features and histories)");
      const { numUsers: _u, numItems: _i, ...rest } = o;
      return TwoTower.fromDataset(data.dataset, data.train, rest as TwoTowerModelOptions);
    }
    case "mf":
      return new MF(o as MFOptions);
    case "gmf":
      return new GMF(o as GMFOptions);
    case "mlp":
      return new MLP(o as MLPOptions);
    case "neumf":
      return new NeuMF(o as NeuMFOptions);
    default:
      throw new Error(`unknown model '${name as string}'. Valid: ${MODEL_NAMES.join(", ")}`);
  }
}

export interface TrainRunOptions<M extends TrainableRecommender = Model> {
  /**
   * A kit model by name (built with `modelOptions` and the run's seed), a model (anything that implements the
   * training contract, e.g. an AutodiffModel), or a function that builds one for the dataset.
   */
  model: ModelName | M | ((dataset: Dataset, train: Interactions) => M);
  /** Options of a model given by name (factors, layers, dropout, L2, init). The run's seed is used unless options.seed is given. */
  modelOptions?: Partial<ModelOptions>;
  /** Default 10. */
  epochs?: number;
  /** Default 256; 512 for the in-batch softmax (each example's negatives are the batch's other positives). */
  batchSize?: number;
  /** Sampled negatives per positive for "bce", resampled every epoch. Default 4. */
  negatives?: number;
  /**
   * "bce" (default: implicit feedback, sampled negatives), "bpr" (pairs), "mse" (explicit ratings), or "softmax" (the
   * in-batch softmax of two-tower models; their default).
   */
  loss?: LossName;
  /** Default Adam, learning rate 0.001 (two-tower: 0.003, as the PyTorch reference). */
  optimizer?: OptimizerOptions;
  /** One seed for the split's randomness, sampling, order, initial weights and dropout. Default 0. */
  seed?: number;
  /** Cut-off of the ranking metrics. Default 10. */
  k?: number;
  /** Negatives per held-out item of the sampled protocol. Default 99 (He et al. 2017). */
  sampledNegatives?: number;
  /**
   * Carve a validation set (each user's latest training interaction) out of train and validate every epoch;
   * with `patience`, stop early on validation NDCG@k and restore the best epoch. Default false.
   */
  validation?: boolean;
  /** Early-stopping patience in epochs (needs validation). */
  patience?: number;
  /**
   * Also evaluate the test set after every epoch ("test ndcg@k", ...: learning curves on test; costs one
   * evaluation per epoch). Masks exactly what the final test evaluation masks.
   */
  testEveryEpoch?: boolean;
  /** Live progress (see fit). Default true. */
  progress?: boolean | Progress;
  /**
   * Evaluate the test split at the end. Default true; false for model selection (hyper-parameter search reads
   * validation only, so its candidates never see the test set; `test` is then empty).
   */
  test?: boolean;
  /**
   * Threads training data-parallel (see fit's `workers`). Default 1. Not recorded with the run: without dropout it
   * changes speed, not the model (beyond float rounding); with dropout each replica draws its own masks, so the run
   * is statistically alike but not equal to one worker's.
   */
  workers?: WorkersOption;
}

/** Final test metrics: full ranking (default protocol) and sampled (paper reproduction); or ratings for "mse". */
export interface TestMetrics {
  full?: { hr: number; ndcg: number; recall: number; mrr: number; auc: number; coverage: number };
  /** Full ranking, per evaluated user (for paired tests between models on the same users). */
  perUser?: { users: Int32Array; hr: Float64Array; ndcg: Float64Array };
  sampled?: { hr: number; ndcg: number; protocol: string };
  /** Two-tower models: full ranking with every item vector from its features alone (as if every item were new). */
  coldStart?: { hr: number; ndcg: number };
  ratings?: { rmse: number; mae: number };
  usersEvaluated: number;
}

/** How a run was set up: what a saved model keeps so that its split and test evaluation can be rebuilt. */
export interface RunRecord {
  dataset: string;
  split: { method: "leave-one-out"; validation: boolean };
  loss: LossName;
  seed: number;
  k: number;
  sampledNegatives: number;
  epochs: number;
  batchSize: number;
  negatives?: number;
  optimizer?: OptimizerOptions;
}

export interface TrainRunResult<M extends TrainableRecommender = Model> {
  model: M;
  split: Split;
  history: History;
  test: TestMetrics;
  trainSeconds: number;
  examplesPerSecond: number;
  record: RunRecord;
}

/** The interactions a run trains on: ratings for "mse", implicit feedback otherwise. */
export function runData(dataset: Dataset, loss: LossName): Interactions {
  if (loss !== "mse") return dataset.interactions.toImplicit();
  if (!dataset.interactions.ratings) throw new Error(`loss 'mse' trains on ratings, but ${dataset.name} has none; use 'bce' or 'bpr'`);
  return dataset.interactions;
}

/** The run's split: leave-one-out (repeated pairs merged to the latest), and a validation split carved from train. */
export function runSplit(data: Interactions, record: Pick<RunRecord, "split">): Split {
  const split = leaveOneOut(data);
  return record.split.validation ? carveValidation(split, { method: "leave-one-out" }) : split;
}

/**
 * The final test evaluation of a run: full ranking (training and validation items masked) and the labelled
 * sampled protocol (candidates drawn from the run's seed), or RMSE/MAE for a ratings run. `trainAndEvaluate`
 * and `recsys-lab evaluate --model-dir` both call this, so they agree exactly.
 */
export async function evaluateRun(model: Recommender, split: Split, record: Pick<RunRecord, "loss" | "seed" | "k" | "sampledNegatives">): Promise<TestMetrics> {
  const { train, test, validation } = split;
  if (record.loss === "mse") {
    const r = await evaluateRatings(model, test);
    return { ratings: { rmse: r.rmse, mae: r.mae }, usersEvaluated: r.usersEvaluated };
  }
  const k = record.k;
  const exclude = validation ? [validation] : [];
  const full = await evaluateFullRanking(model, test, { train, exclude, k });
  const negatives = sampledCandidates(validation ? Interactions.concat([train, validation]) : train, test, {
    numNegatives: record.sampledNegatives,
    rng: new Rng(record.seed).derive("sampled-candidates"),
  });
  const sampled = await evaluateSampled(model, test, { negatives, k });
  const m = full.metrics;
  const result: TestMetrics = {
    full: { hr: m.hr, ndcg: m.ndcg, recall: m.recall, mrr: m.mrr, auc: m.auc, coverage: m.coverage ?? NaN },
    sampled: { hr: sampled.metrics.hr, ndcg: sampled.metrics.ndcg, protocol: sampled.protocol },
    perUser: { users: full.perUser.users, hr: full.perUser.hr, ndcg: full.perUser.ndcg },
    usersEvaluated: full.usersEvaluated,
  };
  if (model instanceof TwoTower) {
    const cold = await evaluateFullRanking(model.featuresOnly(), test, { train, exclude, k });
    result.coldStart = { hr: cold.metrics.hr, ndcg: cold.metrics.ndcg };
  }
  return result;
}

/** Train one model on a dataset and evaluate it (see the module comment). */
export async function trainAndEvaluate(dataset: Dataset, options: TrainRunOptions<Model> & { model: ModelName }): Promise<TrainRunResult<Model>>;
export async function trainAndEvaluate<M extends TrainableRecommender>(dataset: Dataset, options: TrainRunOptions<M>): Promise<TrainRunResult<M>>;
export async function trainAndEvaluate<M extends TrainableRecommender>(dataset: Dataset, options: TrainRunOptions<M>): Promise<TrainRunResult<M>> {
  const seed = options.seed ?? 0;
  const twoTower = options.model === "two-tower";
  const loss = options.loss ?? (twoTower ? "softmax" : "bce");
  const explicit = loss === "mse";
  if (options.patience !== undefined && !options.validation) throw new Error("patience (early stopping) needs validation: true");
  const record: RunRecord = {
    dataset: dataset.name,
    split: { method: "leave-one-out", validation: options.validation === true },
    loss,
    seed,
    k: options.k ?? 10,
    sampledNegatives: options.sampledNegatives ?? 99,
    epochs: options.epochs ?? 10,
    batchSize: options.batchSize ?? (loss === "softmax" ? 512 : 256),
    ...(loss === "bce" ? { negatives: options.negatives ?? 4 } : {}),
    ...(options.optimizer ? { optimizer: options.optimizer } : twoTower ? { optimizer: { learningRate: 3e-3 } } : {}),
  };
  const data = runData(dataset, loss);
  const split = runSplit(data, record);
  const { train, test, validation } = split;
  const k = record.k;

  const model = buildModel(options, dataset, data, train, seed);
  const source =
    loss === "mse"
      ? ratingBatches(train, { batchSize: record.batchSize })
      : loss === "bpr"
        ? pairwiseBatches(train, { batchSize: record.batchSize })
        : loss === "softmax"
          ? inBatchBatches(train, { batchSize: record.batchSize })
          : implicitBatches(train, { batchSize: record.batchSize, negatives: record.negatives });

  const validators = [];
  if (validation) {
    validators.push(explicit ? lossValidation(validation, { loss: "mse" }) : rankingValidation(validation, { train, k }));
  }
  if (options.testEveryEpoch && !explicit) {
    // The same masks as the final test evaluation (training and validation items), so the curve ends on it.
    validators.push(rankingValidation(test, { train, exclude: validation ? [validation] : [], k, prefix: "test " }));
  }
  const monitor = explicit ? "loss" : `ndcg@${k}`;
  const history = await fit(model, source, {
    epochs: record.epochs,
    loss,
    optimizer: record.optimizer,
    seed,
    validate: validators.length ? validators : undefined,
    earlyStopping: options.patience !== undefined ? { monitor, patience: options.patience } : validation ? { monitor } : undefined,
    progress: options.progress,
    workers: options.workers,
  });

  const trainSeconds = history.epochs.reduce((s, e) => s + e.trainSeconds, 0);
  const examples = history.epochs.reduce((s, e) => s + e.examples, 0);
  const result: TestMetrics = options.test === false ? { usersEvaluated: 0 } : await evaluateRun(model, split, record);
  return { model, split, history, test: result, trainSeconds, examplesPerSecond: examples / trainSeconds, record };
}

function buildModel<M extends TrainableRecommender>(options: TrainRunOptions<M>, dataset: Dataset, data: Interactions, train: Interactions, seed: number): M {
  const m = options.model;
  if (typeof m === "string") return createModel(m as ModelName, data, { seed, ...options.modelOptions }, { dataset, train }) as unknown as M;
  if (options.modelOptions) throw new Error("trainAndEvaluate: modelOptions apply to a model given by name; configure your own model when you build it");
  const model = typeof m === "function" ? m(dataset, train) : m;
  if (model.numUsers !== data.numUsers || model.numItems !== data.numItems) {
    throw new Error(`trainAndEvaluate: the model has ${model.numUsers} users x ${model.numItems} items but ${dataset.name} has ${data.numUsers} x ${data.numItems}`);
  }
  return model;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
