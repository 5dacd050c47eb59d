/**
 * One interface for every top-k index over item vectors (as TensorFlow Recommenders' `layers.factorized_top_k`):
 * the exact built-in one, FAISS, HNSW and the PGlite + pgvector database all answer the same calls.
 *
 *   const index = await createIndex("exact", { dim: 32 });
 *   await index.add(itemIds, itemVectors);                         // ids: integers; vectors row-major [n x dim]
 *   const { ids, scores } = await index.search(userVectors, 10, { exclude: seenItemsPerUser });
 *   await index.save("indexes/ml-100k");                           // loadIndex(dir) reopens it
 *
 * The score is the inner product <query, item> (maximum inner product search); results come best first, `ids[q * k
 * + r]` for query q and rank r, with -1 and NaN padding when fewer than k items qualify. `isExact` says whether
 * results are the true top-k: evaluation trusts only exact indexes (metrics through an approximate one are
 * labelled so). Excluded ids (e.g. a user's seen items) never come back; approximate indexes search deeper to
 * make up for them.
 */

export interface SearchOptions {
  /** Per query, ids that must not be returned (e.g. the user's training items). null or missing: none. */
  exclude?: readonly (ArrayLike<number> | null | undefined)[];
}

export interface SearchResult {
  /** Row-major [queries x k]: the ids of the k best items per query, best first; -1 where fewer qualify. */
  ids: Int32Array;
  /** The inner products, same layout; NaN where ids is -1. */
  scores: Float32Array;
  k: number;
}

export interface VectorIndex {
  /** The registered kind ("exact", "faiss-flat", "hnswlib", "pgvector", ...). */
  readonly kind: string;
  readonly dim: number;
  /** True when search returns the exact top-k by inner product. */
  readonly isExact: boolean;
  /**
   * Approximate kinds that answer a query their search left short of k (small IVF cells, exclusions) by an exact
   * scan: how many queries they answered so. Such queries are exact and slower, so they lift recall and latency.
   */
  readonly exactFallbacks?: number;
  /** Number of items held. */
  size(): number;
  /** Add items: ids (distinct, not yet in the index; integers in [0, 2^31)) and their vectors [ids.length x dim]. */
  add(ids: ArrayLike<number>, vectors: Float32Array): Promise<void>;
  /** The k best items for each query ([queries x dim] row-major). */
  search(queries: Float32Array, k: number, options?: SearchOptions): Promise<SearchResult>;
  /** Remove items by id (ids not present are an error). */
  remove(ids: ArrayLike<number>): Promise<void>;
  /** Write the index into a folder (created or replaced); loadIndex(dir) reopens it. */
  save(dir: string): Promise<void>;
  /** Free native memory or connections. The index cannot be used afterwards. */
  close(): Promise<void>;
}

/** What every index writes as index.json beside its own files. */
export interface IndexManifest {
  format: "recsys-lab-index";
  version: 1;
  kind: string;
  dim: number;
  size: number;
  /** Kind-specific settings needed to reopen it (search width, database URL, ...). */
  settings: Record<string, unknown>;
}

/** Checks shared by every implementation; errors name the call and the fix. */
export function checkAdd(where: string, dim: number, ids: ArrayLike<number>, vectors: Float32Array, has: (id: number) => boolean): void {
  if (!(vectors instanceof Float32Array)) throw new Error(`${where}: vectors must be a Float32Array (row-major [n x ${dim}])`);
  if (vectors.length !== ids.length * dim) {
    throw new Error(`${where}: ${ids.length} ids need ${ids.length} x ${dim} = ${ids.length * dim} values, got ${vectors.length}`);
  }
  const seen = new Set<number>();
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    if (!(Number.isInteger(id) && id >= 0 && id <= 0x7fffffff)) throw new Error(`${where}: ids[${k}] = ${id} is not an integer in [0, 2^31)`);
    if (seen.has(id) || has(id)) throw new Error(`${where}: id ${id} is ${seen.has(id) ? "given twice" : "already in the index"}; remove it first to replace its vector`);
    seen.add(id);
  }
  for (let k = 0; k < vectors.length; k++) {
    if (!Number.isFinite(vectors[k]!)) throw new Error(`${where}: vector of ids[${Math.floor(k / dim)}] has a non-finite value (${vectors[k]})`);
  }
}

/** Checks of a search call; returns the number of queries. */
export function checkSearch(where: string, dim: number, queries: Float32Array, k: number, options: SearchOptions = {}): number {
  if (!(queries instanceof Float32Array) || queries.length % dim !== 0) {
    throw new Error(`${where}: queries must be a Float32Array of whole rows of ${dim} values, got ${queries?.length} values`);
  }
  if (!Number.isInteger(k) || k < 1) throw new Error(`${where}: k must be a positive integer, got ${k}`);
  const n = queries.length / dim;
  if (options.exclude && options.exclude.length !== n) throw new Error(`${where}: exclude has ${options.exclude.length} entries for ${n} queries`);
  return n;
}

/** An empty result for n queries (ids -1, scores NaN). */
export function emptyResult(n: number, k: number): SearchResult {
  return { ids: new Int32Array(n * k).fill(-1), scores: new Float32Array(n * k).fill(NaN), k };
}

/**
 * Fill row q of `out` from candidates (best first) skipping excluded ids: what approximate indexes do after searching
 * k + |exclude| deep. Returns how many were written.
 */
export function fillRow(out: SearchResult, q: number, candidates: ArrayLike<number>, scores: ArrayLike<number>, exclude: ArrayLike<number> | null | undefined): number {
  const k = out.k;
  const skip = exclude && exclude.length ? new Set(Array.from(exclude)) : null;
  let r = 0;
  for (let c = 0; c < candidates.length && r < k; c++) {
    const id = candidates[c]!;
    if (id < 0 || (skip && skip.has(id))) continue;
    out.ids[q * k + r] = id;
    out.scores[q * k + r] = scores[c]!;
    r++;
  }
  return r;
}
