/**
 * The comparison runner, in the spirit of Cornac's Experiment(eval_method, models, metrics): one dataset and split,
 * a list of model configurations, seeds, a protocol and metrics -> every run, a tidy results table (one row per run
 * and metric), a summary over seeds (mean, sd, 95% interval) and paired tests over users against a reference model.
 *
 *   const result = await runExperiment({
 *     dataset: { name: "ml-100k", dataDir: "../shared/datasets/ml-100k" },
 *     models: [{ model: "pop" }, { model: "mf", options: { factors: 64 } }, { model: "neumf" }],
 *     seeds: [0, 1, 2],
 *     workers: 2,                       // runs in two processes; the results are the same as with one
 *     cacheDir: "results/cache",        // an interrupted grid resumes from the runs already recorded
 *   });
 *
 * Runs go in process (workers 1), to N local worker processes, or onto a BullMQ queue that `recsys-lab worker`
 * processes on any machine serve. Each result is cached under a hash of its spec, the data's fingerprint and the
 * kit's version.
 */
import * as fs from "fs";
import * as path from "path";
import { createProgress, type Progress } from "../progress";
import { runInPool } from "./pool";
import { canonical, executeRun, labelOf, loadDatasetSpec, runId, type DatasetSpec, type ModelConfig, type RunResult, type RunSpec } from "./runs";
import { pairedTest, summarize, type PairedTest, type Summary } from "./stats";

export interface ExperimentOptions {
  dataset: DatasetSpec;
  models: ModelConfig[];
  /** Default [0]. */
  seeds?: number[];
  /** Cut-off of the metrics. Default 10. */
  k?: number;
  /** Negatives per held-out item of the labelled sampled protocol. Default 99. */
  sampledNegatives?: number;
  /** Carve a validation split from train (early stopping and selection use it). Default false. */
  validation?: boolean;
  patience?: number;
  /** Model-selection runs: metrics on the validation split, the test split never evaluated (needs validation). */
  select?: boolean;
  /** Label of the model the others are tested against (paired over users). Default: the first model's. */
  reference?: string;
  /** Worker processes (1: in this process). Default 1. */
  workers?: number;
  /** A BullMQ queue (redis://host:port): runs are put there and `recsys-lab worker` processes execute them. */
  queue?: string;
  /** Cache folder: results are read from and written to it, so a restarted grid resumes. */
  cacheDir?: string;
  /** Modules every worker requires first (e.g. one that registers your own models). */
  modules?: string[];
  /** Live progress (runs done / total, ETA). Default true. */
  progress?: boolean | Progress;
  /** Called with each result as it arrives. */
  onRun?: (result: RunResult) => void;
}

/** One row of the tidy table: a run's value of one metric. */
export interface TidyRow {
  model: string;
  configuration: string;
  seed: number;
  metric: string;
  value: number;
  trainSeconds: number;
  examplesPerSecond: number;
  epochs: number;
}

export interface SummaryRow extends Summary {
  model: string;
  metric: string;
}

export interface ComparisonRow extends PairedTest {
  model: string;
  reference: string;
  metric: "ndcg" | "hr";
}

export interface ExperimentResult {
  runs: RunResult[];
  table: TidyRow[];
  summary: SummaryRow[];
  comparisons: ComparisonRow[];
  /** Runs taken from the cache instead of executed. */
  cached: number;
  seconds: number;
}

/** Every run of an experiment, in a fixed order (model configurations, then seeds). */
export function expandRuns(options: ExperimentOptions): RunSpec[] {
  const seeds = options.seeds ?? [0];
  const labels = options.models.map(labelOf);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice) throw new Error(`runExperiment: two model configurations are labelled '${twice}'; give them distinct labels`);
  return options.models.flatMap((config) =>
    seeds.map((seed) => ({
      dataset: options.dataset,
      config,
      seed,
      k: options.k ?? 10,
      sampledNegatives: options.sampledNegatives ?? 99,
      validation: options.validation ?? false,
      ...(options.patience !== undefined ? { patience: options.patience } : {}),
      ...(options.select ? { select: true } : {}),
    })),
  );
}

