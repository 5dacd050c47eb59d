/**
 * `recsys-lab evaluate`: evaluate a baseline (MostPopular or Random) on a dataset split, with the full-ranking
 * protocol (default) or the labelled sampled protocol, and print one JSON object; or, with --model-dir, a saved
 * model on the split it was trained on (evaluate-saved.ts).
 */
import { sampledCandidates } from "../data/sampling";
import { leaveOneOut } from "../data/splits";
import { evaluateFullRanking } from "../eval/full-ranking";
import type { RankingReport } from "../eval/report";
import { evaluateSampled } from "../eval/sampled";
import { MostPopular, RandomRecommender } from "../models/baselines";
import type { Recommender } from "../models/recommender";
import { Rng } from "../random";
import { type OptionSpec, UsageError, getNumber, getString, parseArgs, printJson } from "./args";
import { datasetOptions, loadDatasetFromOptions } from "./dataset-options";
import { evaluateSaved } from "./evaluate-saved";

export const summary =
  "Evaluate a baseline (pop, random) on a dataset split, or a saved model (--model-dir) on the split it was trained on: full ranking with training items masked (default) or the sampled paper-reproduction protocol; prints the metrics as JSON.";

export const options: OptionSpec[] = [
  ...datasetOptions(undefined),
  { name: "model", help: "baseline to evaluate (default pop)", choices: ["pop", "random"] },
  { name: "split", help: "loo: leave-one-out, each user's latest interaction held out, ties to the later row (default loo)", choices: ["loo"] },
  { name: "protocol", help: "full: rank every item, training items masked (default); sampled: 1 held-out + N sampled negatives", choices: ["full", "sampled"] },
  { name: "k", type: "integer", help: "cut-off of the @k metrics (default 10)" },
  { name: "negatives", type: "integer", help: "sampled protocol: negatives per held-out item (default 99)" },
  { name: "seed", type: "integer", help: "seed of the Random model and the sampled negatives (default 0; the synthetic world has --data-seed)" },
  { name: "model-dir", help: "a model saved by 'train --save': evaluate it on its own split (dataset flags default to its own)" },
  { name: "backend", help: "TensorFlow.js backend for --model-dir: auto, tensorflow, wasm or cpu (default: RECSYS_BACKEND or auto)" },
];

export async function run(argv: string[]): Promise<void> {
  const { options: o, positional } = parseArgs(argv, options, "evaluate");
  if (positional.length) throw new UsageError(`evaluate: unexpected argument '${positional[0]}'; options start with --`);
  const modelDir = getString(o, "model-dir");
  if (modelDir) {
    const k = getNumber(o, "k");
    if (k !== undefined && k < 1) throw new UsageError(`evaluate: --k must be at least 1, got ${k}`);
    return evaluateSaved(o, modelDir);
  }
  if (o.has("backend")) throw new UsageError("evaluate: --backend applies to --model-dir (the baselines need no backend)");
  const modelName = getString(o, "model", "pop");
  const protocol = getString(o, "protocol", "full");
  const k = getNumber(o, "k", 10);
  if (k < 1) throw new UsageError(`evaluate: --k must be at least 1, got ${k}`);
  const seed = getNumber(o, "seed", 0);
  if (o.has("negatives") && protocol !== "sampled") throw new UsageError("evaluate: --negatives applies to --protocol sampled only");
  const numNegatives = getNumber(o, "negatives", 99);
  if (numNegatives < 1) throw new UsageError(`evaluate: --negatives must be at least 1, got ${numNegatives}`);
  const rng = new Rng(seed);

  const started = performance.now();
  const dataset = await loadDatasetFromOptions(o, "evaluate");
  const data = dataset.interactions;
  const split = leaveOneOut(data);
  const { train, test } = split;
  const model: Recommender =
    modelName === "random" ? new RandomRecommender({ numUsers: data.numUsers, numItems: data.numItems, seed: rng.derive("model") }) : new MostPopular(train);

  let report: RankingReport;
  if (protocol === "sampled") {
    const negatives = sampledCandidates(train, test, { numNegatives, rng: rng.derive("sampled-candidates") });
    report = await evaluateSampled(model, test, { negatives, k });
  } else {
    report = await evaluateFullRanking(model, test, { train, k });
  }
  printJson({
    dataset: dataset.name,
    model: model.name,
    split: "leave-one-out (latest interaction per user held out; ties in time: the later row; repeated (user, item) pairs merged to the latest first)",
    mergedDuplicates: split.mergedDuplicates,
    protocol: report.protocol,
    k: report.k,
    ties: report.ties,
    metrics: Object.fromEntries(Object.entries(report.metrics).map(([key, v]) => [key, round(v)])),
    usersEvaluated: report.usersEvaluated,
    usersSkipped: report.usersSkipped,
    casesEvaluated: report.casesEvaluated,
    users: data.numUsers,
    items: data.numItems,
    trainInteractions: train.length,
    testInteractions: test.length,
    seed,
    seconds: round((performance.now() - started) / 1000),
  });
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
