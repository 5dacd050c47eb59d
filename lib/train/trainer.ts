/**
 * The training loop: epochs of batches from a batch source, the model's own fast `trainStep`, validation each
 * epoch, early stopping with best-weights restore, a history for learning curves, progress callbacks.
 *
 *   const history = await fit(model, implicitBatches(split.train, { negatives: 4, batchSize: 256 }), {
 *     epochs: 20,
 *     optimizer: { name: "adam", learningRate: 1e-3 },
 *     validate: rankingValidation(split.validation!, { train: split.train }),
 *     earlyStopping: { monitor: "ndcg@10", patience: 3 },
 *   });
 *
 * Randomness: the batch source gets, each epoch, a stream derived from `seed` and the epoch number (fresh
 * negatives and a fresh order every epoch, reproducibly). The model's own `seed` option drives its initial
 * weights and dropout; `fit`'s seed defaults to it, so one seed fixes the whole run.
 *
 * Continuing: a model counts the epochs it was trained for (`epochsTrained`, saved with it). A second `fit` call
 * numbers its epochs from there, so its sampling streams go on instead of repeating epoch 1's negatives, and it
 * keeps the model's optimiser (and its moments) unless given a different one: fit(2 epochs) then fit(2 epochs)
 * trains exactly as fit(4 epochs).
 *
 * Accepts any model that implements the training contract (lib/models/trainable.ts): the kit's hand-written
 * models, AutodiffModel, a wrapped tf.layers model, or a class of your own.
 *
 * Workers: `workers: N` trains on N threads (data parallel, lib/train/parallel): each batch is cut into N shards
 * whose gradients are summed, so a step is the same step as on one thread up to float rounding. Reproducible for a
 * given seed and N; equal to one worker within float tolerance only without dropout (replicas draw their own masks).
 *
 * Nothing is read back from the backend per step: the loss is summed on the backend and read when the progress
 * line is redrawn (at most a few times a second) and at the end of each epoch.
 */
import type { TrainBatch } from "../models/batch";
import type { TrainableRecommender } from "../models/trainable";
import type { WeightMap } from "../nn/params";
import { Rng } from "../random";
import { createProgress, type Progress } from "../progress";
import type { LossName } from "../nn/losses";
import { Optimizer, resolveOptimizerOptions, type OptimizerOptions } from "../nn/optimizers";
import { Model } from "../models/model";
import { LayersRecommender } from "../models/layers-model";
import { DataParallel, type ParallelStats } from "./parallel/replicas";
import { checkWorkers, workersFor, type WorkersOption } from "./parallel/workers-option";

/** Where an epoch's batches come from. */
export interface BatchSource {
  /** The batches of one epoch (0-based); `rng` is a stream for this epoch's sampling and order. */
  epoch(epoch: number, rng: Rng): Iterable<TrainBatch>;
  /** Batches per epoch when known (for progress bars). */
  batchesPerEpoch?: number;
  /** Examples per epoch when known. */
  examplesPerEpoch?: number;
  /** The loss these batches are made for (e.g. "bpr" for pairs); fit uses it unless options.loss says otherwise. */
  loss?: LossName;
}

/** Validation metrics of one epoch by name, e.g. { "ndcg@10": 0.071, "hr@10": 0.13, loss: 0.31 }. */
export type Metrics = Record<string, number>;

/** Computes validation metrics for the model as it is now. */
export type Validator = (model: TrainableRecommender, epoch: number) => Metrics | Promise<Metrics>;

/**
 * Training stopped because the loss became NaN or infinite. The best epoch's weights (when early stopping tracked
 * one) were put back first, and the history up to the failure is attached.
 */
export class TrainingDivergedError extends Error {
  constructor(
    message: string,
    readonly history: History,
  ) {
    super(message);
    this.name = "TrainingDivergedError";
  }
}

export interface EarlyStoppingOptions {
  /** Validation metric to watch, e.g. "ndcg@10" or "loss". */
  monitor: string;
  /** "max" (default, except for names containing "loss") or "min". */
  mode?: "max" | "min";
  /** Stop after this many epochs without improvement. Default: never stop, only track the best epoch. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends. Default true. */
  restoreBest?: boolean;
}

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Mean training loss per example over the epoch. */
  trainLoss: number;
  examples: number;
  /** Seconds spent in training steps (without validation). */
  trainSeconds: number;
  examplesPerSecond: number;
  /** Validation metrics (absent on epochs without validation). */
  validation?: Metrics;
  validationSeconds?: number;
}

