/**
 * Helpers of notebook 03-overfitting (and its solutions): a sparse data set split into train / validation / test,
 * a deep model trained with per-epoch validation (ranking metric and loss), the measures of the train/validation
 * gap, and the two ablations of the notebook (dropout x L2 grid, batch-size sweep).
 *
 * The gap. `lossGap(history)` = validation loss - training loss at the last epoch, both binary cross-entropy over
 * each positive plus 4 sampled negatives (training: the epoch's mean with dropout on and fresh negatives; validation:
 * no dropout, negatives drawn once). A model that memorises its training rows drives the first towards 0 while
 * the second rises. `ndcgDrop(history)` = best validation NDCG@k over the epochs - the last epoch's, the other
 * common reading; it is noisier on a few hundred validation users.
 */
import * as fs from "fs";
import * as path from "path";
import { loadDataset } from "../data/load";
import { leaveOneOut, carveValidation } from "../data/splits";
import type { Interactions } from "../data/interactions";
import type { SyntheticOptions } from "../data/synthetic";
import { NeuMF, type NeuMFOptions } from "../models/ncf";
import { fit, type EarlyStoppingOptions, type History } from "../train/trainer";
import { implicitBatches } from "../train/sources";
import { lossValidation, rankingValidation } from "../train/validation";
import { checkExercise } from "../exercises";
import type { AblationGrid } from "../viz/comparison";
import { colourAt, lineChart, type ChartOptions, type Figure } from "../viz/figure";
import type { BatchSizePoints, LearningRun } from "../viz/training";

/** Train, validation (each user's latest training interaction) and test (each user's latest) of one data set. */
export interface OverfittingData {
  /** The data set that was loaded ("synthetic", "ml-100k"): print it, do not assume it. */
  name: string;
  train: Interactions;
  validation: Interactions;
  test: Interactions;
}

export interface OverfittingDataOptions {
  /** "synthetic" (default) or a MovieLens name such as "ml-100k" (read from dataDir; never downloaded). */
  dataset?: string;
  /** Folder with the MovieLens files. When they are absent, the synthetic world is used instead. */
  dataDir?: string;
  /** Options of the synthetic world (sparse by default here: see below). */
  synthetic?: SyntheticOptions;
}

/** Sparse default world: few interactions per user, many items. */
export const SPARSE_WORLD: SyntheticOptions = { numUsers: 500, numItems: 1000, interactionsPerUser: 12 };

/**
 * Loads the data set (MovieLens when asked for and present in dataDir, else the synthetic world) and splits it by
 * leave-one-out twice: test = each user's latest interaction, validation = the latest of the rest.
 */
export async function loadOverfittingData(options: OverfittingDataOptions = {}): Promise<OverfittingData> {
  const wanted = options.dataset ?? "synthetic";
  const haveFiles = wanted !== "synthetic" && options.dataDir !== undefined && fs.existsSync(path.join(options.dataDir, "u.data"));
  const dataset = haveFiles
    ? await loadDataset(wanted, { dataDir: options.dataDir, download: false })
    : await loadDataset("synthetic", { synthetic: { ...SPARSE_WORLD, ...options.synthetic } });
  const split = carveValidation(leaveOneOut(dataset.interactions.toImplicit()), { method: "leave-one-out" });
  return { name: dataset.name, train: split.train, validation: split.validation!, test: split.test };
}

/** Training settings of one run of the deep model. */
export interface DeepRunOptions {
  /** Model options other than the sizes of the index space: factors, layers, dropout, L2, seed. */
  model: Omit<NeuMFOptions, "numUsers" | "numItems">;
  epochs: number;
  /** Default 256. */
  batchSize?: number;
  /** Adam's learning rate. Default 0.001. */
  learningRate?: number;
  /** Cut-off of the validation metrics. Default 10. */
  k?: number;
  /** Validate after every this many epochs (and after the last). Default 1. */
  validateEvery?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Live progress of fit. Default false (the notebook prints one summary line per run). */
  progress?: boolean;
}

