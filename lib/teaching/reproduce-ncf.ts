/**
 * Teaching helpers of notebook 05-reproduce-ncf: the NCF paper's protocol (He et al., WWW 2017: leave-one-out,
 * 4 sampled negatives per positive in training, the held-out item ranked among 99 sampled negatives at test) beside
 * the kit's default full-ranking protocol, and whether the two order the models alike (Krichene & Rendle, KDD 2020).
 *
 * Everything here is a thin layer over `trainAndEvaluate` / `evaluateRun`, so the split, masks and sampled candidates
 * are the ones the CLI uses for the same seed (`recsys-lab compare`, which builds the models from its presets).
 */
import * as fs from "fs";
import * as path from "path";
import type { Dataset } from "../data/dataset";
import { checkExercise, exerciseResult, type ExerciseResult, type Requirement } from "../exercises";
import { MostPopular } from "../models/baselines";
import { loadDataset } from "../data/load";
import type { SyntheticOptions } from "../data/synthetic";
import type { Split } from "../data/splits";
import { registryEntry, resolveDataDir } from "../data/registry";
import { evaluateRun, trainAndEvaluate, type ModelName, type ModelOptions, type TrainRunResult } from "../experiments/train-and-evaluate";
import type { Model } from "../models/model";
import type { Recommender } from "../models/recommender";
import type { OptimizerOptions } from "../nn/optimizers";

/** A published result of the NCF paper's sampled protocol (HR@10 and NDCG@10 with 99 sampled negatives). */
export interface PublishedResult {
  model: string;
  hr: number;
  ndcg: number;
  source: string;
}

/**
 * He et al. 2017 (WWW), MovieLens-1M, 32 predictive factors, sampled protocol (1 held-out + 99 negatives), as quoted
 * in the kit's issue 12. GMF and MF at factor 32 are not in this list (read them off the paper's figures yourself).
 */
export const NCF_PUBLISHED: readonly PublishedResult[] = [
  { model: "MLP", hr: 0.692, ndcg: 0.425, source: "He et al. 2017, ML-1M, factor 32" },
  { model: "NeuMF", hr: 0.701, ndcg: 0.425, source: "He et al. 2017, ML-1M, factor 32, no pretraining" },
  { model: "NeuMF (pretrained)", hr: 0.726, ndcg: 0.445, source: "He et al. 2017, ML-1M, factor 32, pretrained from GMF and MLP" },
];

/** The models of the NCF paper's comparison, in the kit's names. */
export const NCF_MODELS: readonly ModelName[] = ["mf", "gmf", "mlp", "neumf"];

const LABELS: Record<string, string> = { mf: "MF", gmf: "GMF", mlp: "MLP", neumf: "NeuMF" };

/**
 * Model options with the paper's "predictive factors" f: MF and GMF have f factors; the MLP tower is
 * [4f, 2f, f] (its input is the two concatenated 2f-dimensional embeddings, its last layer has f units, as in
 * He et al. §4.1: "if the predictive factors is 8, the architecture is 32 -> 16 -> 8"); NeuMF joins both.
 */
export function ncfPaperOptions(factors: number): Record<"mf" | "gmf" | "mlp" | "neumf", Partial<ModelOptions>> {
  if (!Number.isInteger(factors) || factors < 1) throw new Error(`ncfPaperOptions: factors must be a positive integer, got ${factors}`);
  const layers = [4 * factors, 2 * factors, factors];
  return { mf: { factors }, gmf: { factors }, mlp: { layers }, neumf: { factors, layers } };
}

export interface ReproductionDataOptions {
  /** The dataset asked for: "ml-1m" (the paper's), "ml-100k" or "synthetic". */
  dataset: "ml-1m" | "ml-100k" | "synthetic";
  /** A folder holding `<name>/` (or the dataset's own folder). Default: $RECSYS_DATA_DIR, else datasets/cache. */
  dataDir?: string;
  /** Use the synthetic world whatever was asked (quick mode: tests and CI have no MovieLens files). */
  synthetic?: boolean;
  /** Options of the synthetic world (when it is used). */
  syntheticOptions?: SyntheticOptions;
}