export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const started = performance.now();
  if (!options.models.length) throw new Error("runExperiment: no model configurations");
  const specs = expandRuns(options);
  const dataset = await loadDatasetSpec(options.dataset);
  const fingerprint = dataset.interactions.fingerprint();
  const ids = specs.map((s) => runId(s, fingerprint));
  const progress = options.progress === false ? createProgress({ silent: true }) : options.progress === true || options.progress === undefined ? createProgress() : options.progress;

  const byId = new Map<string, RunResult>();
  if (options.cacheDir) {
    for (const id of ids) {
      const file = path.join(options.cacheDir, `${id}.json`);
      if (fs.existsSync(file)) byId.set(id, JSON.parse(fs.readFileSync(file, "utf8")) as RunResult);
    }
  }
  const cached = byId.size;
  const todo = specs.map((spec, i) => ({ id: ids[i]!, spec })).filter((j) => !byId.has(j.id));
  let done = cached;
  const total = specs.length;
  const t0 = performance.now();
  const record = (r: RunResult) => {
    byId.set(r.id, r);
    if (options.cacheDir) writeAtomically(path.join(options.cacheDir, `${r.id}.json`), JSON.stringify(r));
    done++;
    const elapsed = (performance.now() - t0) / 1000;
    const executed = done - cached;
    const eta = executed ? (elapsed / executed) * (total - done) : NaN;
    progress.log(`run ${done}/${total}: ${r.label} seed ${r.seed}: ndcg@${options.k ?? 10} ${fmt(r.metrics.ndcg)} hr ${fmt(r.metrics.hr)} (${r.seconds.toFixed(1)} s)${done < total && Number.isFinite(eta) ? `; ETA ${Math.round(eta)} s` : ""}`);
    options.onRun?.(r);
  };
  if (cached) progress.log(`${cached} of ${total} runs found in ${options.cacheDir}`);

  if (todo.length) {
    if (options.queue) {
      const { runOnQueue } = await import("./queue");
      await runOnQueue(options.queue, todo, record);
    } else if ((options.workers ?? 1) > 1) {
      await runInPool(todo, options.workers!, record, options.modules ?? []);
    } else {
      for (const job of todo) record(await executeRun(job.spec, dataset, job.id));
    }
  }
  const runs = ids.map((id) => byId.get(id)!);
  const table = tidy(runs);
  const summary = summarizeRuns(runs);
  const comparisons = compareToReference(runs, options.reference ?? labelOf(options.models[0]!));
  progress.done(`${total} runs (${cached} from the cache) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { runs, table, summary, comparisons, cached, seconds: (performance.now() - started) / 1000 };
}

/** One row per run and metric. */
export function tidy(runs: readonly RunResult[]): TidyRow[] {
  return runs.flatMap((r) =>
    Object.entries(r.metrics).map(([metric, value]) => ({
      model: r.label,
      configuration: r.configuration,
      seed: r.seed,
      metric,
      value,
      trainSeconds: r.trainSeconds,
      examplesPerSecond: r.examplesPerSecond,
      epochs: r.epochs,
    })),
  );
}

/** Mean, sd and 95% interval over seeds, per model label and metric (models in first-seen order). */
export function summarizeRuns(runs: readonly RunResult[]): SummaryRow[] {
  const groups = new Map<string, Map<string, number[]>>();
  for (const r of runs) {
    const g = groups.get(r.label) ?? groups.set(r.label, new Map()).get(r.label)!;
    for (const [metric, v] of Object.entries(r.metrics)) if (Number.isFinite(v)) (g.get(metric) ?? g.set(metric, []).get(metric)!).push(v);
  }
  return [...groups].flatMap(([model, metrics]) => [...metrics].map(([metric, values]) => ({ model, metric, ...summarize(values) })));
}

/**
 * Each model against the reference: paired t-tests over users of NDCG@k and HR@k, each user's value averaged over
 * the seeds both models ran (users evaluated by both).
 */
export function compareToReference(runs: readonly RunResult[], reference: string): ComparisonRow[] {
  const labels = [...new Set(runs.map((r) => r.label))];
  if (!labels.includes(reference)) throw new Error(`compare: the reference '${reference}' is not among the models (${labels.join(", ")})`);
  const perUser = (label: string, metric: "ndcg" | "hr") => {
    const sums = new Map<number, { s: number; n: number }>();
    for (const r of runs) {
      if (r.label !== label) continue;
      r.perUser.users.forEach((u, i) => {
        const e = sums.get(u) ?? sums.set(u, { s: 0, n: 0 }).get(u)!;
        e.s += r.perUser[metric][i]!;
        e.n++;
      });
    }
    return new Map([...sums].map(([u, e]) => [u, e.s / e.n]));
  };
  const out: ComparisonRow[] = [];
  for (const metric of ["ndcg", "hr"] as const) {
    const ref = perUser(reference, metric);
    for (const label of labels) {
      if (label === reference) continue;
      const mine = perUser(label, metric);
      const users = [...mine.keys()].filter((u) => ref.has(u));
      if (users.length < 2) continue;
      out.push({ model: label, reference, metric, ...pairedTest(users.map((u) => mine.get(u)!), users.map((u) => ref.get(u)!)) });
    }
  }
  return out;
}

function writeAtomically(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function fmt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(4);
}

export { canonical };
