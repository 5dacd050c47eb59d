/**
 * `recsys-lab train`: train MF, GMF, MLP or NeuMF on a dataset's leave-one-out split with live progress, then
 * print one JSON object with the final full-ranking and sampled HR@k / NDCG@k, train time and examples/s.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend";
import { MODEL_NAMES, type ModelName, type ModelOptions, trainAndEvaluate } from "../experiments/train-and-evaluate";
import { ITEM_FEATURES, USER_FEATURES } from "../models/two-tower/inputs";
import { saveModel } from "../models/io";
import type { LossName } from "../nn/losses";
import { OPTIMIZER_NAMES, type OptimizerName } from "../nn/optimizers";
import { type OptionSpec, type ParsedOptions, UsageError, getFlag, getNumber, getString, parseArgs, printJson } from "./args";
import { datasetFlags, datasetOptions, loadDatasetFromOptions } from "./dataset-options";
import { round, roundAll, testBlock } from "./format";
import { checkTrainOptions } from "./train-options";
import type { WorkersOption } from "../train/parallel/workers-option";

export const summary =
  "Train MF, GMF, MLP or NeuMF on a leave-one-out split with live progress; prints final full-ranking and sampled HR@k/NDCG@k, train time and examples/s as JSON.";

export const options: OptionSpec[] = [
  ...datasetOptions(undefined),
  { name: "model", help: "model to train (default neumf)", choices: MODEL_NAMES },
  { name: "epochs", type: "integer", help: "training epochs (default 10)" },
  { name: "batch", type: "integer", help: "examples per batch (default 256; two-tower with softmax: 512)" },
  { name: "lr", type: "number", help: "learning rate (default 0.001; two-tower: 0.003)" },
  { name: "optimizer", help: "optimiser (default adam; adamw: Adam with decoupled weight decay --weight-decay)", choices: OPTIMIZER_NAMES },
  { name: "weight-decay", type: "number", help: "adamw only: decoupled weight decay lambda (default 0.01); see README 'Regularisation'" },
  {
    name: "loss",
    help: "bce: implicit feedback with sampled negatives (default); bpr: pairwise; mse: explicit ratings (MF); softmax: in-batch softmax (two-tower's default)",
    choices: ["bce", "bpr", "mse", "softmax"],
  },
  { name: "negatives", type: "integer", help: "sampled negatives per positive, resampled every epoch (default 4)" },
  { name: "factors", type: "integer", help: "embedding size: MF latent dimension (default 32), GMF/NeuMF predictive factors (default 8)" },
  { name: "layers", help: "MLP tower widths from its input, e.g. 64,32,16,8 (default; layers[0] = 2 x MLP embedding size)" },
  { name: "features", help: `two-tower: the towers' inputs, comma-separated, from ${[...USER_FEATURES, ...ITEM_FEATURES].join(", ")} (default: what the dataset has, zip left out)` },
  { name: "dim", type: "integer", help: "two-tower: size of the user and item vectors (default 32)" },
  { name: "hidden", help: "two-tower: hidden widths of each tower, e.g. 64 (default) or 128,64; 'none' for a linear projection" },
  { name: "temperature", type: "number", help: "two-tower: softmax temperature of the normalised dot product (default 0.05)" },
  { name: "history-length", type: "integer", help: "two-tower: latest earlier items pooled into the user's history (default 20)" },
  { name: "logq", help: "two-tower: sampling-bias correction (default counts)", choices: ["counts", "streaming", "none"] },
  { name: "dropout", type: "number", help: "dropout rate on embeddings and dense layers (default 0)" },
  { name: "embedding-dropout", type: "number", help: "dropout on the looked-up embeddings (overrides --dropout)" },
  { name: "dense-dropout", type: "number", help: "dropout on hidden dense layers (overrides --dropout)" },
  { name: "l2", type: "number", help: "L2 weight decay on every weight, as PyTorch's weight_decay (default 0)" },
  { name: "embedding-l2", type: "number", help: "L2 on embedding tables and biases (overrides --l2)" },
  { name: "dense-l2", type: "number", help: "L2 on dense layers (overrides --l2)" },
  { name: "seed", type: "integer", help: "one seed for split, sampling, order, initial weights and dropout (default 0)" },
  { name: "k", type: "integer", help: "cut-off of HR@k and NDCG@k (default 10)" },
  { name: "sampled-negatives", type: "integer", help: "negatives per held-out item in the sampled (paper) protocol (default 99)" },
  { name: "validation", type: "boolean", help: "carve a validation set from train, validate every epoch, keep the best epoch" },
  { name: "patience", type: "integer", help: "stop after this many epochs without validation improvement (implies --validation)" },
  { name: "save", help: "folder to save the trained model to (config.json + weights)" },
  {
    name: "workers",
    help: "threads training data-parallel, each on a shard of every batch (default 1; 'auto': one per free core for batches of 32768 or more, else 1); not with --loss softmax",
  },
  { name: "backend", help: "TensorFlow.js backend: auto, tensorflow, wasm or cpu (default: RECSYS_BACKEND or auto)" },
  { name: "quiet", type: "boolean", help: "no progress output" },
];

export async function run(argv: string[]): Promise<void> {
  const { options: o, positional } = parseArgs(argv, options, "train");
  if (positional.length) throw new UsageError(`train: unexpected argument '${positional[0]}'; options start with --`);
  checkTrainOptions(o);
  const model = getString(o, "model", "neumf") as ModelName;
  const loss = getString(o, "loss", model === "two-tower" ? "softmax" : "bce") as LossName;
  if (loss === "softmax" && model !== "two-tower") throw new UsageError(`train: --loss softmax (in-batch) trains --model two-tower, not ${model}`);
  if (model === "two-tower" && loss !== "softmax" && loss !== "bce") throw new UsageError(`train: two-tower trains with --loss softmax (default) or bce, not ${loss}`);
  const modelOptions = modelOptionsFrom(o, model);
  const backend = await initBackend({ backend: getString(o, "backend"), verbose: !getFlag(o, "quiet") });
  const dataset = await loadDatasetFromOptions(o, "train");
  const epochs = getNumber(o, "epochs", 10);
  const batchSize = getNumber(o, "batch", loss === "softmax" ? 512 : 256);
  const k = getNumber(o, "k", 10);
  const seed = getNumber(o, "seed", 0);
  const patience = getNumber(o, "patience");

  const started = performance.now();
  const result = await trainAndEvaluate(dataset, {
    model,
    modelOptions,
    epochs,
    batchSize,
    negatives: getNumber(o, "negatives"),
    loss,
    optimizer: {
      name: getString(o, "optimizer", "adam") as OptimizerName,
      learningRate: getNumber(o, "lr", model === "two-tower" ? 0.003 : 0.001),
      ...(o.has("weight-decay") ? { weightDecay: getNumber(o, "weight-decay") } : {}),
    },
    seed,
    k,
    sampledNegatives: getNumber(o, "sampled-negatives"),
    validation: getFlag(o, "validation") || patience !== undefined,
    patience,
    progress: !getFlag(o, "quiet"),
    workers: workersOf(getString(o, "workers")),
  });
  const save = getString(o, "save");
  // The model keeps its training data's ids and fingerprint and how the run was set up (with the dataset flags), so
  // `recsys-lab evaluate --model-dir` can rebuild the split and reproduce the test metrics.
  if (save) await saveModel(result.model, save, { train: result.split.train, training: { ...result.record, datasetFlags: datasetFlags(o) } });
  const last = result.history.epochs[result.history.epochs.length - 1]!;
  printJson({
    dataset: dataset.name,
    model: result.model.className,
    config: result.model.getConfig(),
    backend: backend.backend,
    split: "leave-one-out (latest interaction per user held out; ties in time: the later row; repeated (user, item) pairs merged to the latest first)" + (result.split.validation ? "; validation: latest training interaction per user" : ""),
    mergedDuplicates: result.split.mergedDuplicates,
    loss,
    epochs: result.history.epochs.length,
    batch: batchSize,
    seed,
    k,
    finalTrainLoss: round(last.trainLoss),
    best: result.history.best,
    test: testBlock(result.test, k),
    history: result.history.epochs.map((e) => ({ epoch: e.epoch, trainLoss: round(e.trainLoss), ...(e.validation ? { validation: roundAll(e.validation) } : {}) })),
    trainSeconds: round(result.trainSeconds),
    examplesPerSecond: Math.round(result.examplesPerSecond),
    ...(result.history.parallel ? { workers: result.history.parallel.workers } : {}),
    totalSeconds: round((performance.now() - started) / 1000),
    ...(save ? { savedTo: save } : {}),
  });
  result.model.dispose();
  if (tf.memory().numTensors > 1000) process.stderr.write(`train: ${tf.memory().numTensors} tensors still live\n`);
}

/** --workers as fit takes it (checked by checkTrainOptions). */
function workersOf(value: string | undefined): WorkersOption | undefined {
  return value === undefined ? undefined : value === "auto" ? "auto" : Number(value);
}