/** What one run measured. The model is disposed: only numbers are kept. */
export interface DeepRun {
  label: string;
  history: History;
  /**
   * Validation loss - training loss of the weights the run ends with: the last epoch's, or after early stopping
   * the restored best epoch's (see the module comment).
   */
  gap: number;
  /** Validation NDCG@k at the last epoch (after early stopping: the restored best epoch's). */
  ndcg: number;
  /** Best validation NDCG@k over the validated epochs, and the drop from it to the last epoch. */
  bestNdcg: number;
  ndcgDrop: number;
  /** Mean seconds per training epoch (without validation). */
  secondsPerEpoch: number;
}

/**
 * Validation loss - training loss at the last epoch with a validation loss, or at the given (1-based, as in
 * EpochRecord.epoch) epoch.
 */
export function lossGap(history: History, epoch?: number): number {
  const e = epoch === undefined ? [...history.epochs].reverse().find((r) => r.validation?.loss !== undefined) : history.epochs.find((r) => r.epoch === epoch);
  if (!e || e.validation?.loss === undefined) {
    throw new Error(`lossGap: ${epoch === undefined ? "no epoch" : `epoch ${epoch}`} has a validation 'loss'; validate with lossValidation(...)`);
  }
  return e.validation.loss - e.trainLoss;
}

/**
 * Training loss (solid) and validation loss (dashed) of several runs on ONE axis, one colour per run: the vertical
 * distance between a run's two lines is its gap. (learningCurves puts the validation metric on its own axis, which
 * suits a ranking metric but hides the gap between two losses.)
 */
export function gapCurves(runs: readonly DeepRun[], options: ChartOptions = {}): Figure {
  if (!runs.length) throw new Error("gapCurves: runs is empty");
  const figure = lineChart(
    runs.flatMap((r) => [
      { name: `${r.label}: train loss`, y: r.history.epochs.map((e) => e.trainLoss) },
      { name: `${r.label}: validation loss`, y: validationSeries(r.history, "loss"), dash: true },
    ]),
    { xTitle: "epoch", yTitle: "binary cross-entropy", ...options },
  );
  figure.data.forEach((t, i) => {
    t.line = { color: colourAt(Math.floor(i / 2)), ...(i % 2 ? { dash: "dash" } : {}) };
    t.marker = { color: colourAt(Math.floor(i / 2)), size: 5 };
    t.y = Array.from(t.y as ArrayLike<number>, (v) => (Number.isFinite(v) ? v : null));
  });
  return figure;
}

/** Best validation NDCG@k over the epochs minus the last validated epoch's (0 when the last is the best). */
export function ndcgDrop(history: History, k = 10): number {
  const values = validationSeries(history, `ndcg@${k}`).filter((v) => !Number.isNaN(v));
  if (!values.length) throw new Error(`ndcgDrop: no epoch has 'ndcg@${k}'; validate with rankingValidation(...)`);
  return Math.max(...values) - values[values.length - 1]!;
}

/** One validation metric per epoch, NaN where the epoch was not validated. */
export function validationSeries(history: History, metric: string): number[] {
  return history.epochs.map((e) => e.validation?.[metric] ?? NaN);
}

/** A run as a learningCurves entry: training loss and validation loss per epoch. */
export function lossCurve(run: DeepRun): LearningRun {
  return { name: run.label, trainLoss: run.history.epochs.map((e) => e.trainLoss), validation: validationSeries(run.history, "loss") };
}

/** Trains NeuMF on data.train, validating on data.validation (full-ranking NDCG@k, HR@k and BCE loss). */
export async function trainDeep(data: OverfittingData, label: string, options: DeepRunOptions): Promise<DeepRun> {
  const k = options.k ?? 10;
  const model = new NeuMF({ numUsers: data.train.numUsers, numItems: data.train.numItems, ...options.model });
  try {
    const history = await fit(model, implicitBatches(data.train, { negatives: 4, batchSize: options.batchSize ?? 256 }), {
      epochs: options.epochs,
      optimizer: { name: "adam", learningRate: options.learningRate ?? 0.001 },
      validate: [rankingValidation(data.validation, { train: data.train, k }), lossValidation(data.validation, { train: data.train, negatives: 4 })],
      validateEvery: options.validateEvery,
      earlyStopping: options.earlyStopping,
      progress: options.progress ?? false,
    });
    const ndcgs = validationSeries(history, `ndcg@${k}`);
    const restored = history.restoredBest && history.best ? history.best.epoch : undefined;
    const ndcg = ndcgs[restored !== undefined ? restored - history.epochs[0]!.epoch : history.epochs.length - 1]!;
    return {
      label,
      history,
      gap: lossGap(history, restored),
      ndcg,
      bestNdcg: Math.max(...ndcgs.filter((v) => !Number.isNaN(v))),
      ndcgDrop: ndcgDrop(history, k),
      secondsPerEpoch: history.epochs.reduce((s, e) => s + e.trainSeconds, 0) / history.epochs.length,
    };
  } finally {
    model.dispose();
  }
}