export interface History {
  epochs: EpochRecord[];
  /** The best epoch by earlyStopping.monitor (when early stopping is configured). */
  best?: { epoch: number; monitor: string; value: number };
  stoppedEarly: boolean;
  /** True when the best epoch's weights were put back at the end. */
  restoredBest: boolean;
  /** Total wall-clock seconds of fit. */
  seconds: number;
  /**
   * With workers > 1: the worker count, where each replica's step time went (ms per step), and each replica's live
   * tensor count at the end of every epoch (flat when nothing leaks).
   */
  parallel?: { workers: number; steps: number; timing: ParallelStats["timing"]; numTensors: number[][] };
}

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batchesPerEpoch?: number;
  examples: number;
}

export interface FitOptions {
  /** Number of epochs. Default 10. */
  epochs?: number;
  /** Loss. Default: the batch source's, else "bce". */
  loss?: LossName;
  /**
   * Optimizer or its options. Default: the model's current optimiser when it has one (a second fit continues with
   * its moments), else Adam with learning rate 0.001. Options that differ from the current optimiser's start a
   * fresh one.
   */
  optimizer?: Optimizer | OptimizerOptions;
  /** Seed of the per-epoch sampling and order. Default: the model's seed. */
  seed?: number;
  /** Validation run after every `validateEvery` epochs (and after the last). */
  validate?: Validator | Validator[];
  /** Default 1. */
  validateEvery?: number;
  earlyStopping?: EarlyStoppingOptions;
  /**
   * Live progress: true (default) draws a progress line (terminal: stderr; notebook: an updating display) and one
   * permanent line per epoch; false: silent; or a Progress of your own (see lib/progress.ts).
   */
  progress?: boolean | Progress;
  /** Called after each epoch (after validation) with the record and the history so far. */
  onEpochEnd?: (record: EpochRecord, history: History) => void | Promise<void>;
  /** Called after each batch (cheap: nothing is read back). */
  onBatchEnd?: (info: BatchProgress) => void;
  /**
   * Train data-parallel on this many threads (the main thread is one of them), or "auto": one per core for batches
   * of AUTO_MIN_BATCH examples or more, else 1 (see lib/train/parallel). Default 1. Needs a kit model (a Model that
   * saveModel can rebuild) and a loss that can be split: not the in-batch softmax.
   */
  workers?: WorkersOption;
  /**
   * Modules every worker thread requires before it rebuilds the model (paths, or package names): the ones that call
   * registerModelClass for a model class of your own.
   */
  workerModules?: string[];
  /** @internal Tests only: worker 1 throws in this step (stripped from the published typings). */
  workerFailAtStep?: number;
}

