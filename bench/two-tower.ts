/**
 * Two-Tower quality and speed beside the PyTorch reference (../shared/anchors/two_tower_torch.py) on MovieLens-100K,
 * in one run: the same features, towers, loss (in-batch softmax, logQ, accidental hits removed, temperature 0.05),
 * leave-one-out split and full-ranking HR@10 / NDCG@10, per seed, plus the cold-start figure (item vectors from
 * features alone) and training examples/s of both.
 *
 *   node --import tsx bench/two-tower.ts [--data-dir ../shared/datasets/ml-100k] [--seeds 0,1,2] [--epochs 10]
 *                                         [--batch 512] [--threads 1] [--no-anchor]
 *
 * The kit's side is exactly `recsys-lab train --model two-tower` (trainAndEvaluate). Seeds alternate kit / anchor
 * so both see the machine's load of the moment. Prints one JSON object: per-seed figures, means and spreads.
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { initBackend } from "../lib/backend";
import { loadDataset } from "../lib/data";
import { trainAndEvaluate } from "../lib/experiments/train-and-evaluate";
import { arg } from "./args";

const ANCHOR = path.join(__dirname, "../../shared/anchors/two_tower_torch.py");


interface Figures {
  seed: number;
  hr10_full: number;
  ndcg10_full: number;
  cold_hr10: number;
  cold_ndcg10: number;
  ex_per_s: number;
}

function runAnchor(dataDir: string, epochs: number, batch: number, threads: number, seed: number): Figures | { seed: number; error: string } {
  const r = spawnSync("/usr/bin/python3", [ANCHOR, dataDir, String(epochs), String(batch), String(threads), String(seed)], { encoding: "utf8" });
  if (r.status !== 0) return { seed, error: r.stderr.trim().split("\n").pop() ?? `exit ${r.status}` };
  const s = JSON.parse(r.stdout.trim().split("\n").pop()!);
  return { seed, hr10_full: s.hr10_full, ndcg10_full: s.ndcg10_full, cold_hr10: s.cold_item_tower_hr10, cold_ndcg10: s.cold_item_tower_ndcg10, ex_per_s: s.train_ex_per_s };
}

function summary(runs: Figures[]): Record<string, { mean: number; sd: number; min: number; max: number }> {
  const keys = ["hr10_full", "ndcg10_full", "cold_hr10", "cold_ndcg10", "ex_per_s"] as const;
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  return Object.fromEntries(
    keys.map((k) => {
      const v = runs.map((x) => x[k]);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
      return [k, { mean: r4(mean), sd: r4(sd), min: r4(Math.min(...v)), max: r4(Math.max(...v)) }];
    }),
  );
}

async function main() {
  const info = await initBackend();
  const dataDir = path.resolve(arg("data-dir", path.join(__dirname, "../../shared/datasets/ml-100k")));
  const seeds = arg("seeds", "0,1,2").split(",").map(Number);
  const epochs = Number(arg("epochs", "10"));
  const batch = Number(arg("batch", "512"));
  const threads = Number(arg("threads", "1"));
  const dataset = await loadDataset("ml-100k", { dataDir, download: false, progress: false });
  const withAnchor = !process.argv.includes("--no-anchor") && fs.existsSync(ANCHOR) && spawnSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" }).status === 0;

  const kit: Figures[] = [];
  const anchor: (Figures | { seed: number; error: string })[] = [];
  for (const seed of seeds) {
    const r = await trainAndEvaluate(dataset, { model: "two-tower", epochs, batchSize: batch, seed, progress: process.stderr.isTTY === true });
    kit.push({
      seed,
      hr10_full: r.test.full!.hr,
      ndcg10_full: r.test.full!.ndcg,
      cold_hr10: r.test.coldStart!.hr,
      cold_ndcg10: r.test.coldStart!.ndcg,
      ex_per_s: Math.round(r.examplesPerSecond),
    });
    process.stderr.write(`kit    ${JSON.stringify(kit[kit.length - 1])}\n`);
    r.model.dispose();
    if (withAnchor) {
      anchor.push(runAnchor(dataDir, epochs, batch, threads, seed));
      process.stderr.write(`anchor ${JSON.stringify(anchor[anchor.length - 1])}\n`);
    }
  }
  const ok = anchor.filter((a): a is Figures => !("error" in a));
  const kitSummary = summary(kit);
  const anchorSummary = ok.length ? summary(ok) : undefined;
  process.stdout.write(
    JSON.stringify(
      {
        bench: "two-tower",
        backend: info.backend,
        epochs,
        batch,
        anchorThreads: threads,
        protocol: "leave-one-out (latest), in-batch softmax with logQ and accidental hits removed, temperature 0.05, Adam 3e-3; full ranking, training items masked",
        kit: { runs: kit, summary: kitSummary },
        anchor: anchorSummary ? { runs: anchor, summary: anchorSummary } : withAnchor ? { runs: anchor } : "not run (no /usr/bin/python3 with torch, or --no-anchor)",
        kitMinusAnchor: anchorSummary
          ? Object.fromEntries(Object.keys(kitSummary).map((k) => [k, Math.round((kitSummary[k]!.mean - anchorSummary[k]!.mean) * 1e4) / 1e4]))
          : undefined,
        speedRatio: anchorSummary ? Math.round((kitSummary.ex_per_s!.mean / anchorSummary.ex_per_s!.mean) * 100) / 100 : undefined,
      },
      null,
      1,
    ) + "\n",
  );
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + "\n");
  process.exit(1);
});
