/**
 * Notebook 04 (Two-Tower + FAISS): the measurements it makes more than once, kept out of its cells.
 *
 *   const { train, newItems } = holdOutItems(all, (i) => i % 20 === 0);        // items never seen in training
 *   const points = await sweepIndex("hnswlib", { items, dim, exact, queries, width: "efSearch", values: [8, 16, 64] });
 *   const recs = await recommendLive(model, index, catalog, user, 10);          // user tower -> search -> titles
 *   const aud = audienceHits(model, all, newItems, 50);                         // cold start: who gets a new item
 *
 * Latency is measured as a served request feels it: one query at a time (not batched), wall clock, the median.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Interactions } from "../data/interactions";
import type { FeatureTable } from "../data/features";
import type { TwoTower } from "../models/two-tower/model";
import { createIndex, loadIndex } from "../retrieval/registry";
import { indexRecall } from "../retrieval/evaluate";
import type { VectorIndex } from "../retrieval/vector-index";
import type { Catalog } from "../serving/catalog";

/** Split off every row of the items `isNew` picks: they become items the model never trains on (cold start). */
export function holdOutItems(all: Interactions, isNew: (item: number) => boolean): { train: Interactions; newItems: Int32Array } {
  const newItems = Int32Array.from({ length: all.numItems }, (_, i) => i).filter((i) => isNew(i));
  if (newItems.length === 0 || newItems.length === all.numItems) throw new Error(`holdOutItems: isNew picks ${newItems.length} of ${all.numItems} items; pick some but not all`);
  const rows = Int32Array.from({ length: all.length }, (_, r) => r).filter((r) => !isNew(all.items[r]!));
  return { train: all.select(rows), newItems };
}

/** One measured setting of an index: recall@k against exact search and the median milliseconds of a single query. */
export interface IndexMeasurement {
  kind: string;
  /** The search width, e.g. "efSearch 64" (empty for kinds without one). */
  width: string;
  recall: number;
  msPerQuery: number;
  queriesPerSecond: number;
  /** Seconds to create the index and add every item (the same for every width of one build). */
  buildSeconds: number;
  isExact: boolean;
  /**
   * Share of the recall queries the index answered by an exact scan because its search came back short of k
   * (VectorIndex.exactFallbacks; null for kinds that never do). Those queries raise the setting's recall and latency.
   */
  exactShare: number | null;
}

/**
 * recall@k of `index` against `exact` on `queries`, and its latency: the median wall-clock time of single queries
 * (the first `latencyQueries`, one at a time, after one warm-up query).
 */
export async function measureIndex(index: VectorIndex, exact: VectorIndex, queries: Float32Array, options: { k?: number; latencyQueries?: number } = {}): Promise<{ recall: number; msPerQuery: number; exactShare: number | null }> {
  const k = options.k ?? 10;
  const dim = index.dim;
  const n = Math.min(queries.length / dim, options.latencyQueries ?? 200);
  if (n < 1) throw new Error("measureIndex: no queries");
  const fallbacksBefore = index.exactFallbacks;
  const recall = await indexRecall(index, exact, queries, k);
  const exactShare = fallbacksBefore === undefined ? null : (index.exactFallbacks! - fallbacksBefore) / (queries.length / dim);
  await index.search(queries.subarray(0, dim), k); // warm up (first-call costs are not latency)
  const times = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const t0 = performance.now();
    await index.search(queries.subarray(q * dim, (q + 1) * dim), k);
    times[q] = performance.now() - t0;
  }
  times.sort();
  // The median: on a shared machine a few queries wait for the CPU; the median is what a query typically costs.
  const median = n % 2 ? times[(n - 1) / 2]! : (times[n / 2 - 1]! + times[n / 2]!) / 2;
  return { recall, msPerQuery: median, exactShare };
}