/** Train `model` on `source` (see the module comment). Returns the history; the model keeps the final weights. */
export async function fit(model: TrainableRecommender, source: BatchSource | BatchSource["epoch"], options: FitOptions = {}): Promise<History> {
  const started = performance.now();
  const src: BatchSource = typeof source === "function" ? { epoch: source } : source;
  const epochs = options.epochs ?? 10;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`fit: epochs must be a positive integer, got ${epochs}`);
  const validateEvery = options.validateEvery ?? 1;
  if (!Number.isInteger(validateEvery) || validateEvery < 1) throw new Error(`fit: validateEvery must be a positive integer, got ${validateEvery}`);
  const validators = options.validate === undefined ? [] : Array.isArray(options.validate) ? options.validate : [options.validate];
  const stopping = options.earlyStopping;
  if (stopping && !validators.length) throw new Error(`fit: earlyStopping watches a validation metric ('${stopping.monitor}'); pass validate as well`);
  const mode = stopping ? stopping.mode ?? (/loss/i.test(stopping.monitor) ? "min" : "max") : "max";
  const patience = stopping?.patience ?? Infinity;
  const minDelta = stopping?.minDelta ?? 0;
  const rng = new Rng(options.seed ?? model.seed ?? 0);
  const workersOption = options.workers ?? 1;
  checkWorkers(workersOption, "fit");
  const progress: Progress = options.progress === false ? createProgress({ silent: true }) : options.progress === true || options.progress === undefined ? createProgress() : options.progress;

  const optimizer = chooseOptimizer(model.optimizer, options.optimizer);
  model.compile({ loss: options.loss ?? src.loss ?? "bce", optimizer });
  model.takeLoss(); // start from an empty loss accumulator
  if (workersOption !== 1 && !(model instanceof Model)) {
    throw new Error(`fit: workers ${JSON.stringify(workersOption)} needs a kit model (MF, NCF, AutodiffModel, TwoTower or a Model subclass saveModel can rebuild); ${model.name} is not one. Use workers: 1`);
  }
  if (typeof workersOption === "number" && workersOption > 1 && model.loss?.inBatch) {
    throw new Error(`fit: workers ${workersOption} cannot split a batch for loss '${model.loss.name}': its value depends on the whole batch (in-batch softmax); use workers: 1`);
  }
  let parallel: DataParallel | null = null;
  let decided = workersOption === 1;
  const tensors: number[][] = [];
  let finished = false;

  const history: History = { epochs: [], stoppedEarly: false, restoredBest: false, seconds: 0 };
  let bestWeights: WeightMap | null = null;
  let sinceBest = 0;
  const first = model.epochsTrained;
  const last = first + epochs;
  // After a divergence the model's weights are past the last recorded epoch, so the best is put back even then.
  const restoreBest = (diverged: boolean) => {
    if (bestWeights && history.best && (diverged || history.best.epoch !== history.epochs[history.epochs.length - 1]?.epoch)) {
      model.setWeights(bestWeights);
      history.restoredBest = true;
    }
  };

  try {
    for (let e = first; e < last; e++) {
      const t0 = performance.now();
      let batch = 0;
      let examples = 0;
      let lastDraw = 0;
      for (const b of src.epoch(e, rng.derive(`epoch ${e}`))) {
        if (!decided) {
          // "auto" decides on the first batch's size; the workers start here and stop when fit ends or throws.
          decided = true;
          const n = workersFor(workersOption, b.users.length);
          if (n > 1) parallel = await startWorkers(model as Model, n, options);
        }
        if (parallel) parallel.step(b);
        else model.trainStep(b);
        batch++;
        examples += b.users.length;
        options.onBatchEnd?.({ epoch: e + 1, epochs: last, batch, batchesPerEpoch: src.batchesPerEpoch, examples });
        const now = performance.now();
        if (model.peekLoss && now - lastDraw > 250) {
          lastDraw = now;
          progress.update(progressLine(e + 1, last, batch, src.batchesPerEpoch, model.peekLoss().loss, examples / ((now - t0) / 1000)));
          // Let the redraw leave: a notebook's display is a message on the kernel's socket, which cannot drain while
          // this loop runs, and a second send on a busy socket kills the tslab kernel (zeromq EBUSY).
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (batch === 0) throw new Error(`fit: the batch source gave no batches in epoch ${e + 1}`);
      const { loss: trainLoss } = model.takeLoss();
      const trainSeconds = (performance.now() - t0) / 1000;
      if (parallel) tensors.push(parallel.stats().numTensors);
      model.epochsTrained = e + 1;
      if (!Number.isFinite(trainLoss)) {
        restoreBest(true);
        history.seconds = (performance.now() - started) / 1000;
        progress.done(`stopped: the training loss became ${trainLoss} in epoch ${e + 1}`);
        throw new TrainingDivergedError(
          `fit: the training loss became ${trainLoss} in epoch ${e + 1}; lower the learning rate (now ${optimizer.config.learningRate}) ` +
            `or check the labels (loss '${model.loss?.name}')` +
            (history.restoredBest ? `. The weights of the best epoch (${history.best!.epoch}) were restored; the history is in error.history` : ". The history is in error.history"),
          history,
        );
      }
      const record: EpochRecord = { epoch: e + 1, trainLoss, examples, trainSeconds, examplesPerSecond: examples / trainSeconds };
      if (validators.length && ((e - first + 1) % validateEvery === 0 || e === last - 1)) {
        const v0 = performance.now();
        record.validation = await runValidators(validators, model, e + 1);
        record.validationSeconds = (performance.now() - v0) / 1000;
      }
      history.epochs.push(record);

      let stop = false;
      if (stopping && record.validation) {
        const value = monitored(record.validation, stopping.monitor, e + 1);
        const better = !history.best || (mode === "max" ? value > history.best.value + minDelta : value < history.best.value - minDelta);
        if (better) {
          history.best = { epoch: e + 1, monitor: stopping.monitor, value };
          sinceBest = 0;
          if (stopping.restoreBest !== false) bestWeights = model.getWeights();
        } else {
          sinceBest += validateEvery;
          stop = sinceBest >= patience;
        }
      }
      progress.log(epochLine(record, last));
      await options.onEpochEnd?.(record, history);
      if (stop) {
        history.stoppedEarly = true;
        break;
      }
    }
    finished = true;
  } finally {
    if (parallel) {
      const p = parallel as DataParallel;
      try {
        if (finished) {
          const st = p.stats();
          history.parallel = { workers: st.workers, steps: st.steps, timing: st.timing, numTensors: tensors };
        }
      } finally {
        await p.close();
      }
    }
  }
  restoreBest(false);
  history.seconds = (performance.now() - started) / 1000;
  const final = history.epochs[history.epochs.length - 1]!;
  progress.done(
    `done: ${history.epochs.length} epochs in ${history.seconds.toFixed(1)} s` +
      (history.best ? `; best ${history.best.monitor} ${fmt(history.best.value)} at epoch ${history.best.epoch}${history.restoredBest ? " (weights restored)" : ""}` : "") +
      (history.stoppedEarly ? "; stopped early" : "") +
      `; last train loss ${fmt(final.trainLoss)}`,
  );
  return history;
}

/** The replicas, with fit's name on their errors. */
async function startWorkers(model: Model, workers: number, options: FitOptions): Promise<DataParallel> {
  // Only when workers really start ("auto" may pick 1): replicas are rebuilt from the saved form, which holds no functions.
  if (model instanceof LayersRecommender && model.customInputs) {
    throw new Error(`fit: workers ${workers} rebuilds the model in each worker thread from its saved form, which cannot hold the custom \`inputs\` function of ${model.name}; use workers: 1`);
  }
  try {
    return await DataParallel.start(model, workers, { modules: options.workerModules, failAtStep: options.workerFailAtStep });
  } catch (err) {
    throw new Error(`fit: ${(err as Error).message}`);
  }
}

/** The given optimiser; or the model's current one when the options (if any) match it; else a new one. */
function chooseOptimizer(current: Optimizer | null, requested: Optimizer | OptimizerOptions | undefined): Optimizer {
  if (requested instanceof Optimizer) return requested;
  if (current && (requested === undefined || JSON.stringify(resolveOptimizerOptions(requested)) === JSON.stringify(current.config))) return current;
  return new Optimizer(requested ?? {});
}

/** Every validator's metrics in one record; two validators reporting the same name is an error. */
async function runValidators(validators: Validator[], model: TrainableRecommender, epoch: number): Promise<Metrics> {
  const metrics: Metrics = {};
  for (const [k, validate] of validators.entries()) {
    const m = await validate(model, epoch);
    for (const name of Object.keys(m)) {
      if (name in metrics) {
        throw new Error(`fit: validators ${k + 1} and an earlier one both report '${name}'; give one a prefix (e.g. rankingValidation(..., { prefix: "test " }))`);
      }
    }
    Object.assign(metrics, m);
  }
  return metrics;
}

/** The monitored metric's value; a clear error when it is missing or NaN. */
function monitored(validation: Metrics, monitor: string, epoch: number): number {
  const value = validation[monitor];
  if (value === undefined) {
    throw new Error(`fit: earlyStopping.monitor '${monitor}' is not among the validation metrics (${Object.keys(validation).join(", ")})`);
  }
  if (Number.isNaN(value)) {
    throw new Error(`fit: earlyStopping.monitor '${monitor}' is NaN in epoch ${epoch}; the validator returned no usable value (empty validation set, or NaN scores)`);
  }
  return value;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4);
}

function rate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${Math.round(x / 1e3)}k`;
}

/** The live line, e.g. "epoch 3/10 [########............] 412/1000 loss 0.3121 455k ex/s". */
export function progressLine(epoch: number, epochs: number, batch: number, total: number | undefined, loss: number, exPerSec: number): string {
  const width = 20;
  const bar = total ? `[${"#".repeat(Math.min(width, Math.round((batch / total) * width))).padEnd(width, ".")}] ${batch}/${total}` : `batch ${batch}`;
  return `epoch ${epoch}/${epochs} ${bar} loss ${fmt(loss)} ${rate(exPerSec)} ex/s`;
}

/** The permanent line of an epoch, e.g. "epoch 3/10 loss 0.3121 (2.1 s, 455k ex/s) | ndcg@10 0.0712 hr@10 0.1300". */
export function epochLine(r: EpochRecord, epochs: number): string {
  const head = `epoch ${r.epoch}/${epochs} loss ${fmt(r.trainLoss)} (${r.trainSeconds.toFixed(1)} s, ${rate(r.examplesPerSecond)} ex/s)`;
  if (!r.validation) return head;
  return `${head} | ${Object.entries(r.validation).map(([k, v]) => `${k} ${fmt(v)}`).join(" ")}`;
}
