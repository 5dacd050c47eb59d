/**
 * Hyper-parameter search on the validation split only: candidates (a grid, or random draws within a budget) are
 * trained on train minus validation and scored on validation; the test split is never evaluated for them. The
 * selected configuration is then run once more, the same way, and evaluated once on test. Rendle et al. (2020,
 * 2022) found that the NCF papers' gains came from untuned baselines, so every model, MF and iALS included, is
 * tuned through this one function.
 *
 *   const { best, test } = await searchHyperparameters({
 *     dataset: { name: "ml-100k", dataDir },
 *     base: { model: "mf", training: { epochs: 20 } },
 *     space: { factors: [32, 64, 128], embeddingL2: { min: 1e-7, max: 1e-4, log: true } },
 *     strategy: "random", budget: 12, workers: 2,
 *   });
 */
import { runExperiment, type ExperimentOptions } from "./experiment";
import { gridConfigs, gridSize, randomConfigs, type ParameterSpace } from "./grid";
import type { ModelConfig, RunResult } from "./runs";

export interface HyperparameterSearchOptions extends Pick<ExperimentOptions, "dataset" | "k" | "sampledNegatives" | "patience" | "workers" | "queue" | "cacheDir" | "modules" | "progress"> {
  /** The model and its fixed options and training settings. */
  base: ModelConfig;
  /** What varies: lists of values (grid or random) or ranges (random only). */
  space: ParameterSpace;
  /** "grid" (every combination; the default when every parameter is a list) or "random" (the default with ranges). */
  strategy?: "grid" | "random";
  /** Random search: how many candidates. Grid: the most candidates allowed (a larger grid is an error). Default 20. */
  budget?: number;
  /** The validation metric to maximise: "ndcg" (default), "hr", "recall", "mrr", "auc". */
  metric?: string;
  /** Seed of the runs and of the random draws. Default 0. */
  seed?: number;
}

export interface Trial {
  config: ModelConfig;
  /** Validation metrics (hr, ndcg, recall, mrr, auc). */
  validation: Record<string, number>;
  seconds: number;
}

export interface HyperparameterSearchResult {
  /** Every candidate with its validation metrics, best first. */
  trials: Trial[];
  /** The selected configuration (the best validation metric; ties to the earlier candidate). */
  best: ModelConfig;
  metric: string;
  /** The selected configuration's one run evaluated on test (same split and seed as its selection run). */
  test: RunResult;
  seconds: number;
}

export async function searchHyperparameters(options: HyperparameterSearchOptions): Promise<HyperparameterSearchResult> {
  const started = performance.now();
  const metric = options.metric ?? "ndcg";
  const seed = options.seed ?? 0;
  const budget = options.budget ?? 20;
  const hasRanges = Object.values(options.space).some((v) => !Array.isArray(v));
  const strategy = options.strategy ?? (hasRanges ? "random" : "grid");
  if (!Object.keys(options.space).length) throw new Error("searchHyperparameters: the space is empty; name at least one parameter to vary");
  let candidates: ModelConfig[];
  if (strategy === "grid") {
    if (hasRanges) throw new Error("searchHyperparameters: a grid needs lists of values; ranges ({ min, max }) need strategy 'random'");
    const grid = options.space as Record<string, readonly unknown[]>;
    if (gridSize(grid) > budget) throw new Error(`searchHyperparameters: the grid has ${gridSize(grid)} configurations, more than the budget ${budget}; raise budget or use strategy 'random'`);
    candidates = gridConfigs(options.base, grid);
  } else if (strategy === "random") {
    candidates = randomConfigs(options.base, options.space, budget, seed);
  } else {
    throw new Error(`searchHyperparameters: strategy must be 'grid' or 'random', got '${strategy as string}'`);
  }
  const common = {
    dataset: options.dataset,
    seeds: [seed],
    validation: true,
    ...pick(options, ["k", "sampledNegatives", "patience", "workers", "queue", "cacheDir", "modules", "progress"]),
  };
  const selection = await runExperiment({ ...common, models: candidates, select: true });
  const trials = selection.runs.map((r, i) => {
    const value = r.metrics[metric];
    if (value === undefined) throw new Error(`searchHyperparameters: no validation metric '${metric}'; choose one of ${Object.keys(r.metrics).join(", ")}`);
    return { config: candidates[i]!, validation: r.metrics, seconds: r.seconds };
  });
  const order = trials.map((_, i) => i).sort((a, b) => trials[b]!.validation[metric]! - trials[a]!.validation[metric]! || a - b);
  const best = trials[order[0]!]!.config;
  const final = await runExperiment({ ...common, models: [best] });
  return { trials: order.map((i) => trials[i]!), best, metric, test: final.runs[0]!, seconds: (performance.now() - started) / 1000 };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Pick<T, K>;
}

