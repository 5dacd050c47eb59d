/**
 * Quality against the PyTorch anchor (../shared/anchors/ncf_torch.py) on MovieLens-100K, NCF protocol:
 * leave-one-out by timestamp, every rating an implicit positive, 4 uniform negatives per positive resampled each
 * epoch, Adam 1e-3, BCE; HR@10 and NDCG@10 with full ranking (training items masked) and sampled (99 negatives).
 *   node --import tsx bench/quality.ts [--data-dir ../shared/datasets/ml-100k] [--model neumf|mf] [--seeds 0,1,2]
 *                                      [--epochs E] [--batch 256] [--anchor]
 * Defaults follow the issue: NeuMF (GMF 8 + MLP [64,32,16,8]) 10 epochs; MF (32 factors, weight decay 1e-6 on
 * every weight as in the anchor) 20 epochs. --anchor also runs the anchor once (its seed is fixed at 0).
 * Prints one JSON object (per-seed metrics, their mean, and the anchor's summary line when run).
 */
import * as path from "path";
import { spawnSync } from "child_process";
import { initBackend } from "../lib/backend";
import { loadDataset, leaveOneOut, sampledCandidates } from "../lib/data";
import { evaluateFullRanking, evaluateSampled } from "../lib/eval";
import { MF, NeuMF } from "../lib/models";
import { fit, implicitBatches } from "../lib/train";
import { Rng } from "../lib/random";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function main() {
  const info = await initBackend();
  const dataDir = path.resolve(arg("data-dir", path.join(__dirname, "../../shared/datasets/ml-100k")));
  const kind = arg("model", "neumf");
  const seeds = arg("seeds", "0,1,2").split(",").map(Number);
  const epochs = Number(arg("epochs", kind === "mf" ? "20" : "10"));
  const batchSize = Number(arg("batch", "256"));
  const data = await loadDataset("ml-100k", { dataDir, download: false, progress: false });
  const all = data.interactions.toImplicit();
  const split = leaveOneOut(all);
  const runs: {
    seed: number;
    hr10_full: number;
    ndcg10_full: number;
    hr10_sampled: number;
    ndcg10_sampled: number;
    lastTrainLoss: number;
    trainSeconds: number;
    trainExamplesPerSecond: number;
    wallSeconds: number;
  }[] = [];
  for (const seed of seeds) {
    const common = { numUsers: all.numUsers, numItems: all.numItems, seed };
    const model = kind === "mf" ? new MF({ ...common, factors: 32, embeddingL2: 1e-6, denseL2: 1e-6 }) : new NeuMF({ ...common, factors: 8, layers: [64, 32, 16, 8] });
    const t0 = performance.now();
    const history = await fit(model, implicitBatches(split.train, { negatives: 4, batchSize }), {
      epochs,
      optimizer: { name: "adam", learningRate: 1e-3 },
      progress: process.stderr.isTTY === true,
    });
    const trainSeconds = history.epochs.reduce((s, e) => s + e.trainSeconds, 0);
    const full = await evaluateFullRanking(model, split.test, { train: split.train, k: 10 });
    const negatives = sampledCandidates(split.train, split.test, { numNegatives: 99, rng: new Rng(seed) });
    const sampled = await evaluateSampled(model, split.test, { negatives, k: 10 });
    runs.push({
      seed,
      hr10_full: full.metrics.hr,
      ndcg10_full: full.metrics.ndcg,
      hr10_sampled: sampled.metrics.hr,
      ndcg10_sampled: sampled.metrics.ndcg,
      lastTrainLoss: history.epochs[history.epochs.length - 1]!.trainLoss,
      trainSeconds: Math.round(trainSeconds * 10) / 10,
      trainExamplesPerSecond: Math.round(history.epochs.reduce((s, e) => s + e.examples, 0) / trainSeconds),
      wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
    });
    process.stderr.write(JSON.stringify(runs[runs.length - 1]) + "\n");
    model.dispose();
  }
  const mean = (k: keyof (typeof runs)[number]) => Math.round((runs.reduce((s, r) => s + r[k], 0) / runs.length) * 1e4) / 1e4;
  let anchor: unknown = "not run (pass --anchor)";
  if (process.argv.includes("--anchor")) {
    const script = path.join(__dirname, "../../shared/anchors/ncf_torch.py");
    const r = spawnSync("/usr/bin/python3", [script, path.join(dataDir, "u.data"), kind, String(epochs), String(batchSize)], { encoding: "utf8" });
    anchor = r.status === 0 ? JSON.parse(r.stdout.trim().split("\n").pop()!) : { error: r.stderr.trim().split("\n").pop() };
  }
  const out = {
    bench: "quality",
    backend: info.backend,
    model: kind,
    epochs,
    batchSize,
    protocol: "leave-one-out (latest), 4 negatives/positive resampled per epoch, Adam 1e-3, BCE; full ranking and sampled (99 negatives)",
    runs,
    mean: { hr10_full: mean("hr10_full"), ndcg10_full: mean("ndcg10_full"), hr10_sampled: mean("hr10_sampled"), ndcg10_sampled: mean("ndcg10_sampled") },
    anchor,
  };
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + "\n");
  process.exit(1);
});
