/**
 * `recsys-lab demo` (what `npm start` runs): a one-minute tour on the synthetic world, no files needed. It trains
 * MF and NeuMF with live progress, evaluates them beside MostPopular and the world's own ground truth (the best
 * achievable ranking), and prints one JSON table: full-ranking metrics (the honest default) beside the sampled
 * paper-reproduction protocol.
 */
import { initBackend } from "../backend";
import { loadDataset } from "../data/load";
import { sampledCandidates } from "../data/sampling";
import { leaveOneOut } from "../data/splits";
import { evaluateFullRanking } from "../eval/full-ranking";
import { evaluateSampled } from "../eval/sampled";
import { trainAndEvaluate } from "../experiments/train-and-evaluate";
import { GroundTruth, MostPopular } from "../models/baselines";
import type { Recommender } from "../models/recommender";
import { Rng } from "../random";
import { type OptionSpec, getFlag, getNumber, parseArgs, printJson } from "./args";

export const summary = "A one-minute tour on the synthetic world: train MF and NeuMF, compare them with MostPopular and the ground truth (full ranking and sampled), as JSON.";

export const options: OptionSpec[] = [
  { name: "epochs", type: "integer", help: "training epochs of MF and NeuMF (default 5)" },
  { name: "seed", type: "integer", help: "seed of the run (default 0)" },
  { name: "quiet", type: "boolean", help: "no progress output" },
];

export async function run(argv: string[]): Promise<void> {
  const { options: o } = parseArgs(argv, options, "demo");
  const quiet = getFlag(o, "quiet");
  const epochs = getNumber(o, "epochs", 5);
  const seed = getNumber(o, "seed", 0);
  const backend = await initBackend({ verbose: !quiet });
  const world = await loadDataset("synthetic");
  const data = world.interactions.toImplicit();
  const { train, test } = leaveOneOut(data);
  const negatives = sampledCandidates(train, test, { rng: new Rng(seed).derive("sampled-candidates") });

  const rows: Record<string, unknown>[] = [];
  const row = (name: string, hr: number, ndcg: number, sampledHr: number, extra: Record<string, unknown> = {}) =>
    rows.push({ model: name, "hr@10": r4(hr), "ndcg@10": r4(ndcg), "sampled hr@10": r4(sampledHr), ...extra });
  // The baselines are evaluated here on the same split and sampled candidates that trainAndEvaluate uses.
  const evaluate = async (model: Recommender) => {
    const full = await evaluateFullRanking(model, test, { train, k: 10 });
    const sampled = await evaluateSampled(model, test, { negatives, k: 10 });
    row(model.name, full.metrics.hr, full.metrics.ndcg, sampled.metrics.hr);
  };
  await evaluate(new MostPopular(train));
  for (const model of ["mf", "neumf"] as const) {
    if (!quiet) process.stderr.write(`training ${model} for ${epochs} epochs\n`);
    const run = await trainAndEvaluate(world, { model, epochs, seed, progress: !quiet });
    const { full, sampled } = run.test;
    row(run.model.name, full!.hr, full!.ndcg, sampled!.hr, { trainSeconds: r4(run.trainSeconds), examplesPerSecond: Math.round(run.examplesPerSecond) });
    run.model.dispose();
  }
  await evaluate(new GroundTruth(world));
  printJson({
    dataset: world.source,
    backend: backend.backend,
    split: "leave-one-out (latest interaction per user held out)",
    protocols: { "hr@10, ndcg@10": "full ranking, training items masked (default)", "sampled hr@10": "1 held-out + 99 sampled negatives (paper reproduction)" },
    results: rows,
  });
}

function r4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
