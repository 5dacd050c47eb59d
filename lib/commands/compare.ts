/**
 * `recsys-lab compare` (the main job; `npm start` runs it on the synthetic world): models side by side on one
 * dataset and split over several seeds, in worker processes or on a Redis queue, optionally each tuned on
 * validation first. Prints the summary table (or JSON), writes the tidy tables (CSV, JSON) and plots (PNG, HTML)
 * to --out, and caches every run there so an interrupted comparison resumes.
 */
import * as os from "os";
import * as path from "path";
import { initBackend } from "../backend";
import { runExperiment, type ExperimentResult } from "../experiments/experiment";
import { saveExperimentPlots } from "../experiments/plots";
import { COMPARE_MODELS, presetConfig, presetNames, tuningSpace } from "../experiments/presets";
import type { ModelConfig } from "../experiments/runs";
import { searchHyperparameters } from "../experiments/search";
import { summaryTable } from "../experiments/summary-table";
import { writeTables } from "../experiments/tables";
import { closeRenderer, findChromium } from "../viz/png";
import { type OptionSpec, UsageError, getFlag, getNumber, getString, parseArgs, printJson } from "./args";
import { datasetOptions, datasetSpecFromOptions } from "./dataset-options";

export const summary =
  "Compare models on one dataset over seeds (full ranking by default): a table of mean ± sd with paired tests, tables (CSV/JSON) and plots (PNG/HTML) in --out; --workers, --queue, --tune.";

export const options: OptionSpec[] = [
  ...datasetOptions("synthetic"),
  { name: "models", help: `comma-separated, from ${presetNames().join(", ")} (default: ${COMPARE_MODELS.join(",")}; on synthetic data also truth)` },
  { name: "seeds", help: "comma-separated seeds; each model runs once per seed (default 0,1,2)" },
  { name: "protocol", help: "the table's metrics: full ranking (default) or the labelled sampled protocol (1 + 99 negatives)", choices: ["full", "sampled"] },
  { name: "k", type: "integer", help: "cut-off of the metrics (default 10)" },
  { name: "epochs", type: "integer", help: "epochs of every trained model (default: each model's preset: MF 20, others 10)" },
  { name: "reference", help: "the model the others are tested against, paired over users (default: mf when compared, else the first)" },
  { name: "workers", type: "integer", help: `worker processes for the runs (default: the number of cores, ${os.cpus().length} here; 1 runs in this process)` },
  { name: "queue", help: "put the runs on a BullMQ queue at this Redis URL (redis://host:port) for 'recsys-lab worker' processes" },
  { name: "tune", type: "boolean", help: "tune every model first: random search on the validation split (never test), then compare the selected settings" },
  { name: "budget", type: "integer", help: "--tune: configurations tried per model (default 8)" },
  { name: "validation", type: "boolean", help: "carve a validation split from train (each user's latest) and validate every epoch: learning curves with validation NDCG@k" },
  { name: "out", help: "folder for tables, plots and the run cache (default results/compare-<dataset>)" },
  { name: "no-plots", type: "boolean", help: "write no plots" },
  { name: "json", type: "boolean", help: "print the summary as JSON instead of a table" },
  { name: "quiet", type: "boolean", help: "no progress output" },
];

const METRICS = {
  full: [
    ["ndcg", "NDCG@k"],
    ["hr", "HR@k"],
    ["recall", "Recall@k"],
    ["mrr", "MRR@k"],
    ["coverage", "coverage"],
  ],
  sampled: [
    ["sampled ndcg", "sampled NDCG@k"],
    ["sampled hr", "sampled HR@k"],
  ],
} as const;

