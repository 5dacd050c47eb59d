/**
 * Retrieval indexes measured side by side: for clustered item vectors (a mixture of Gaussians, as trained
 * embeddings look) of dimension 64 at 10K, 100K and 1M items, and for a Two-Tower's MovieLens-100K item vectors:
 * build time, memory, single-query and batched queries/s, and recall@10 against the exact top-k, for every index
 * kind available here and several search widths. Prints one JSON object; progress on stderr.
 *
 *   node --import tsx bench/retrieval.ts [--sizes 10000,100000,1000000] [--queries 1000] [--kinds exact,faiss-flat,...]
 *                                        [--max-seconds 600] [--no-movielens]   (--sizes none: MovieLens only)
 *
 * Search widths are changed by saving the index and reopening it with the new setting (loadIndex overrides): the
 * one way that works for every kind. Builds that would take
 * longer than --max-seconds (judged from the 100K build) are skipped and reported as such.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../lib/backend";
import { loadDataset } from "../lib/data";
import { trainAndEvaluate } from "../lib/experiments/train-and-evaluate";
import { createIndex, describeIndexKinds, loadIndex, type VectorIndex } from "../lib/retrieval";
import { TwoTower } from "../lib/models";
import { Rng } from "../lib/random";
import { arg, flag } from "./args";

/** Each kind's build settings and the search widths tried (reopen overrides). */
const PLAN: Record<string, { build: (n: number) => Record<string, unknown>; widths: Record<string, unknown>[] }> = {
  exact: { build: () => ({}), widths: [{}] },
  "faiss-flat": { build: () => ({}), widths: [{}] },
  "faiss-ivf": { build: () => ({}), widths: [{ nprobe: 1 }, { nprobe: 8 }, { nprobe: 32 }, { nprobe: 128 }] },
  "faiss-hnsw": { build: () => ({ M: 32 }), widths: [{ efSearch: 16 }, { efSearch: 64 }, { efSearch: 128 }, { efSearch: 256 }] },
  hnswlib: { build: () => ({}), widths: [{ efSearch: 16 }, { efSearch: 32 }, { efSearch: 64 }, { efSearch: 128 }, { efSearch: 256 }] },
  pgvector: { build: () => ({}), widths: [{ efSearch: 40 }, { efSearch: 100 }, { efSearch: 200 }] },
};

/** n vectors from `clusters` Gaussian clusters (distinct with probability 1: no duplicate rows). */
function clustered(n: number, dim: number, rng: Rng, centres: Float32Array, clusters: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(clusters);
    for (let d = 0; d < dim; d++) out[i * dim + d] = centres[c * dim + d]! + 0.35 * rng.normal();
  }
  return out;
}

function recall(got: Int32Array, want: Int32Array, k: number): number {
  let hits = 0;
  let total = 0;
  for (let q = 0; q < want.length / k; q++) {
    const mine = new Set(Array.from(got.subarray(q * k, (q + 1) * k)));
    for (const id of want.subarray(q * k, (q + 1) * k)) {
      if (id < 0) continue;
      total++;
      if (mine.has(id)) hits++;
    }
  }
  return total ? hits / total : 1;
}

async function timeQueries(index: VectorIndex, queries: Float32Array, dim: number, k: number, single: number) {
  const t0 = performance.now();
  const batched = await index.search(queries, k);
  const batchedQps = queries.length / dim / ((performance.now() - t0) / 1000);
  const t1 = performance.now();
  for (let q = 0; q < single; q++) await index.search(queries.subarray(q * dim, (q + 1) * dim), k);
  const singleQps = single / ((performance.now() - t1) / 1000);
  return { batched, batchedQps, singleQps };
}

const rss = () => process.memoryUsage().rss;