export interface SweepOptions {
  /** Item vectors [numItems x dim]; the index ids are the item indices. */
  items: Float32Array;
  dim: number;
  /** The exact index over the same items (the reference of recall). */
  exact: VectorIndex;
  /** The real users' vectors [n x dim]: recall is measured on the queries the index will serve. */
  queries: Float32Array;
  /** Settings of the build (e.g. { M: 16 }). */
  build?: Record<string, unknown>;
  /** The search-width setting to vary ("efSearch", "nprobe") and its values; none: measure the build as it is. */
  width?: string;
  values?: readonly number[];
  k?: number;
  latencyQueries?: number;
}

/**
 * Build one index of `kind` over the items, save it, and reopen it once per search width with
 * `loadIndex(dir, { [width]: value })` (the graph or the cells are built once). With a single width, the index is
 * built with it and measured directly. Returns one measurement per width.
 */
export async function sweepIndex(kind: string, o: SweepOptions): Promise<IndexMeasurement[]> {
  const ids = Int32Array.from({ length: o.items.length / o.dim }, (_, i) => i);
  const t0 = performance.now();
  // One width: build with it (reopening is not free: PGlite restores its whole database).
  const single = o.width && o.values?.length === 1 ? { [o.width]: o.values[0] } : {};
  const index = await createIndex(kind, { dim: o.dim, ...(o.build ?? {}), ...single });
  await index.add(ids, o.items);
  const buildSeconds = (performance.now() - t0) / 1000;
  const out: IndexMeasurement[] = [];
  const add = (ix: VectorIndex, width: string, m: { recall: number; msPerQuery: number; exactShare: number | null }) =>
    out.push({ kind, width, recall: m.recall, msPerQuery: m.msPerQuery, queriesPerSecond: 1000 / m.msPerQuery, buildSeconds, isExact: ix.isExact, exactShare: m.exactShare });
  const measure = { k: o.k, latencyQueries: o.latencyQueries };
  if (!o.width || !o.values?.length || o.values.length === 1) {
    add(index, o.width && o.values?.length ? `${o.width} ${o.values[0]}` : "", await measureIndex(index, o.exact, o.queries, measure));
    await index.close();
    return out;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `recsys-${kind}-`));
  try {
    await index.save(dir);
    await index.close();
    for (const value of o.values) {
      const reopened = await loadIndex(dir, { [o.width]: value });
      try {
        add(reopened, `${o.width} ${value}`, await measureIndex(reopened, o.exact, o.queries, measure));
      } finally {
        await reopened.close();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** recall@k against `exact` of the index saved in `dir`, reopened with `overrides` (e.g. { efSearch: 16 }). */
export async function recallAt(dir: string, overrides: Record<string, unknown>, exact: VectorIndex, queries: Float32Array, k = 10): Promise<number> {
  const index = await loadIndex(dir, overrides);
  try {
    return await indexRecall(index, exact, queries, k);
  } finally {
    await index.close();
  }
}

/** Share of queries whose top-k id set from `a` equals the one from `b` (1: they agree on every query). */
export async function sameTopK(a: VectorIndex, b: VectorIndex, queries: Float32Array, k = 10): Promise<number> {
  const [x, y] = await Promise.all([a.search(queries, k), b.search(queries, k)]);
  const n = x.ids.length / k;
  let same = 0;
  for (let q = 0; q < n; q++) {
    const s = new Set(Array.from(x.ids.subarray(q * k, (q + 1) * k)));
    if (Array.from(y.ids.subarray(q * k, (q + 1) * k)).every((id) => s.has(id))) same++;
  }
  return n ? same / n : 1;
}

/** A short description of row `row` of a feature table, e.g. "age 23, occupation student" or "genres Drama|War, year 1994". */
export function describeRow(table: FeatureTable | undefined, row: number, columns?: readonly string[]): string {
  if (!table) return "";
  const names = columns ?? Object.keys(table.columns);
  return names
    .filter((n) => table.columns[n])
    .map((n) => {
      const c = table.columns[n]!;
      switch (c.kind) {
        case "numeric":
          return `${n} ${c.values[row]}`;
        case "categorical":
          return `${n} ${c.vocabulary[c.codes[row]!]}`;
        case "set":
          return `${n} ${Array.from(c.indices.subarray(c.indptr[row]!, c.indptr[row + 1]!), (v) => c.vocabulary[v]).join("|")}`;
        case "text":
          return `${n} ${c.values[row]}`;
      }
    })
    .join(", ");
}

export interface LiveRecommendation {
  rank: number;
  /** The item's index (the model's and the index's id). */
  index: number;
  item: string;
  title: string;
  score: number;
}

/**
 * Serve one user (by index) as `recsys-lab recommend` does: the user tower runs now, the index searches with the
 * user's seen items (catalog.seen) excluded, and ids become raw ids and titles. Also returns the seen items.
 */
export async function recommendLive(model: TwoTower, index: VectorIndex, catalog: Catalog, user: number, k = 10): Promise<{ items: LiveRecommendation[]; seen: Int32Array; ms: number }> {
  const seen = catalog.seen.items.subarray(catalog.seen.indptr[user]!, catalog.seen.indptr[user + 1]!);
  const t0 = performance.now();
  const query = model.userVectors(Int32Array.of(user));
  const found = await index.search(query, k, { exclude: [seen] });
  const ms = performance.now() - t0;
  const items: LiveRecommendation[] = [];
  for (let r = 0; r < k && found.ids[r]! >= 0; r++) {
    const i = found.ids[r]!;
    items.push({ rank: r + 1, index: i, item: catalog.itemIds[i]!, title: catalog.titles?.[i] ?? "", score: found.scores[r]! });
  }
  return { items, seen, ms };
}

/** The users a model would show item `item` to first: every user's vector scored against the item's feature-only vector. */
export function audienceOf(model: TwoTower, item: number, k: number): { users: Int32Array; scores: Float32Array } {
  const v = model.itemVectors(Int32Array.of(item), { featuresOnly: true });
  const u = model.userVectors();
  const dim = v.length;
  const n = u.length / dim;
  const score = new Float32Array(n);
  for (let x = 0; x < n; x++) {
    let s = 0;
    for (let c = 0; c < dim; c++) s += u[x * dim + c]! * v[c]!;
    score[x] = s;
  }
  const order = Int32Array.from({ length: n }, (_, x) => x).sort((a, b) => score[b]! - score[a]! || a - b);
  const users = order.slice(0, Math.min(k, n));
  return { users, scores: Float32Array.from(users, (x) => score[x]!) };
}

/**
 * Cold start, measured: for each new item, the share of its top-k audience (audienceOf) who really interacted with it
 * in `all`, against the share of all users who did (what k random users would give). lift = hitRate / baseRate.
 */
export function audienceHits(model: TwoTower, all: Interactions, newItems: Int32Array, k: number): { hitRate: number; baseRate: number; lift: number } {
  const wanted = new Set(Array.from(newItems));
  const fansOf = new Map<number, Set<number>>();
  for (let r = 0; r < all.length; r++) {
    const i = all.items[r]!;
    if (!wanted.has(i)) continue;
    if (!fansOf.has(i)) fansOf.set(i, new Set());
    fansOf.get(i)!.add(all.users[r]!);
  }
  let hits = 0;
  let shown = 0;
  let base = 0;
  for (const item of newItems) {
    const fans = fansOf.get(item) ?? new Set<number>();
    const { users } = audienceOf(model, item, k);
    for (const u of users) if (fans.has(u)) hits++;
    shown += users.length;
    base += fans.size / all.numUsers;
  }
  const hitRate = hits / shown;
  const baseRate = base / newItems.length;
  return { hitRate, baseRate, lift: baseRate > 0 ? hitRate / baseRate : NaN };
}
