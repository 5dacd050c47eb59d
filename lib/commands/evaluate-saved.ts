/**
 * `recsys-lab evaluate --model-dir DIR`: evaluate a model saved by `train --save` (or saveModel with a run record).
 * The dataset flags default to those the model was trained with; the split is rebuilt from the saved run and must
 * be the one the model was trained on (same fingerprint); then the same test evaluation as `train` runs, so the
 * numbers are the train command's, exactly.
 */
import { initBackend } from "../backend";
import { evaluateRun, runData, runSplit, type RunRecord } from "../experiments/train-and-evaluate";
import { checkTrainingData, loadModel, readModelInfo } from "../models/io";
import { type ParsedOptions, UsageError, getNumber, getString, printJson } from "./args";
import { loadDatasetFromOptions } from "./dataset-options";
import { round, testBlock } from "./format";

/** Options that the saved run decides and that make no sense beside --model-dir. */
const RUN_DECIDES = ["model", "split", "protocol", "negatives", "seed"];

export async function evaluateSaved(o: ParsedOptions, dir: string): Promise<void> {
  for (const k of RUN_DECIDES) {
    if (o.has(k)) throw new UsageError(`evaluate: --${k} comes from the saved run with --model-dir; leave it out`);
  }
  const started = performance.now();
  const info = await readModelInfo(dir);
  const training = info.training as (RunRecord & { datasetFlags?: Record<string, string> }) | undefined;
  if (!training?.split) {
    throw new Error(`${dir} has no record of how it was trained (saved without a run); evaluate it from code with evaluateFullRanking`);
  }
  // The saved dataset flags, overridden by any given here (e.g. --data-dir on this machine).
  const flags: ParsedOptions = new Map(Object.entries(training.datasetFlags ?? { dataset: training.dataset }));
  for (const [key, value] of o) if (key !== "model-dir" && key !== "backend" && key !== "k") flags.set(key, value);
  const record = { ...training, k: getNumber(o, "k", training.k) };
  const backend = await initBackend({ backend: getString(o, "backend"), verbose: false });
  const dataset = await loadDatasetFromOptions(flags, "evaluate");
  const data = runData(dataset, record.loss);
  const model = await loadModel(dir, { data });
  try {
    const split = runSplit(data, record);
    checkTrainingData(dir, info, split.train);
    const test = await evaluateRun(model, split, record);
    printJson({
      dataset: dataset.name,
      model: info.className,
      modelDir: dir,
      config: info.config,
      epochsTrained: info.epochsTrained,
      backend: backend.backend,
      split: `leave-one-out, as trained${record.split.validation ? " (with a validation split carved from train)" : ""}; training data fingerprint verified`,
      loss: record.loss,
      seed: record.seed,
      k: record.k,
      test: testBlock(test, record.k),
      seconds: round((performance.now() - started) / 1000),
    });
  } finally {
    model.dispose();
  }
}
