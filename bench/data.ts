/**
 * Data-layer benchmark; prints one JSON object.
 *   - loading MovieLens-100K (u.data + u.user + u.item) from RECSYS_ML100K_DIR or ../shared/datasets/ml-100k
 *     (target: under 1 s), first call (cold, as a user sees it) and the median of 5 warm calls;
 *   - drawing 4 negatives per positive for a 1M-interaction dataset shaped like MovieLens-1M (6040 users x 3706
 *     items, power-law popularity), uniform and popularity-weighted, with exact exclusion (target: under 3 s);
 *   - one epoch of shuffled batches (1M positives + 4M negatives, batch 1024) and the default synthetic world.
 * Run: node --import tsx bench/data.ts
 */
import * as fs from "fs";
import * as path from "path";
import { epochBatches } from "../lib/data/batches";
import { Interactions } from "../lib/data/interactions";
import { loadDataset } from "../lib/data/load";
import { NegativeSampler } from "../lib/data/sampling";
import { generateSynthetic } from "../lib/data/synthetic";
import { Rng } from "../lib/random";

const seconds = (t0: number) => Number(((performance.now() - t0) / 1000).toFixed(4));

function timeIt<T>(fn: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, seconds: seconds(t0) };
}

/** 1M interactions over 6040 users x 3706 items: Zipf item popularity, log-normal user activity, no duplicates. */
function movieLens1mShaped(rng: Rng): Interactions {
  const numUsers = 6040;
  const numItems = 3706;
  const target = 1_000_000;
  const cumulative = new Float64Array(numItems);
  let total = 0;
  for (let i = 0; i < numItems; i++) cumulative[i] = total += 1 / Math.pow(i + 1, 0.9);
  const activity = Float64Array.from({ length: numUsers }, () => Math.exp(rng.normal()));
  const scale = target / activity.reduce((s, a) => s + a, 0);
  const cap = Math.floor(numItems * 0.6);
  const counts = Int32Array.from(activity, (a) => Math.max(1, Math.min(cap, Math.round(a * scale))));
  // Exactly `target` in all: spread the rounding and capping difference one by one.
  let diff = target - counts.reduce((s, c) => s + c, 0);
  for (let u = 0; diff !== 0; u = (u + 1) % numUsers) {
    if (diff > 0 && counts[u]! < cap) (counts[u]!++, diff--);
    else if (diff < 0 && counts[u]! > 1) (counts[u]!--, diff++);
  }
  const users: number[] = [];
  const items: number[] = [];
  const seen = new Set<number>();
  for (let u = 0; u < numUsers; u++) {
    const n = counts[u]!;
    seen.clear();
    while (seen.size < n) {
      const x = rng.next() * total;
      let lo = 0;
      let hi = numItems - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      if (!seen.has(lo)) {
        seen.add(lo);
        users.push(u);
        items.push(lo);
      }
    }
  }
  return new Interactions({ users: Int32Array.from(users), items: Int32Array.from(items), numUsers, numItems });
}

async function main(): Promise<void> {
  const result: Record<string, unknown> = { bench: "data", node: process.version };

  const dir = process.env.RECSYS_ML100K_DIR ?? path.join(__dirname, "..", "..", "shared", "datasets", "ml-100k");
  if (fs.existsSync(path.join(dir, "u.data"))) {
    const load = async () => {
      const t0 = performance.now();
      const d = await loadDataset("ml-100k", { dataDir: dir, download: false });
      return { d, s: seconds(t0) };
    };
    const first = await load();
    const warm: number[] = [];
    for (let k = 0; k < 5; k++) warm.push((await load()).s);
    warm.sort((a, b) => a - b);
    result.ml100k = {
      dir,
      interactions: first.d.interactions.length,
      loadSecondsFirst: first.s,
      loadSecondsWarmMedian: warm[2],
      targetSeconds: 1,
      withinTarget: first.s < 1,
    };
  } else {
    result.ml100k = { skipped: `no u.data in ${dir}; set RECSYS_ML100K_DIR` };
  }

  const rng = new Rng(1);
  const built = timeIt(() => movieLens1mShaped(rng.derive("data")));
  const data = built.value;
  const negatives: Record<string, unknown> = { interactions: data.length, users: data.numUsers, items: data.numItems, perPositive: 4, targetSeconds: 3 };
  for (const distribution of ["uniform", "popularity"] as const) {
    const sampler = timeIt(() => new NegativeSampler(data, { distribution }));
    const draw = timeIt(() => sampler.value.sample(data.users, 4, rng.derive(distribution)));
    negatives[distribution] = {
      samplerBuildSeconds: sampler.seconds,
      drawSeconds: draw.seconds,
      totalSeconds: Number((sampler.seconds + draw.seconds).toFixed(4)),
      negativesDrawn: draw.value.length,
      withinTarget: sampler.seconds + draw.seconds < 3,
    };
  }
  result.negatives = negatives;

  const sampler = new NegativeSampler(data);
  const epoch = timeIt(() => {
    let examples = 0;
    let batches = 0;
    for (const b of epochBatches(data, { negatives: 4, batchSize: 1024, sampler, rng: rng.derive("epoch 0") })) {
      examples += b.users.length;
      batches++;
    }
    return { examples, batches };
  });
  result.epochBatches = { ...epoch.value, batchSize: 1024, seconds: epoch.seconds };

  const synthetic = timeIt(() => generateSynthetic());
  result.syntheticDefault = { interactions: synthetic.value.interactions.length, seconds: synthetic.seconds };

  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