/** One line per run: the numbers the notebook's prose is built from (after early stopping: the restored epoch's). */
export function describeRun(run: DeepRun): string {
  const h = run.history;
  const restored = h.restoredBest && h.best ? h.best.epoch : undefined;
  const e = (restored !== undefined ? h.epochs.find((r) => r.epoch === restored) : undefined) ?? h.epochs[h.epochs.length - 1]!;
  return (
    `${run.label}: ${h.epochs.length} epochs${h.stoppedEarly ? " (stopped early)" : ""}${restored !== undefined ? `, weights of epoch ${restored} restored` : ""}; ` +
    `train loss ${e.trainLoss.toFixed(3)}, validation loss ${e.validation?.loss?.toFixed(3) ?? "-"}, gap ${run.gap.toFixed(3)}, ` +
    `validation NDCG@10 ${run.ndcg.toFixed(4)} (best ${run.bestNdcg.toFixed(4)})`
  );
}

export interface RegularisationGridOptions extends Omit<DeepRunOptions, "model"> {
  /** Options shared by every cell (sizes, seed). */
  model: Omit<NeuMFOptions, "numUsers" | "numItems" | "embeddingDropout" | "denseDropout" | "embeddingL2" | "denseL2">;
  /** Dropout rates: each sets embeddingDropout and denseDropout. */
  dropouts: readonly number[];
  /** Coupled L2 lambdas: each sets embeddingL2 and denseL2. */
  l2s: readonly number[];
}

/** The result of regularisationGrid: the runs and two heatmap grids (validation NDCG@k, loss gap). */
export interface RegularisationGrid {
  runs: DeepRun[];
  ndcg: AblationGrid;
  gap: AblationGrid;
  /** The run at (dropout, l2). */
  at(dropout: number, l2: number): DeepRun;
}

/** Trains one model per (dropout, L2) pair; dropout is applied to embeddings and dense layers alike, and so is L2. */
export async function regularisationGrid(data: OverfittingData, options: RegularisationGridOptions): Promise<RegularisationGrid> {
  const { dropouts, l2s, model, ...training } = options;
  if (!dropouts.length || !l2s.length) throw new Error("regularisationGrid: dropouts and l2s must each have at least one value");
  const runs: DeepRun[] = [];
  const ndcg: number[][] = [];
  const gap: number[][] = [];
  for (const l2 of l2s) {
    const ndcgRow: number[] = [];
    const gapRow: number[] = [];
    for (const p of dropouts) {
      const run = await trainDeep(data, `dropout ${p}, L2 ${l2}`, {
        ...training,
        model: { ...model, embeddingDropout: p, denseDropout: p, embeddingL2: l2, denseL2: l2 },
      });
      runs.push(run);
      ndcgRow.push(run.ndcg);
      gapRow.push(run.gap);
    }
    ndcg.push(ndcgRow);
    gap.push(gapRow);
  }
  const axes = { xLabel: "dropout", yLabel: "L2 λ", xValues: [...dropouts], yValues: l2s.map(String) };
  return {
    runs,
    ndcg: { ...axes, values: ndcg, valueLabel: `validation NDCG@${options.k ?? 10}`, digits: 3 },
    gap: { ...axes, values: gap, valueLabel: "validation − train loss", digits: 2 },
    at(dropout: number, l2: number) {
      const i = l2s.indexOf(l2);
      const j = dropouts.indexOf(dropout);
      if (i < 0 || j < 0) throw new Error(`regularisationGrid.at: (${dropout}, ${l2}) is not in the grid; dropouts ${dropouts.join(", ")}, l2s ${l2s.join(", ")}`);
      return runs[i * dropouts.length + j]!;
    },
  };
}