/** Whether a MovieLens dataset's ratings file is on disk (never downloads). */
export function hasDatasetFiles(name: string, dataDir?: string): boolean {
  const entry = registryEntry(name);
  if (entry.format === "synthetic") return true;
  return fs.existsSync(path.join(resolveDataDir(entry, dataDir), entry.files!.ratings));
}

/**
 * The data of the reproduction: the dataset asked for when its files are present, else MovieLens-100K when present,
 * else the synthetic world; never downloads. `note` says what ran and why, from the loaded dataset's name.
 */
export async function loadReproductionData(options: ReproductionDataOptions): Promise<{ dataset: Dataset; asked: string; note: string }> {
  const asked = options.dataset;
  const tried: string[] = [];
  let name: string = "synthetic";
  if (!options.synthetic) {
    for (const candidate of asked === "synthetic" ? [] : asked === "ml-1m" ? ["ml-1m", "ml-100k"] : ["ml-100k"]) {
      if (hasDatasetFiles(candidate, options.dataDir)) {
        name = candidate;
        break;
      }
      tried.push(candidate);
    }
  }
  const dataset =
    name === "synthetic"
      ? await loadDataset("synthetic", { synthetic: options.syntheticOptions })
      : await loadDataset(name, { dataDir: options.dataDir, download: false });
  const size = `${dataset.interactions.numUsers} users x ${dataset.interactions.numItems} items, ${dataset.interactions.length} interactions`;
  const why = options.synthetic && asked !== "synthetic" ? " (quick mode)" : tried.length ? ` (no files for ${tried.join(", ")})` : "";
  const paper = dataset.name === "ml-1m" ? "the paper's dataset" : "NOT the paper's dataset (ML-1M): compare with the published numbers with care";
  return { dataset, asked, note: `dataset: ${dataset.name}${why}, ${size}; ${paper}` };
}

/** One model's test metrics under both protocols. */
export interface ProtocolRow {
  model: string;
  sampled: { hr: number; ndcg: number };
  full: { hr: number; ndcg: number };
}

export interface NcfRunOptions {
  /** The paper's predictive factors (default 32). */
  factors?: number;
  /** Epochs of each model (default 10), or per model name. */
  epochs?: number | Partial<Record<ModelName, number>>;
  seed?: number;
  /** Training negatives per positive (default 4, the paper's). */
  negatives?: number;
  /** Test negatives of the sampled protocol (default 99, the paper's). */
  sampledNegatives?: number;
  batchSize?: number;
  optimizer?: OptimizerOptions;
  /** Which models (default NCF_MODELS). */
  models?: readonly ModelName[];
  /**
   * fit's live progress line while training (default false: in a tslab kernel, fit's synchronous redraws of that
   * line during epochs longer than a few seconds can crash the kernel with zeromq's "Socket is busy writing").
   */
  progress?: boolean;
  /** One line per trained model (default console.log; null for none). */
  log?: ((line: string) => void) | null;
}

/**
 * Train the NCF comparison's models with the paper's protocol (leave-one-out, `negatives` sampled per positive) and
 * evaluate each under full ranking and the sampled protocol. Returns the trained runs (dispose their models when
 * done: `disposeRuns`) and one row per model.
 */
