/**
 * Helpers of notebook 02 (linear vs non-linear): compare models on synthetic worlds that differ in one knob, read
 * a model's result back by label, and count which world options differ (for the exercises). The learned-similarity
 * experiment (can an MLP learn a dot product?) is in ./learned-similarity.
 *
 *   const rows = await compareWorlds({ linear: { nonlinearity: 0 }, "non-linear": { nonlinearity: 1 } }, ["truth", "mf", "neumf"], [0]);
 *   ndcgOf(rows, "linear", "MF")
 */
import type { SyntheticOptions } from "../data/synthetic";
import { runExperiment } from "../experiments/experiment";
import { presetConfig } from "../experiments/presets";

export * from "./learned-similarity";

/** One model's full-ranking NDCG@k on one world, summarised over seeds. */
export interface WorldResult {
  world: string;
  /** The model's label (presetConfig's, e.g. "MF", "NeuMF", "ground truth"). */
  model: string;
  /** The dataset's name as the runner reported it. */
  dataset: string;
  mean: number;
  sd: number;
  low: number;
  high: number;
  /** NDCG@k of each seed's run. */
  runs: number[];
  /** Mean training time of a run, seconds. */
  seconds: number;
}

/**
 * Run the preset configurations `models` (presetConfig names, e.g. "truth", "mf", "neumf", "two-tower") on each
 * synthetic world over `seeds`: leave-one-out, full ranking with the training items masked, NDCG@k (default 10).
 */
export async function compareWorlds(worlds: Record<string, SyntheticOptions>, models: readonly string[], seeds: readonly number[], options: { k?: number; progress?: boolean } = {}): Promise<WorldResult[]> {
  if (!Object.keys(worlds).length) throw new Error("compareWorlds: no worlds; pass e.g. { linear: { nonlinearity: 0 } }");
  if (!models.length || !seeds.length) throw new Error(`compareWorlds: need at least one model and one seed, got models ${JSON.stringify(models)}, seeds ${JSON.stringify(seeds)}`);
  const rows: WorldResult[] = [];
  for (const [world, synthetic] of Object.entries(worlds)) {
    const result = await runExperiment({
      dataset: { name: "synthetic", synthetic },
      models: models.map((m) => presetConfig(m)),
      seeds: [...seeds],
      k: options.k ?? 10,
      progress: options.progress ?? false,
    });
    for (const s of result.summary.filter((r) => r.metric === "ndcg")) {
      const runs = result.runs.filter((r) => r.label === s.model);
      rows.push({
        world,
        model: s.model,
        dataset: `synthetic (${describeWorld(synthetic)})`,
        mean: s.mean,
        sd: s.sd,
        low: s.low,
        high: s.high,
        runs: runs.map((r) => r.metrics.ndcg!),
        seconds: runs.reduce((a, r) => a + r.seconds, 0) / runs.length,
      });
    }
  }
  return rows;
}

/** The mean NDCG of `model` (a label) on `world`; an error naming what there is when absent. */
export function ndcgOf(rows: readonly WorldResult[], world: string, model: string): number {
  const row = rows.find((r) => r.world === world && r.model === model);
  if (!row) throw new Error(`ndcgOf: no result for model '${model}' on world '${world}'; have ${rows.map((r) => `${r.model} on ${r.world}`).join(", ")}`);
  return row.mean;
}

/** The option names whose values differ between two synthetic worlds (missing = the default). */
export function changedOptions(a: SyntheticOptions, b: SyntheticOptions): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])] as (keyof SyntheticOptions)[];
  return keys.filter((k) => a[k] !== b[k]).sort();
}

/** "nonlinearity 1, 300 users x 300 items, ..." for printing which world ran. */
export function describeWorld(o: SyntheticOptions): string {
  return Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ");
}