async function measure(kind: string, ids: Int32Array, items: Float32Array, queries: Float32Array, dim: number, truth: Int32Array, work: string, log: (s: string) => void) {
  const k = 10;
  const plan = PLAN[kind] ?? { build: () => ({}), widths: [{}] };
  const before = rss();
  const t0 = performance.now();
  const index = await createIndex(kind, { dim, ...plan.build(ids.length) });
  await index.add(ids, items);
  await index.search(queries.subarray(0, dim), k); // finishes lazy builds (training, graphs)
  const buildSeconds = (performance.now() - t0) / 1000;
  // Growth of resident memory over the build: a rough figure (the collector may return memory meanwhile), so
  // clamped at 0; the raw vectors alone take rawMB.
  const rssGrowthMB = Math.max(0, Math.round((rss() - before) / 2 ** 20));
  const rawMB = Math.round((items.byteLength / 2 ** 20) * 10) / 10;
  const rows: Record<string, unknown>[] = [];
  const dir = path.join(work, kind);
  if (plan.widths.length > 1) await index.save(dir);
  for (const width of plan.widths) {
    const idx = plan.widths.length > 1 ? await loadIndex(dir, width) : index;
    const single = Math.min(200, queries.length / dim);
    const { batched, batchedQps, singleQps } = await timeQueries(idx, queries, dim, k, single);
    const row = { ...width, recallAt10: Math.round(recall(batched.ids, truth, k) * 1000) / 1000, batchedQps: Math.round(batchedQps), singleQps: Math.round(singleQps) };
    log(`  ${kind} ${JSON.stringify(width)}: ${JSON.stringify(row)}`);
    rows.push(row);
    if (idx !== index) await idx.close();
  }
  await index.close();
  return { kind, exact: index.isExact, settings: plan.build(ids.length), buildSeconds: Math.round(buildSeconds * 100) / 100, rssGrowthMB, rawMB, searches: rows };
}

async function main() {
  const info = await initBackend();
  const log = (s: string) => process.stderr.write(s + "\n");
  const sizes = arg("sizes", "10000,100000,1000000").split(",").filter((s) => s !== "none").map(Number); // --sizes none: MovieLens only
  const numQueries = Number(arg("queries", "1000"));
  const maxSeconds = Number(arg("max-seconds", "600"));
  const available = describeIndexKinds().filter((k) => k.status === "available").map((k) => k.kind);
  const kinds = arg("kinds", available.join(",")).split(",").filter((k) => available.includes(k));
  const dim = 64;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-retrieval-"));
  const results: Record<string, unknown>[] = [];
  const buildRate: Record<string, number> = {}; // seconds per item, from the largest build so far
  try {
    for (const n of sizes) {
      const rng = new Rng(n);
      const clusters = Math.max(20, Math.round(Math.sqrt(n)));
      const centres = Float32Array.from({ length: clusters * dim }, () => rng.normal());
      const items = clustered(n, dim, rng, centres, clusters);
      const queries = clustered(numQueries, dim, rng, centres, clusters);
      const ids = Int32Array.from({ length: n }, (_, i) => i);
      log(`${n} x ${dim}: exact top-10 of ${numQueries} queries ...`);
      const exact = await createIndex("exact", { dim });
      await exact.add(ids, items);
      const truth = (await exact.search(queries, 10)).ids;
      await exact.close();
      const rows = [];
      for (const kind of kinds) {
        const projected = (buildRate[kind] ?? 0) * n;
        if (projected > maxSeconds) {
          rows.push({ kind, skipped: `projected build ${Math.round(projected)} s > --max-seconds ${maxSeconds}` });
          log(`  ${kind}: skipped (projected build ${Math.round(projected)} s)`);
          continue;
        }
        try {
          const r = await measure(kind, ids, items, queries, dim, truth, work, log);
          buildRate[kind] = r.buildSeconds / n;
          rows.push(r);
        } catch (err) {
          rows.push({ kind, error: (err as Error).message });
          log(`  ${kind}: ${(err as Error).message}`);
        }
      }
      results.push({ items: n, dim, queries: numQueries, clusters, indexes: rows });
    }
    if (!flag("no-movielens")) {
      const dataDir = path.resolve(arg("data-dir", path.join(__dirname, "../../shared/datasets/ml-100k")));
      if (fs.existsSync(path.join(dataDir, "u.data"))) {
        log("MovieLens-100K: a Two-Tower trained 3 epochs, its 1682 item vectors, its 943 users' vectors as queries ...");
        const ds = await loadDataset("ml-100k", { dataDir, download: false, progress: false });
        const run = await trainAndEvaluate(ds, { model: "two-tower", epochs: 3, progress: false });
        const model = run.model as TwoTower;
        const items = model.itemVectors();
        const queries = model.userVectors();
        const d = model.getConfig().dim;
        const ids = Int32Array.from({ length: model.numItems }, (_, i) => i);
        const exact = await createIndex("exact", { dim: d });
        await exact.add(ids, items);
        const truth = (await exact.search(queries, 10)).ids;
        await exact.close();
        const rows = [];
        for (const kind of kinds) rows.push(await measure(kind, ids, items, queries, d, truth, work, log).catch((err: Error) => ({ kind, error: err.message })));
        results.push({ items: model.numItems, dim: d, queries: model.numUsers, source: "Two-Tower item vectors, MovieLens-100K", indexes: rows });
        model.dispose();
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify({ bench: "retrieval", backend: info.backend, cpus: os.cpus().length, results }, null, 1) + "\n");
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + "\n");
  process.exit(1);
});
