/**
 * Quality against the PyTorch anchor (../shared/anchors/ncf_torch.py) on MovieLens-100K, NCF protocol, in one run:
 * leave-one-out by timestamp, every rating an implicit positive, 4 uniform negatives per positive resampled each
 * epoch, Adam 1e-3, BCE; HR@10 and NDCG@10 with full ranking (training items masked) and sampled (99 negatives).
 *
 *   node --import tsx bench/quality.ts [--data-dir ../shared/datasets/ml-100k] [--model neumf|mf] [--seeds 0,1,2]
 *                                      [--epochs E] [--batch 256] [--no-anchor]
 *
 * The kit's side is exactly `recsys-lab train` (trainAndEvaluate). Defaults follow the issue: NeuMF (GMF 8 + MLP
 * [64,32,16,8]) 10 epochs; MF (32 factors, weight decay 1e-6 on every weight, as the anchor) 20 epochs. The anchor
 * fixes its seeds at 0; to compare means over the same seeds it is run from a temporary copy whose seed lines are
 * set to each seed (nothing else changes; the copy is deleted). Prints one JSON object: per-seed figures, means.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { initBackend } from "../lib/backend";
import { loadDataset } from "../lib/data";
import { trainAndEvaluate, type ModelName } from "../lib/experiments/train-and-evaluate";
import { arg } from "./args";

const ANCHOR = path.join(__dirname, "../../shared/anchors/ncf_torch.py");


interface Figures {
  seed: number;
  hr10_full: number;
  ndcg10_full: number;
  hr10_sampled: number;
  ndcg10_sampled: number;
  ex_per_s?: number;
}

/** The anchor with its seeds set to `seed` (a temporary copy; the anchor's own file is not touched). */
function runAnchor(uData: string, model: string, epochs: number, batch: number, seed: number): Figures | { seed: number; error: string } {
  const source = fs.readFileSync(ANCHOR, "utf8");
  const seeded = source
    .replace("torch.manual_seed(0); np.random.seed(0); random.seed(0)", `torch.manual_seed(${seed}); np.random.seed(${seed}); random.seed(${seed})`)
    .replace("rng = np.random.default_rng(0)", `rng = np.random.default_rng(${seed})`);
  if (seed !== 0 && seeded === source) return { seed, error: "could not find the anchor's seed lines" };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anchor-"));
  const file = path.join(dir, "ncf_torch.py");
  fs.writeFileSync(file, seeded);
  try {
    const r = spawnSync("/usr/bin/python3", [file, uData, model, String(epochs), String(batch)], { encoding: "utf8" });
    if (r.status !== 0) return { seed, error: r.stderr.trim().split("\n").pop() ?? `exit ${r.status}` };
    const s = JSON.parse(r.stdout.trim().split("\n").pop()!);
    return { seed, hr10_full: s.hr10_full, ndcg10_full: s.ndcg10_full, hr10_sampled: s.hr10_sampled, ndcg10_sampled: s.ndcg10_sampled, ex_per_s: s.train_ex_per_s };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function mean(runs: Figures[]): Omit<Figures, "seed"> {
  const avg = (k: keyof Figures) => Math.round((runs.reduce((s, r) => s + (r[k] ?? 0), 0) / runs.length) * 1e4) / 1e4;
  return { hr10_full: avg("hr10_full"), ndcg10_full: avg("ndcg10_full"), hr10_sampled: avg("hr10_sampled"), ndcg10_sampled: avg("ndcg10_sampled") };
}

async function main() {
  const info = await initBackend();
  const dataDir = path.resolve(arg("data-dir", path.join(__dirname, "../../shared/datasets/ml-100k")));
  const model = arg("model", "neumf") as ModelName;
  if (model !== "mf" && model !== "neumf") throw new Error(`--model must be mf or neumf (the anchor's models), got ${model}`);
  const seeds = arg("seeds", "0,1,2").split(",").map(Number);
  const epochs = Number(arg("epochs", model === "mf" ? "20" : "10"));
  const batch = Number(arg("batch", "256"));
  const dataset = await loadDataset("ml-100k", { dataDir, download: false, progress: false });
  const modelOptions = model === "mf" ? { factors: 32, embeddingL2: 1e-6, denseL2: 1e-6 } : { factors: 8, layers: [64, 32, 16, 8] };

  const kit: Figures[] = [];
  for (const seed of seeds) {
    const r = await trainAndEvaluate(dataset, { model, modelOptions, epochs, batchSize: batch, negatives: 4, seed, progress: process.stderr.isTTY === true });
    kit.push({
      seed,
      hr10_full: r.test.full!.hr,
      ndcg10_full: r.test.full!.ndcg,
      hr10_sampled: r.test.sampled!.hr,
      ndcg10_sampled: r.test.sampled!.ndcg,
      ex_per_s: Math.round(r.examplesPerSecond),
    });
    process.stderr.write(`kit    ${JSON.stringify(kit[kit.length - 1])}\n`);
    r.model.dispose();
  }

  const anchor: (Figures | { seed: number; error: string })[] = [];
  const hasTorch = spawnSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" }).status === 0;
  if (!process.argv.includes("--no-anchor") && hasTorch && fs.existsSync(ANCHOR)) {
    for (const seed of seeds) {
      anchor.push(runAnchor(path.join(dataDir, "u.data"), model, epochs, batch, seed));
      process.stderr.write(`anchor ${JSON.stringify(anchor[anchor.length - 1])}\n`);
    }
  }
  const anchorOk = anchor.filter((a): a is Figures => !("error" in a));
  const kitMean = mean(kit);
  const anchorMean = anchorOk.length ? mean(anchorOk) : undefined;
  process.stdout.write(
    JSON.stringify(
      {
        bench: "quality",
        backend: info.backend,
        model,
        epochs,
        batch,
        protocol: "leave-one-out (latest), 4 negatives/positive resampled per epoch, Adam 1e-3, BCE; full ranking (kit: pessimistic ties) and sampled (99 negatives)",
        kit: { runs: kit, mean: kitMean },
        anchor: anchorMean ? { runs: anchor, mean: anchorMean } : hasTorch ? { runs: anchor } : "not run (/usr/bin/python3 has no torch: apt-get install python3-torch)",
        kitMinusAnchor: anchorMean
          ? Object.fromEntries(Object.entries(kitMean).map(([k, v]) => [k, Math.round((v - anchorMean[k as keyof typeof anchorMean]!) * 1e4) / 1e4]))
          : undefined,
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