export async function trainNcfModels(dataset: Dataset, options: NcfRunOptions = {}): Promise<{ runs: Record<string, TrainRunResult<Model>>; rows: ProtocolRow[]; split: Split }> {
  const models = options.models ?? NCF_MODELS;
  const paper = ncfPaperOptions(options.factors ?? 32);
  const runs: Record<string, TrainRunResult<Model>> = {};
  const rows: ProtocolRow[] = [];
  for (const name of models) {
    const epochs = typeof options.epochs === "number" ? options.epochs : (options.epochs?.[name] ?? 10);
    const run = await trainAndEvaluate(dataset, {
      model: name,
      modelOptions: (paper as Record<string, Partial<ModelOptions>>)[name] ?? {},
      epochs,
      seed: options.seed ?? 0,
      negatives: options.negatives ?? 4,
      sampledNegatives: options.sampledNegatives ?? 99,
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      ...(options.optimizer ? { optimizer: options.optimizer } : {}),
      progress: options.progress ?? false,
    });
    const label = LABELS[name] ?? name;
    runs[label] = run;
    const row = protocolRow(label, run.test);
    rows.push(row);
    const log = options.log === undefined ? console.log : options.log;
    log?.(
      `${label}: ${epochs} epochs in ${run.trainSeconds.toFixed(1)} s (last train loss ${run.history.epochs.at(-1)?.trainLoss.toFixed(4)}); ` +
        `HR@10 sampled ${row.sampled.hr.toFixed(3)}, full ${row.full.hr.toFixed(3)}`,
    );
  }
  const first = Object.values(runs)[0];
  if (!first) throw new Error("trainNcfModels: no models to train; pass models: ['mf', 'gmf', 'mlp', 'neumf'] or a subset");
  return { runs, rows, split: first.split };
}

/** A row from a run's test metrics (both protocols must be there: a ranking run, not "mse"). */
export function protocolRow(model: string, test: { full?: { hr: number; ndcg: number }; sampled?: { hr: number; ndcg: number } }): ProtocolRow {
  if (!test.full || !test.sampled) throw new Error(`protocolRow: ${model} has no ranking metrics under both protocols (was it a ratings run, or test: false?)`);
  return { model, sampled: { hr: test.sampled.hr, ndcg: test.sampled.ndcg }, full: { hr: test.full.hr, ndcg: test.full.ndcg } };
}

/**
 * Evaluate any recommender on a split under both protocols, exactly as `trainAndEvaluate` does at the end of a run
 * (same masks; the sampled candidates drawn from `seed`), e.g. a baseline or a model built from pretrained parts.
 */
export async function evaluateProtocols(
  model: Recommender,
  split: Split,
  options: { seed?: number; k?: number; sampledNegatives?: number; label?: string } = {},
): Promise<ProtocolRow> {
  const test = await evaluateRun(model, split, { loss: "bce", seed: options.seed ?? 0, k: options.k ?? 10, sampledNegatives: options.sampledNegatives ?? 99 });
  return protocolRow(options.label ?? model.name, test);
}

/** Model names best first by a metric under one protocol (ties keep the given order). */
export function modelOrder(rows: readonly ProtocolRow[], protocol: "sampled" | "full", metric: "hr" | "ndcg" = "hr"): string[] {
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r[protocol][metric] - a.r[protocol][metric] || a.i - b.i)
    .map(({ r }) => r.model);
}

export interface OrderComparison {
  metric: "hr" | "ndcg";
  sampled: string[];
  full: string[];
  /** Whether the two protocols order the models differently. */
  changed: boolean;
  /** Pairs [a, b] with a ahead of b under the sampled protocol but behind it under full ranking. */
  swapped: [string, string][];
  /** Kendall's tau between the two orders: 1 = same order, -1 = reversed. */
  kendallTau: number;
  /** One sentence saying what happened, for the notebook to print. */
  sentence: string;
}