const TWO_TOWER_FLAGS = ["features", "dim", "hidden", "temperature", "history-length", "logq"];

/** Model options from the flags; a flag the model does not have is a usage error naming it. */
function modelOptionsFrom(o: ParsedOptions, model: ModelName): Partial<ModelOptions> {
  if (model === "two-tower") {
    for (const f of ["factors", "layers", "dropout", "embedding-dropout", "dense-dropout"]) {
      if (o.has(f)) throw new UsageError(`train: --${f} does not apply to two-tower; its options are ${TWO_TOWER_FLAGS.map((x) => `--${x}`).join(", ")}`);
    }
    const hidden = getString(o, "hidden");
    const widths = hidden === undefined ? undefined : hidden === "none" ? [] : hidden.split(",").map((x) => Number(x.trim()));
    if (widths && widths.some((w) => !Number.isInteger(w) || w < 1)) throw new UsageError(`train: --hidden must be comma-separated positive integers or 'none', got '${hidden}'`);
    const l2 = getNumber(o, "l2");
    return {
      features: getString(o, "features")?.split(",").map((x) => x.trim()),
      dim: getNumber(o, "dim"),
      hidden: widths,
      temperature: getNumber(o, "temperature"),
      historyLength: getNumber(o, "history-length"),
      logQ: getString(o, "logq") as "counts" | "streaming" | "none" | undefined,
      embeddingL2: getNumber(o, "embedding-l2") ?? l2,
      denseL2: getNumber(o, "dense-l2") ?? l2,
    };
  }
  for (const f of TWO_TOWER_FLAGS) if (o.has(f)) throw new UsageError(`train: --${f} applies to --model two-tower, not ${model}`);
  const dropout = getNumber(o, "dropout");
  const l2 = getNumber(o, "l2");
  const layers = getString(o, "layers");
  if (layers !== undefined && (model === "mf" || model === "gmf")) throw new UsageError(`train: --layers applies to mlp and neumf, not ${model}`);
  if (o.has("factors") && model === "mlp") throw new UsageError("train: --factors does not apply to mlp (its embedding size is layers[0] / 2); use --layers");
  const parsedLayers = layers?.split(",").map((s) => Number(s.trim()));
  if (parsedLayers && parsedLayers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UsageError(`train: --layers must be comma-separated positive integers, e.g. 64,32,16,8; got '${layers}'`);
  }
  return {
    factors: getNumber(o, "factors"),
    layers: parsedLayers,
    embeddingDropout: getNumber(o, "embedding-dropout") ?? dropout,
    denseDropout: getNumber(o, "dense-dropout") ?? dropout,
    embeddingL2: getNumber(o, "embedding-l2") ?? l2,
    denseL2: getNumber(o, "dense-l2") ?? l2,
  };
}