/** The cell of a grid with the largest value (ties: the first). */
export function bestCell(grid: AblationGrid): { x: number | string; y: number | string; value: number } {
  let best = { x: grid.xValues[0]!, y: grid.yValues[0]!, value: -Infinity };
  grid.values.forEach((row, i) => {
    for (let j = 0; j < row.length; j++) if (row[j]! > best.value) best = { x: grid.xValues[j]!, y: grid.yValues[i]!, value: row[j]! };
  });
  return best;
}

/** Trains the same model at each batch size; points for batchSizeCurve (final validation NDCG@k, seconds per epoch). */
export async function batchSizeSweep(
  data: OverfittingData,
  options: Omit<DeepRunOptions, "batchSize"> & { batchSizes: readonly number[] },
): Promise<{ runs: DeepRun[]; points: BatchSizePoints }> {
  const { batchSizes, ...training } = options;
  const runs: DeepRun[] = [];
  for (const b of batchSizes) runs.push(await trainDeep(data, `batch ${b}`, { ...training, batchSize: b }));
  return {
    runs,
    points: {
      batchSizes: [...batchSizes],
      metric: runs.map((r) => r.ndcg),
      secondsPerEpoch: runs.map((r) => r.secondsPerEpoch),
      metricName: `validation NDCG@${options.k ?? 10}`,
    },
  };
}

/** The L2 λ > 0 with the best validation NDCG@k at dropout 0 in a grid (exercise 2's answer, read off the heatmap). */
export function bestL2AtNoDropout(grid: RegularisationGrid, l2s: readonly number[]): number {
  const candidates = l2s.filter((l) => l > 0);
  if (!candidates.length) throw new Error("bestL2AtNoDropout: the grid has no L2 value > 0");
  return candidates.reduce((a, b) => (grid.at(0, b).ndcg > grid.at(0, a).ndcg ? b : a));
}

/** Exercise 03-dropout-gap: a dropout whose gap is below a quarter of the unregularised one, without losing NDCG. */
export function checkDropoutGap(run: DeepRun, unregularised: DeepRun): void {
  checkExercise(
    "03-dropout-gap",
    [
      [run.gap < unregularised.gap / 4, `the gap ${run.gap.toFixed(3)} is not below a quarter of the unregularised ${unregularised.gap.toFixed(3)}`],
      [run.ndcg >= unregularised.ndcg, `validation NDCG@10 ${run.ndcg.toFixed(4)} is below the unregularised ${unregularised.ndcg.toFixed(4)}`],
    ],
    { hint: "look at the dropout axis of the gap heatmap, in the row L2 0" },
  );
}

/** Exercise 03-l2-heatmap: the λ read off the heatmap, confirmed on a full learning curve. */
export function checkL2FromHeatmap(run: DeepRun, unregularised: DeepRun, answer: { l2: number; heatmapL2: number }): void {
  checkExercise(
    "03-l2-heatmap",
    [
      [answer.l2 === answer.heatmapL2, `L2 ${answer.l2} is not the λ > 0 with the best validation NDCG@10 at dropout 0 in the heatmap`],
      [run.gap < unregularised.gap / 2, `on the learning curve the gap ${run.gap.toFixed(3)} is not below half of the unregularised ${unregularised.gap.toFixed(3)}`],
      [run.ndcg >= unregularised.ndcg, `final validation NDCG@10 ${run.ndcg.toFixed(4)} is below the unregularised ${unregularised.ndcg.toFixed(4)}`],
    ],
    { hint: "ablationHeatmap writes each cell's value; the x axis is dropout, the y axis L2" },
  );
}

/** Exercise 03-early-stop: early stopping on validation NDCG@10 with the given patience, and the epoch it stopped at. */
export function checkEarlyStop(run: DeepRun, answer: { stopping: EarlyStoppingOptions | undefined; patience: number; stoppedAt: number }): void {
  checkExercise(
    "03-early-stop",
    [
      [answer.stopping?.monitor === "ndcg@10", "early stopping must watch 'ndcg@10'"],
      [answer.stopping?.patience === answer.patience, `use patience ${answer.patience}`],
      [run.history.stoppedEarly, "training ran all epochs: early stopping did not stop it"],
      [answer.stoppedAt === run.history.epochs.length, `the answer ${answer.stoppedAt} is not the last epoch trained`],
    ],
    { hint: 'earlyStopping: { monitor: "ndcg@10", patience: params.patience }; describeRun prints the epochs trained' },
  );
}