export async function run(argv: string[]): Promise<void> {
  const { options: o, positional } = parseArgs(argv, options, "compare");
  if (positional.length) throw new UsageError(`compare: unexpected argument '${positional[0]}'; options start with --`);
  const quiet = getFlag(o, "quiet");
  const log = (line: string) => quiet || process.stderr.write(line + "\n");
  const k = getNumber(o, "k", 10);
  const protocol = (getString(o, "protocol") ?? "full") as keyof typeof METRICS;
  const seeds = parseList(getString(o, "seeds") ?? "0,1,2", "seeds").map((s) => {
    if (!/^-?\d+$/.test(s)) throw new UsageError(`compare: --seeds takes integers, got '${s}'`);
    return Number(s);
  });
  const workers = getNumber(o, "workers", os.cpus().length);
  if (!(workers >= 1)) throw new UsageError(`compare: --workers must be >= 1, got ${workers}`);
  const budget = getNumber(o, "budget", 8);
  if (o.has("budget") && !getFlag(o, "tune")) throw new UsageError("compare: --budget applies with --tune only");

  await initBackend({ verbose: !quiet });
  const { spec, dataset } = await datasetSpecFromOptions(o, "compare", "synthetic");
  const synthetic = "truth" in dataset;
  const names = getString(o, "models") ? parseList(getString(o, "models")!, "models") : [...COMPARE_MODELS, ...(synthetic ? ["truth"] : [])];
  for (const n of names) if (!presetNames().includes(n)) throw new UsageError(`compare: unknown model '${n}' in --models. Valid: ${presetNames().join(", ")}`);
  if (names.includes("truth") && !synthetic) throw new UsageError(`compare: 'truth' is the ground truth of a synthetic world; ${dataset.name} has none`);
  const epochs = getNumber(o, "epochs");
  let models: ModelConfig[] = names.map((n) => presetConfig(n, { epochs }));
  const referenceName = getString(o, "reference") ?? (names.includes("mf") ? "mf" : names[0]!);
  const referenceIndex = names.indexOf(referenceName);
  if (referenceIndex < 0) throw new UsageError(`compare: --reference '${referenceName}' is not among --models (${names.join(", ")})`);

  const out = path.resolve(getString(o, "out") ?? path.join("results", `compare-${dataset.name}`));
  const cacheDir = path.join(out, "cache");
  const common = { dataset: spec, k, workers, queue: getString(o, "queue"), cacheDir, progress: !quiet };
  const validation = getFlag(o, "validation");
  const started = performance.now();
  const tuned: Record<string, { options: Record<string, unknown>; training: Record<string, unknown>; validation: number; trials: number }> = {};
  if (getFlag(o, "tune")) {
    models = [];
    for (const name of names) {
      const base = presetConfig(name, { epochs });
      const space = tuningSpace(name);
      if (!space) {
        models.push(base);
        continue;
      }
      log(`tuning ${base.label}: ${budget} configurations on the validation split ...`);
      const search = await searchHyperparameters({ ...common, base, space, budget, seed: seeds[0]!, progress: !quiet });
      // The selected settings under the model's plain label (the table compares models, not settings).
      models.push({ ...search.best, label: base.label });
      const top = search.trials[0]!;
      tuned[base.label!] = { options: search.best.options ?? {}, training: search.best.training ?? {}, validation: top.validation[search.metric]!, trials: search.trials.length };
      log(`  selected ${search.best.label} (validation ${search.metric} ${top.validation[search.metric]!.toFixed(4)})`);
    }
  }
  log(`comparing ${models.length} models x ${seeds.length} seeds on ${dataset.name} (${workers > 1 && !common.queue ? `${workers} workers` : common.queue ? `queue ${common.queue}` : "1 process"}) ...`);
  const result = await runExperiment({ ...common, models, seeds, validation, reference: models[referenceIndex]!.label });
  const seconds = (performance.now() - started) / 1000;

  const metrics = METRICS[protocol].map(([m, title]) => [m, title.replace("@k", `@${k}`)] as const);
  const files = writeTables(result, out);
  if (!getFlag(o, "no-plots")) {
    const png = findChromium() !== null;
    if (!png) log("no Chromium found: plots are written as HTML only (apt-get install -y chromium for PNG)");
    try {
      files.push(...(await saveExperimentPlots(result, out, { metrics: metrics.map(([m]) => m), k, png })));
    } finally {
      await closeRenderer();
    }
  }
  if (getFlag(o, "json")) {
    printJson({ dataset: dataset.name, protocol, k, seeds, seconds: round(seconds), tuned, summary: result.summary, comparisons: result.comparisons, out, files: files.map((f) => path.relative(out, f)) });
  } else {
    process.stdout.write(header(result, dataset.name, protocol, k, seeds, seconds) + "\n" + summaryTable(result, { metrics }) + "\n");
    if (Object.keys(tuned).length) process.stdout.write(`\ntuned on validation: ${Object.entries(tuned).map(([m, t]) => `${m} ${JSON.stringify({ ...t.options, ...t.training })}`).join("; ")}\n`);
    process.stdout.write(`\nmean ± sd over seeds; * best; "=": within noise of the reference (paired t-test over users, 5%)\ntables and plots: ${out}\n`);
  }
}

function header(result: ExperimentResult, dataset: string, protocol: string, k: number, seeds: number[], seconds: number): string {
  const what = protocol === "full" ? "full ranking (every unseen item a candidate)" : "sampled: 1 held-out + 99 sampled negatives (paper reproduction, optimistic)";
  return `${dataset}, leave-one-out, ${what}, k = ${k}, seeds ${seeds.join(",")}; ${result.runs.length} runs (${result.cached} from the cache) in ${seconds.toFixed(1)} s\n`;
}

function parseList(text: string, option: string): string[] {
  const items = text.split(",").map((s) => s.trim());
  if (items.some((s) => !s)) throw new UsageError(`compare: --${option} has an empty entry in '${text}'`);
  return items;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