/** Compare the model order of the two protocols on one metric (computed from the numbers, never assumed). */
export function compareOrders(rows: readonly ProtocolRow[], metric: "hr" | "ndcg" = "hr"): OrderComparison {
  if (rows.length < 2) throw new Error(`compareOrders: needs at least two models, got ${rows.length}`);
  const sampled = modelOrder(rows, "sampled", metric);
  const full = modelOrder(rows, "full", metric);
  const at = new Map(full.map((m, i) => [m, i]));
  const swapped: [string, string][] = [];
  let concordant = 0;
  for (let i = 0; i < sampled.length; i++) {
    for (let j = i + 1; j < sampled.length; j++) {
      if (at.get(sampled[i]!)! < at.get(sampled[j]!)!) concordant++;
      else swapped.push([sampled[i]!, sampled[j]!]);
    }
  }
  const pairs = (sampled.length * (sampled.length - 1)) / 2;
  const kendallTau = (concordant - swapped.length) / pairs;
  const name = metric === "hr" ? "HR@10" : "NDCG@10";
  const sentence = swapped.length
    ? `By ${name}, the protocols order the models differently: sampled ${sampled.join(" > ")}, full ranking ${full.join(" > ")} ` +
      `(${swapped.length} of ${pairs} pairs swapped: ${swapped.map(([a, b]) => `${a}/${b}`).join(", ")}; Kendall's tau ${kendallTau.toFixed(2)}).`
    : `By ${name}, both protocols order the models the same way: ${full.join(" > ")}.`;
  return { metric, sampled, full, changed: swapped.length > 0, swapped, kendallTau, sentence };
}

/**
 * A markdown table: each model under the sampled protocol and under full ranking, the ratio sampled/full HR@10, and
 * the published sampled numbers where the paper has the model (labelled with the dataset they come from).
 */
export function protocolTable(rows: readonly ProtocolRow[], options: { dataset: string; published?: readonly PublishedResult[]; sampledNegatives?: number } = { dataset: "?" }): string {
  const n = options.sampledNegatives ?? 99;
  const published = new Map((options.published ?? NCF_PUBLISHED).map((p) => [p.model, p]));
  const f = (x: number) => x.toFixed(3);
  const lines = [
    `| model | sampled HR@10 | sampled NDCG@10 | full HR@10 | full NDCG@10 | sampled ÷ full HR@10 | published (ML-1M) HR@10 / NDCG@10 |`,
    `|---|---|---|---|---|---|---|`,
    ...rows.map((r) => {
      const p = published.get(r.model);
      const ratio = r.full.hr > 0 ? `${(r.sampled.hr / r.full.hr).toFixed(1)}×` : "∞";
      return `| ${r.model} | ${f(r.sampled.hr)} | ${f(r.sampled.ndcg)} | ${f(r.full.hr)} | ${f(r.full.ndcg)} | ${ratio} | ${p ? `${f(p.hr)} / ${f(p.ndcg)}` : "—"} |`;
    }),
  ];
  const extra = [...published.values()].filter((p) => !rows.some((r) => r.model === p.model));
  for (const p of extra) lines.push(`| ${p.model} | | | | | | ${f(p.hr)} / ${f(p.ndcg)} |`);
  return (
    `**${options.dataset}**: sampled = paper reproduction (1 held-out + ${n} sampled negatives); full = every unseen item ranked (the kit's default).\n\n` +
    lines.join("\n")
  );
}

/** Dispose the models of trainNcfModels' runs. */
export function disposeRuns(runs: Record<string, { model: { dispose(): void } }>): void {
  for (const run of Object.values(runs)) run.model.dispose();
}

// ---- The exercises' checks (the notebook and its worked solutions run the same ones) ----

/** checkExercise (prints and records the verdict), returning the verdict for the notebook's next steps. */
function verdict(id: string, requirements: readonly Requirement[], options: { hint?: string; success?: string }): ExerciseResult {
  checkExercise(id, requirements, options);
  return exerciseResult(id, requirements);
}

const same = (a: number, b: number) => Math.abs(a - b) < 1e-9;

/**
 * Exercise "05-popular-gap": `popularRow` must be MostPopular's result under both protocols on this split and seed.
 * Prints the verdict (and, when right, the gap) and records it; never throws.
 */
