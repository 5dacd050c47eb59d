/**
 * One training run, end to end, as the CLI, the notebooks and the comparison experiments all need it:
 * dataset -> leave-one-out split (optionally a validation split carved from train) -> model -> fit -> test
 * metrics with the full-ranking protocol (the honest default) and the labelled sampled protocol (paper
 * reproduction), plus the history for learning curves.
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
import { Rng } from "../random";
import type { Progress } from "../progress";
import type { LossName } from "../nn/losses";
import type { OptimizerOptions } from "../nn/optimizers";
import { implicitBatches, pairwiseBatches, ratingBatches } from "../train/sources";
import { fit, type History } from "../train/trainer";
import { lossValidation, rankingValidation } from "../train/validation";

export const MODEL_NAMES = ["mf", "gmf", "mlp", "neumf"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** Options of a model without its sizes (which come from the data). */
export type ModelOptions = Omit<MFOptions, "numUsers" | "numItems"> &
  Omit<GMFOptions, "numUsers" | "numItems"> &
  Omit<MLPOptions, "numUsers" | "numItems"> &
  Omit<NeuMFOptions, "numUsers" | "numItems">;

/** Build a model by name for a data set's sizes; options that the model does not have are an error. */
export function createModel(name: ModelName, sizes: { numUsers: number; numItems: number }, options: Partial<ModelOptions> = {}): Model {
  const o = { ...dropUndefined(options), numUsers: sizes.numUsers, numItems: sizes.numItems };
  switch (name) {
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

export interface TrainRunOptions {
  model: ModelName;
  /** Model options (factors, layers, dropout, L2, init). The run's seed is used unless options.seed is given. */
  modelOptions?: Partial<ModelOptions>;
  /** Default 10. */
  epochs?: number;
  /** Default 256. */
  batchSize?: number;
  /** Sampled negatives per positive for "bce", resampled every epoch. Default 4. */
  negatives?: number;
  /** "bce" (default: implicit feedback, sampled negatives), "bpr" (pairs) or "mse" (explicit ratings). */
  loss?: LossName;
  /** Default Adam, learning rate 0.001. */
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
  /** Also evaluate the test set after every epoch (learning curves on test; costs one evaluation per epoch). */
  testEveryEpoch?: boolean;
  /** Live progress (see fit). Default true. */
  progress?: boolean | Progress;
}

export interface TrainRunResult {
  model: Model;
  split: Split;
  history: History;
  /** Final test metrics: full ranking (default protocol) and sampled (paper reproduction); or ratings for "mse". */
  test: {
    full?: { hr: number; ndcg: number; recall: number; mrr: number; auc: number; coverage: number };
    sampled?: { hr: number; ndcg: number; protocol: string };
    ratings?: { rmse: number; mae: number };
    usersEvaluated: number;
  };
  trainSeconds: number;
  examplesPerSecond: number;
}

/** Train one model on a dataset and evaluate it (see the module comment). */
export async function trainAndEvaluate(dataset: Dataset, options: TrainRunOptions): Promise<TrainRunResult> {
  const seed = options.seed ?? 0;
  const k = options.k ?? 10;
  const loss = options.loss ?? "bce";
  const rng = new Rng(seed);
  const explicit = loss === "mse";
  const data: Interactions = explicit ? dataset.interactions : dataset.interactions.toImplicit();
  if (explicit && !data.ratings) throw new Error(`loss 'mse' trains on ratings, but ${dataset.name} has none; use 'bce' or 'bpr'`);
  if (options.patience !== undefined && !options.validation) throw new Error("patience (early stopping) needs validation: true");

  let split = leaveOneOut(data);
  if (options.validation) split = carveValidation(split, { method: "leave-one-out" });
  const { train, test, validation } = split;

  const model = createModel(options.model, data, { seed, ...options.modelOptions });
  const batchSize = options.batchSize ?? 256;
  const source =
    loss === "mse"
      ? ratingBatches(train, { batchSize })
      : loss === "bpr"
        ? pairwiseBatches(train, { batchSize })
        : implicitBatches(train, { batchSize, negatives: options.negatives ?? 4 });

  const validators = [];
  if (validation) {
    validators.push(explicit ? lossValidation(validation, { loss: "mse" }) : rankingValidation(validation, { train, k }));
  }
  if (options.testEveryEpoch && !explicit) {
    validators.push(rankingValidation(test, { train, k, prefix: "test " }));
  }
  const history = await fit(model, source, {
    epochs: options.epochs ?? 10,
    loss,
    optimizer: options.optimizer,
    seed,
    validate: validators.length ? validators : undefined,
    earlyStopping:
      options.patience !== undefined ? { monitor: explicit ? "loss" : `ndcg@${k}`, patience: options.patience } : validation ? { monitor: explicit ? "loss" : `ndcg@${k}` } : undefined,
    progress: options.progress,
  });

  const trainSeconds = history.epochs.reduce((s, e) => s + e.trainSeconds, 0);
  const examples = history.epochs.reduce((s, e) => s + e.examples, 0);
  const result: TrainRunResult = { model, split, history, test: { usersEvaluated: 0 }, trainSeconds, examplesPerSecond: examples / trainSeconds };
  if (explicit) {
    const r = await evaluateRatings(model, test);
    result.test = { ratings: { rmse: r.rmse, mae: r.mae }, usersEvaluated: r.usersEvaluated };
    return result;
  }
  const exclude = validation ? [validation] : [];
  const full = await evaluateFullRanking(model, test, { train, exclude, k });
  const negatives = sampledCandidates(validation ? Interactions.concat([train, validation]) : train, test, {
    numNegatives: options.sampledNegatives ?? 99,
    rng: rng.derive("sampled-candidates"),
  });
  const sampled = await evaluateSampled(model, test, { negatives, k });
  result.test = {
    full: {
      hr: full.metrics.hr,
      ndcg: full.metrics.ndcg,
      recall: full.metrics.recall,
      mrr: full.metrics.mrr,
      auc: full.metrics.auc,
      coverage: full.metrics.coverage ?? NaN,
    },
    sampled: { hr: sampled.metrics.hr, ndcg: sampled.metrics.ndcg, protocol: sampled.protocol },
    usersEvaluated: full.usersEvaluated,
  };
  return result;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
