/**
 * `recsys-lab evaluate --model-dir DIR`: evaluate a model saved by `train --save` (or saveModel with a run record).
 * The dataset flags default to those the model was trained with; the split is rebuilt from the saved run and must
 * be the one the model was trained on (same fingerprint); then the same test evaluation as `train` runs, so the
 * numbers are the train command's, exactly.
 */
import { initBackend } from "../backend";
import { evaluateRun } from "../experiments/train-and-evaluate";
import { type ParsedOptions, UsageError, getNumber, getString, printJson } from "./args";
import { openSavedRun } from "./saved-run";
import { round, testBlock } from "./format";

/** Options that the saved run decides and that make no sense beside --model-dir. */
const RUN_DECIDES = ["model", "split", "protocol", "negatives", "seed"];

export async function evaluateSaved(o: ParsedOptions, dir: string): Promise<void> {
  for (const k of RUN_DECIDES) {
    if (o.has(k)) throw new UsageError(`evaluate: --${k} comes from the saved run with --model-dir; leave it out`);
  }
  const started = performance.now();
  const backend = await initBackend({ backend: getString(o, "backend"), verbose: false });
  const { info, record: saved, dataset, split, model } = await openSavedRun(dir, o, "evaluate", ["model-dir", "backend", "k"]);
  const record = { ...saved, k: getNumber(o, "k", saved.k) };
  try {
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