export async function checkPopularGap(popularRow: ProtocolRow | undefined, split: Split, options: { seed?: number } = {}): Promise<ExerciseResult> {
  const reference = await evaluateProtocols(new MostPopular(split.train), split, { seed: options.seed ?? 0 });
  return verdict(
    "05-popular-gap",
    [
      [popularRow !== undefined, "popularRow is still undefined: evaluate new MostPopular(split.train) with evaluateProtocols"],
      [popularRow === undefined || popularRow.model === "MostPopular", `popularRow holds ${popularRow?.model}'s results, not MostPopular's`],
      [
        popularRow === undefined || (same(popularRow.sampled.hr, reference.sampled.hr) && same(popularRow.full.hr, reference.full.hr)),
        "the numbers differ from MostPopular's on this split: evaluate on `split` with { seed: params.seed }, so it sees the models' candidates",
      ],
    ],
    {
      hint: "popularRow = await evaluateProtocols(new MostPopular(split.train), split, { seed: params.seed });",
      success:
        `MostPopular: sampled HR@10 ${reference.sampled.hr.toFixed(3)}, full ${reference.full.hr.toFixed(3)} ` +
        `(${(reference.sampled.hr / reference.full.hr).toFixed(1)}×). Uniformly sampled negatives are mostly unpopular items, which popularity alone ranks below the held-out item.`,
    },
  );
}

/**
 * Exercise "05-pretrain": before any fine-tuning, the candidate NeuMF must rank at least half as well (full HR@10)
 * as the weaker of the trained GMF and MLP it should start from; a NeuMF from random weights is near chance.
 */
export async function checkPretrainedNeuMF(
  candidate: Recommender,
  rows: readonly ProtocolRow[],
  split: Split,
  options: { seed?: number } = {},
): Promise<ExerciseResult & { start: ProtocolRow }> {
  const start = await evaluateProtocols(candidate, split, { seed: options.seed ?? 0, label: `${candidate.name} before fine-tuning` });
  const part = (name: string) => {
    const r = rows.find((x) => x.model === name);
    if (!r) throw new Error(`checkPretrainedNeuMF: rows have no ${name}; train GMF and MLP first (trainNcfModels)`);
    return r.full.hr;
  };
  const parts = Math.min(part("GMF"), part("MLP"));
  console.log(`before fine-tuning: full HR@10 ${start.full.hr.toFixed(3)} (GMF ${part("GMF").toFixed(3)}, MLP ${part("MLP").toFixed(3)})`);
  const result = verdict(
    "05-pretrain",
    [
      [
        start.full.hr >= 0.5 * parts,
        `before fine-tuning this NeuMF's full HR@10 is ${start.full.hr.toFixed(3)}, far below its parts' (GMF, MLP ≥ ${parts.toFixed(3)}): it does not start from the trained GMF and MLP`,
      ],
    ],
    { hint: "const startingNeuMF = NeuMF.fromPretrained(gmf, mlp, { options: { seed: params.seed } });" },
  );
  return { ...result, start };
}

/**
 * Exercise "05-more-negatives": re-evaluate the trained models with `moreNegatives` sampled negatives (at least 299);
 * every model's sampled HR@10 must drop below its 99-negative value. Returns the new rows for a table.
 */
export async function checkMoreNegatives(
  moreNegatives: number,
  runs: Record<string, { model: Recommender }>,
  rows: readonly ProtocolRow[],
  split: Split,
  options: { seed?: number } = {},
): Promise<ExerciseResult & { wider: ProtocolRow[] }> {
  const wider: ProtocolRow[] = [];
  for (const [label, run] of Object.entries(runs)) {
    wider.push(await evaluateProtocols(run.model, split, { seed: options.seed ?? 0, sampledNegatives: moreNegatives, label }));
  }
  const notDropped = wider.filter((w) => !(w.sampled.hr < (rows.find((r) => r.model === w.model)?.sampled.hr ?? -Infinity))).map((w) => w.model);
  const result = verdict(
    "05-more-negatives",
    [
      [moreNegatives >= 299, `moreNegatives is ${moreNegatives}: use at least 299 (e.g. 499) so the effect is clear`],
      [notDropped.length === 0, `with ${moreNegatives} negatives the sampled HR@10 did not drop for ${notDropped.join(", ")}`],
    ],
    {
      hint: "const moreNegatives = 499;",
      success: "More candidates make the sampled task harder and bring it closer to full ranking, the limit where every unseen item is a candidate.",
    },
  );
  return { ...result, wider };
}
