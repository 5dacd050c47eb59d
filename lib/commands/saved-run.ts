/**
 * A model saved by `train --save` with everything it was trained on: the saved run's dataset flags (overridden by
 * the ones given, e.g. --data-dir on this machine), the dataset, the rebuilt split (checked against the saved
 * training fingerprint) and the model. What `evaluate --model-dir`, `index build` and `recommend` stand on.
 */
import type { Dataset } from "../data/dataset";
import type { Split } from "../data/splits";
import { runData, runSplit, type RunRecord } from "../experiments/train-and-evaluate";
import { checkTrainingData, loadModel, readModelInfo, type SavedModelInfo } from "../models/io";
import type { Model } from "../models/model";
import { type ParsedOptions, UsageError } from "./args";
import { loadDatasetFromOptions } from "./dataset-options";

export interface SavedRun {
  info: SavedModelInfo;
  record: RunRecord;
  dataset: Dataset;
  split: Split;
  model: Model;
}

/** Flags of the command that are not dataset flags (they are not passed on to the dataset loader). */
export async function openSavedRun(dir: string, o: ParsedOptions, command: string, ownFlags: readonly string[]): Promise<SavedRun> {
  const info = await readModelInfo(dir);
  const training = info.training as (RunRecord & { datasetFlags?: Record<string, string> }) | undefined;
  if (!training?.split) {
    throw new UsageError(`${command}: ${dir} has no record of how it was trained (saved without a run, e.g. by saveModel from code); save it with 'recsys-lab train --save'`);
  }
  const flags: ParsedOptions = new Map(Object.entries(training.datasetFlags ?? { dataset: training.dataset }));
  for (const [key, value] of o) if (!ownFlags.includes(key)) flags.set(key, value);
  const dataset = await loadDatasetFromOptions(flags, command);
  const data = runData(dataset, training.loss);
  const model = await loadModel(dir, { data });
  try {
    const split = runSplit(data, training);
    checkTrainingData(dir, info, split.train);
    return { info, record: training, dataset, split, model };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
