/**
 * FAISS indexes (faiss-node) behind the kit's VectorIndex interface:
 *
 *   faiss-flat   exact inner product (IndexFlat, METRIC_INNER_PRODUCT): the same top-k as the exact index.
 *   faiss-ivf    IVF{nlist},Flat: k-means cells, `nprobe` of them scanned per query. Approximate.
 *   faiss-hnsw   HNSW{M},Flat: a navigable graph searched `efSearch` wide. Approximate.
 *
 * Ids. faiss-node numbers vectors 0, 1, 2, ... in insertion order and cannot attach ids (`IDMap,Flat` via the
 * factory aborts the process), so each index keeps its own table position -> id, plus the vectors themselves: the
 * returned scores are recomputed from them (true inner products whatever the native metric), rebuilds need them,
 * and a query the approximate search left short of k results is topped up by an exact scan over them.
 *
 * Removal. FAISS reports misuse by throwing C++ exceptions, which faiss-node does not catch: they abort the
 * process (HNSW's remove_ids always does). So faiss-flat removes natively (IndexFlat::remove_ids compacts the rest
 * in order, and the position table is compacted the same way); faiss-ivf and faiss-hnsw never call remove_ids:
 * removed positions become tombstones that searches skip (searching deeper to make up), and once more than a
 * quarter of the positions are tombstones the native index is rebuilt from the live vectors (at the next search).
 *
 * Inner product (measured on 20K x 64 clustered items, with and without norms spread over 0.2x .. 5x, and 200
 * queries from other cluster centres; test/retrieval/faiss.test.ts checks both kinds on spread norms):
 *   - faiss-ivf searches L2 on augmented vectors: item x -> [x, sqrt(M^2 - |x|^2)] with M the largest item norm,
 *     query q -> [q, 0]; then |q' - x'|^2 = |q|^2 + M^2 - 2 <q, x>, so the L2-nearest item is the best by inner
 *     product. Recall@10 at nprobe 16 of 566 lists: 0.92 vs 0.60 with METRIC_INNER_PRODUCT on spread norms (0.79
 *     vs 0.71 on plain clustered data): with IP, the coarse step sends queries to the cells with the largest
 *     centroids. An added item longer than M makes the index stale: it is retrained at the next search.
 *   - faiss-hnsw uses METRIC_INNER_PRODUCT: a graph built on inner products beat the L2 reduction (recall@10 at
 *     efSearch 64: 0.63 vs 0.23 on spread norms, 0.52 vs 0.48 on clustered data), as Morozov & Babenko (NeurIPS
 *     2018, "Non-metric similarity graphs for MIPS") report.
 *
 * Training (faiss-ivf). The index is trained on all vectors held at the first search (or save), not on the first
 * add: adding in batches then searching trains on everything. Later adds go into the trained lists; once the index
 * holds 4x the vectors it was trained on (or an item longer than M arrives), it is retrained at the next search.
 *
 * Search-time settings. faiss-node cannot set nprobe / efSearch; scripts/build-faiss-node.js compiles recsys-lab's
 * setters (scripts/faiss-params.cc) into the addon. Without them FAISS's defaults apply (nprobe 1, efSearch 16,
 * efConstruction 40) and the kit warns once.
 *
 * Measured on 100K x 64 clustered items (2 shared cores), recall@10 for queries held out from the items' clusters /
 * drawn around other centres: faiss-ivf at its defaults (nlist 1265, nprobe 80) 1.000 / 0.956; at FAISS's nprobe 1,
 * 0.40 / 0.28 even with exact top-ups. faiss-hnsw at its defaults (M 32, efConstruction 80, efSearch 64) 0.948 /
 * 0.211 (efSearch 256: 0.958 / 0.374); at FAISS's efConstruction 40 / efSearch 16, 0.689 / 0.123. Graph search
 * finds the top inner products of queries unlike the items poorly: prefer faiss-ivf or faiss-flat for those.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { selectTopK } from "../eval/ranking";
import { faissParams, loadFaiss, NO_SETTERS, type FaissModule, type FaissParams } from "./faiss-loader";
import { writeIndexFolder } from "./files";
import type { IndexOptions, IndexProvider } from "./provider";
import { checkAdd, checkSearch, emptyResult, fillRow, type IndexManifest, type SearchOptions, type SearchResult, type VectorIndex } from "./vector-index";

type Native = InstanceType<FaissModule["Index"]>;

const METRIC_INNER_PRODUCT = 0;
const METRIC_L2 = 1;
/** Rows per faiss-node add call: it takes a JavaScript array, so convert in slices (bounded memory). */
const ADD_ROWS = 8192;
/** Rebuild faiss-ivf / faiss-hnsw once more than 1/REBUILD_AT of the positions are tombstones. */
const REBUILD_AT = 4;
/** Retrain faiss-ivf once it holds this many times the vectors it was trained on. */
const RETRAIN_GROWTH = 4;
/** FAISS k-means wants at least 39 training points per list (it warns below that). */
const POINTS_PER_LIST = 39;
/** FAISS k-means samples at most 256 points per list: pass no more than that across the addon boundary. */
const TRAIN_POINTS_PER_LIST = 256;

/** Defaults at which the contract's recall floors are met (test/retrieval/faiss.test.ts); see the measured table. */
export const FAISS_DEFAULTS = { M: 32, efSearch: 64, efConstruction: 80, nprobeFraction: 1 / 16 } as const;
/** FAISS's own defaults, what applies without recsys-lab's setters. */
const FAISS_OWN = { nprobe: 1, efSearch: 16, efConstruction: 40 } as const;

/** Item rows by native position: external id (-1 once removed: a tombstone) and the vector. */
class Rows {
  ids = new Int32Array(0);
  vectors = new Float32Array(0);
  count = 0;
  dead = 0;

  constructor(readonly dim: number) {}

  append(ids: ArrayLike<number>, vectors: Float32Array): void {
    const n = this.count + ids.length;
    if (n > this.ids.length) this.grow(Math.max(n, 2 * this.ids.length, 1024));
    for (let k = 0; k < ids.length; k++) this.ids[this.count + k] = ids[k]!;
    this.vectors.set(vectors, this.count * this.dim);
    this.count = n;
  }

  /** Drop tombstones, keeping the order of the rest (as IndexFlat::remove_ids does). */
  compact(): void {
    let w = 0;
    for (let r = 0; r < this.count; r++) {
      if (this.ids[r]! < 0) continue;
      this.ids[w] = this.ids[r]!;
      if (w !== r) this.vectors.copyWithin(w * this.dim, r * this.dim, (r + 1) * this.dim);
      w++;
    }
    this.count = w;
    this.dead = 0;
  }

  /** <query, row p>, accumulated in float64. */
  dot(queries: Float32Array, q: number, p: number): number {
    const d = this.dim;
    let s = 0;
    for (let j = 0; j < d; j++) s += queries[q * d + j]! * this.vectors[p * d + j]!;
    return s;
  }

  private grow(cap: number): void {
    const ids = new Int32Array(cap);
    ids.set(this.ids.subarray(0, this.count));
    const vectors = new Float32Array(cap * this.dim);
    vectors.set(this.vectors.subarray(0, this.count * this.dim));
    this.ids = ids;
    this.vectors = vectors;
  }
}

/** Shared by the three kinds: the position table, search with exclusions and true scores, save/load. */
abstract class FaissIndex implements VectorIndex {
  abstract readonly kind: string;
  abstract readonly isExact: boolean;
  protected rows: Rows;
  protected position = new Map<number, number>();
  /** Null until built (faiss-ivf: at the first search), or after it went stale (rebuilt from `rows` when next needed). */
  protected native: Native | null = null;
  /** Queries the approximate search left short of k and the exact scan answered: many mean nprobe/efSearch is too low. */
  exactFallbacks = 0;

  constructor(
    readonly dim: number,
    protected readonly faiss: FaissModule,
    protected readonly params: FaissParams | null,
  ) {
    this.rows = new Rows(dim);
  }

  size(): number {
    return this.position.size;
  }

  async add(ids: ArrayLike<number>, vectors: Float32Array): Promise<void> {
    checkAdd(`${this.kind} add`, this.dim, ids, vectors, (id) => this.position.has(id));
    const from = this.rows.count;
    this.rows.append(ids, vectors);
    for (let k = 0; k < ids.length; k++) this.position.set(ids[k]!, from + k);
    if (this.native && this.accepts(from)) addRows(this.native, this.nativeRows(from, this.rows.count), this.nativeDim());
    else this.native = null;
    if (this.eager()) this.ready();
  }

  async remove(ids: ArrayLike<number>): Promise<void> {
    for (let k = 0; k < ids.length; k++) {
      if (!this.position.has(ids[k]!)) throw new Error(`${this.kind} remove: id ${ids[k]} is not in the index`);
    }
    const positions = Int32Array.from(new Set(Array.from(ids)), (id) => this.position.get(id)!);
    for (const p of positions) {
      this.position.delete(this.rows.ids[p]!);
      this.rows.ids[p] = -1;
    }
    this.rows.dead += positions.length;
    this.removeNative(positions);
  }

  async search(queries: Float32Array, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    const n = checkSearch(`${this.kind} search`, this.dim, queries, k, options);
    const out = emptyResult(n, k);
    if (!this.position.size || !n) return out;
    const native = this.ready();
    const exclude = options.exclude;
    let maxExcluded = 0;
    if (exclude) for (const e of exclude) maxExcluded = Math.max(maxExcluded, e?.length ?? 0);
    const depth = Math.min(native.ntotal(), this.depth(k + maxExcluded));
    const { labels } = native.search(Array.from(this.queryRows(queries)), depth);
    const short: number[] = [];
    for (let q = 0; q < n; q++) {
      const got = this.fillFromCandidates(out, q, queries, labels, depth, exclude?.[q]);
      if (got < k && got < this.qualifying(exclude?.[q])) short.push(q);
    }
    // The approximate search came back short (an IVF probe of small lists, many exclusions): scan those exactly.
    for (const q of short) this.exactRow(out, q, queries, exclude?.[q]);
    this.exactFallbacks += short.length;
    return out;
  }

  async save(dir: string): Promise<void> {
    if (this.position.size) this.ready();
    const ids = this.rows.ids.slice(0, this.rows.count);
    const vectors = this.rows.vectors.slice(0, this.rows.count * this.dim);
    const files: Record<string, Buffer> = { "ids.bin": bytes(ids), "vectors.bin": bytes(vectors) };
    if (this.native) files["index.faiss"] = nativeBytes(this.native);
    const settings = { ...this.settings(), positions: this.rows.count, native: this.native !== null, setters: this.params !== null };
    const manifest: IndexManifest = { format: "recsys-lab-index", version: 1, kind: this.kind, dim: this.dim, size: this.size(), settings };
    await writeIndexFolder(dir, manifest, files);
  }

  /** Refill from a saved folder (the index must be new). */
  async restore(dir: string, manifest: IndexManifest): Promise<void> {
    const where = `loadIndex(${dir})`;
    const ids = new Int32Array(await readBytes(path.join(dir, "ids.bin")));
    const vectors = new Float32Array(await readBytes(path.join(dir, "vectors.bin")));
    const positions = Number(manifest.settings.positions);
    if (ids.length !== positions || vectors.length !== positions * this.dim) {
      throw new Error(`${where}: ids.bin/vectors.bin hold ${ids.length} ids and ${vectors.length} values; index.json says ${positions} positions x ${this.dim}`);
    }
    this.rows.append(ids, vectors);
    for (let p = 0; p < positions; p++) {
      if (ids[p]! >= 0) this.position.set(ids[p]!, p);
      else this.rows.dead++;
    }
    if (this.position.size !== manifest.size) throw new Error(`${where}: ${this.position.size} live ids, index.json says ${manifest.size}`);
    if (!manifest.settings.native) return;
    const file = path.join(dir, "index.faiss");
    if (!fs.existsSync(file)) throw new Error(`${where}: index.faiss is missing; index.json says the native index was saved`);
    const native = this.faiss.Index.read(file);
    if (native.ntotal() !== positions || native.getDimension() !== this.nativeDim()) {
      throw new Error(`${where}: index.faiss holds ${native.ntotal()} x ${native.getDimension()}, expected ${positions} x ${this.nativeDim()}; re-save the index`);
    }
    this.native = native;
  }

  async close(): Promise<void> {
    // faiss-node frees the native index when its object is garbage-collected; drop every reference to it.
    this.native = null;
    this.rows = new Rows(this.dim);
    this.position.clear();
  }

  /** An empty native index for the current rows (faiss-ivf: trained on them). */
  protected abstract createNative(): Native;
  /** Kind-specific settings for index.json. */
  protected abstract settings(): Record<string, unknown>;

  /** Build the native index right at add (flat, HNSW) rather than at the first search (IVF must train first). */
  protected eager(): boolean {
    return true;
  }

  /** Whether rows [from, count) can go into the existing native index (else it is rebuilt). */
  protected accepts(_from: number): boolean {
    return true;
  }

  protected nativeDim(): number {
    return this.dim;
  }

  /** Rows [from, to) as the native index stores them. */
  protected nativeRows(from: number, to: number): Float32Array {
    return this.rows.vectors.subarray(from * this.dim, to * this.dim);
  }

  /** Queries as the native index searches them. */
  protected queryRows(queries: Float32Array): Float32Array {
    return queries;
  }

  /** After `positions` became tombstones: drop the native index once too many are, to rebuild it when needed. */
  protected removeNative(_positions: Int32Array): void {
    if (!this.native || this.rows.dead * REBUILD_AT > this.rows.count) this.native = null;
  }

  /** How deep to search so that `wanted` candidates survive the tombstones. */
  protected depth(wanted: number): number {
    const { count, dead } = this.rows;
    return dead ? Math.ceil((wanted * count) / (count - dead)) + wanted : wanted;
  }

  /** The native index, (re)built from the live rows when missing. */
  protected ready(): Native {
    if (this.native) return this.native;
    if (this.rows.dead) {
      this.rows.compact();
      this.position = new Map(Array.from(this.rows.ids.subarray(0, this.rows.count), (id, p) => [id, p]));
    }
    const native = this.createNative();
    addRows(native, this.nativeRows(0, this.rows.count), this.nativeDim());
    this.native = native;
    return native;
  }

  /** Set a native parameter, or say once that FAISS's default applies. */
  protected setParameter(native: Native, name: string, value: number): number {
    if (this.params) {
      this.params.setIndexParameter(native, name, value);
      return value;
    }
    const fallback = FAISS_OWN[name as keyof typeof FAISS_OWN];
    warnOnce(`${this.kind}: ${name}`, `${this.kind}: ${name} stays at FAISS's default ${fallback} (asked for ${value}): ${NO_SETTERS}`);
    return fallback;
  }

  /** Row q of `out` from the native candidates: live ones, rescored by the true inner product, best first. */
  private fillFromCandidates(out: SearchResult, q: number, queries: Float32Array, labels: number[], depth: number, exclude: ArrayLike<number> | null | undefined): number {
    const ids: number[] = [];
    const scores: number[] = [];
    for (let r = 0; r < depth; r++) {
      const p = labels[q * depth + r]!;
      if (p < 0 || p >= this.rows.count || this.rows.ids[p]! < 0) continue;
      ids.push(this.rows.ids[p]!);
      scores.push(this.rows.dot(queries, q, p));
    }
    // Native distances (L2 on augmented vectors, float32 sums) can order near-ties differently from the true scores.
    const order = ids.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
    return fillRow(out, q, order.map((i) => ids[i]!), order.map((i) => scores[i]!), exclude);
  }

  /** How many live items a query may return (all but its excluded ones). */
  private qualifying(exclude: ArrayLike<number> | null | undefined): number {
    if (!exclude?.length) return this.position.size;
    let excluded = 0;
    for (const id of new Set(Array.from(exclude))) if (this.position.has(id)) excluded++;
    return this.position.size - excluded;
  }

  /** Row q by scoring every live row (the exact fallback). */
  private exactRow(out: SearchResult, q: number, queries: Float32Array, exclude: ArrayLike<number> | null | undefined): void {
    const count = this.rows.count;
    const scores = new Float64Array(count);
    const skip = new Int32Array(count);
    for (let p = 0; p < count; p++) {
      if (this.rows.ids[p]! < 0) skip[p] = 1;
      else scores[p] = this.rows.dot(queries, q, p);
    }
    if (exclude) for (let e = 0; e < exclude.length; e++) {
      const p = this.position.get(exclude[e]!);
      if (p !== undefined) skip[p] = 1;
    }
    const k = out.k;
    const items = new Int32Array(k);
    const best = new Float64Array(k);
    const got = selectTopK(scores, 0, count, k, skip, 1, items, best, 0, `${this.kind} search`);
    for (let r = 0; r < k; r++) {
      out.ids[q * k + r] = r < got ? this.rows.ids[items[r]!]! : -1;
      out.scores[q * k + r] = r < got ? best[r]! : NaN;
    }
  }
}

/** faiss-flat: IndexFlat with inner product; exact. */
class FaissFlat extends FaissIndex {
  readonly kind = "faiss-flat";
  readonly isExact = true;

  protected createNative(): Native {
    return this.faiss.Index.fromFactory(this.dim, "Flat", METRIC_INNER_PRODUCT);
  }

  /** IndexFlat::remove_ids shifts the later vectors down in order: compact the position table the same way. */
  protected override removeNative(positions: Int32Array): void {
    if (this.native) {
      const removed = this.native.removeIds(Array.from(positions));
      if (removed !== positions.length) this.native = null; // out of step with the table: rebuild from it
    }
    this.rows.compact();
    this.position = new Map(Array.from(this.rows.ids.subarray(0, this.rows.count), (id, p) => [id, p]));
  }

  protected settings(): Record<string, unknown> {
    return { metric: "inner product" };
  }
}

/** faiss-ivf: IVF{nlist},Flat, L2 on augmented vectors (see the file comment). */
class FaissIvf extends FaissIndex {
  readonly kind = "faiss-ivf";
  readonly isExact = false;
  /** M^2 of the augmentation: the largest squared item norm when the index was trained. */
  private maxNorm2 = 0;
  private trainedOn = 0;
  private nlist = 0;
  private nprobe = 0;

  constructor(dim: number, faiss: FaissModule, params: FaissParams | null, private readonly nlistOption: number | null, private nprobeOption: number | null) {
    super(dim, faiss, params);
  }

  /** A new search width for the next searches (loadIndex overrides). */
  setNprobe(nprobe: number): void {
    this.nprobeOption = nprobe;
    if (this.native) this.nprobe = this.setParameter(this.native, "nprobe", Math.min(nprobe, this.nlist));
  }

  /** Restore what the saved index was trained with (settings().effective). */
  restoreEffective(effective: Record<string, unknown>): void {
    this.maxNorm2 = Number(effective.maxNorm2 ?? 0);
    this.trainedOn = Number(effective.trainedOn ?? 0);
    this.nlist = Number(effective.nlist ?? 0);
    this.nprobe = Number(effective.nprobe ?? 0);
  }

  protected override eager(): boolean {
    return false;
  }

  protected override nativeDim(): number {
    return this.dim + 1;
  }

  protected override accepts(from: number): boolean {
    if (this.rows.count > RETRAIN_GROWTH * this.trainedOn) return false;
    for (let p = from; p < this.rows.count; p++) if (this.norm2(p) > this.maxNorm2) return false;
    return true;
  }

  protected override nativeRows(from: number, to: number): Float32Array {
    const d = this.dim;
    const out = new Float32Array((to - from) * (d + 1));
    for (let p = from; p < to; p++) {
      out.set(this.rows.vectors.subarray(p * d, (p + 1) * d), (p - from) * (d + 1));
      out[(p - from) * (d + 1) + d] = Math.sqrt(Math.max(0, this.maxNorm2 - this.norm2(p)));
    }
    return out;
  }

  protected override queryRows(queries: Float32Array): Float32Array {
    const d = this.dim;
    const n = queries.length / d;
    const out = new Float32Array(n * (d + 1));
    for (let q = 0; q < n; q++) out.set(queries.subarray(q * d, (q + 1) * d), q * (d + 1));
    return out;
  }

  protected createNative(): Native {
    const count = this.rows.count;
    this.maxNorm2 = 0;
    for (let p = 0; p < count; p++) this.maxNorm2 = Math.max(this.maxNorm2, this.norm2(p));
    // FAISS throws (aborting the process) when there are fewer training points than lists.
    this.nlist = Math.min(this.nlistOption ?? defaultNlist(count), count);
    const native = this.faiss.Index.fromFactory(this.dim + 1, `IVF${this.nlist},Flat`, METRIC_L2);
    this.nprobe = this.setParameter(native, "nprobe", Math.min(this.nprobeOption ?? defaultNprobe(this.nlist), this.nlist));
    native.train(Array.from(this.trainingRows(count)));
    this.trainedOn = count;
    return native;
  }

  protected settings(): Record<string, unknown> {
    // nlist / nprobe as asked (null: the defaults, recomputed at each retraining); effective: what the native index uses.
    const effective = { nlist: this.nlist, nprobe: this.nprobe, maxNorm2: this.maxNorm2, trainedOn: this.trainedOn };
    return { metric: "L2 on augmented vectors", nlist: this.nlistOption, nprobe: this.nprobeOption, effective };
  }

  /** Augmented rows to train on: all, or an even stride through them when FAISS would subsample anyway. */
  private trainingRows(count: number): Float32Array {
    const cap = TRAIN_POINTS_PER_LIST * this.nlist;
    if (count <= cap) return this.nativeRows(0, count);
    const step = count / cap;
    const d = this.dim + 1;
    const out = new Float32Array(cap * d);
    for (let i = 0; i < cap; i++) out.set(this.nativeRows(Math.floor(i * step), Math.floor(i * step) + 1), i * d);
    return out;
  }

  private norm2(p: number): number {
    const v = this.rows.vectors;
    let s = 0;
    for (let j = p * this.dim; j < (p + 1) * this.dim; j++) s += v[j]! * v[j]!;
    return s;
  }
}

/** faiss-hnsw: HNSW{M},Flat with inner product. */
class FaissHnsw extends FaissIndex {
  readonly kind = "faiss-hnsw";
  readonly isExact = false;
  private efSearchUsed = 0;
  private efConstructionUsed = 0;

  constructor(dim: number, faiss: FaissModule, params: FaissParams | null, private readonly M: number, private efSearch: number, private readonly efConstruction: number) {
    super(dim, faiss, params);
  }

  /** A new search width for the next searches (loadIndex overrides). */
  setEfSearch(efSearch: number): void {
    this.efSearch = efSearch;
    if (this.native) this.efSearchUsed = this.setParameter(this.native, "efSearch", efSearch);
  }

  restoreEffective(effective: Record<string, unknown>): void {
    this.efSearchUsed = Number(effective.efSearch ?? 0);
    this.efConstructionUsed = Number(effective.efConstruction ?? 0);
  }

  protected createNative(): Native {
    const native = this.faiss.Index.fromFactory(this.dim, `HNSW${this.M},Flat`, METRIC_INNER_PRODUCT);
    this.efConstructionUsed = this.setParameter(native, "efConstruction", this.efConstruction);
    this.efSearchUsed = this.setParameter(native, "efSearch", this.efSearch);
    return native;
  }

  protected settings(): Record<string, unknown> {
    // As asked; effective: what the native index uses (FAISS's defaults without recsys-lab's setters).
    const effective = { efSearch: this.efSearchUsed, efConstruction: this.efConstructionUsed };
    return { metric: "inner product", M: this.M, efSearch: this.efSearch, efConstruction: this.efConstruction, effective };
  }
}

/** 4 sqrt(n) lists (FAISS's rule of thumb), at most n / 39 (FAISS's minimum training points per list). */
export function defaultNlist(n: number): number {
  return Math.max(1, Math.min(Math.round(4 * Math.sqrt(n)), Math.floor(n / POINTS_PER_LIST)));
}

/** One list in 16 (at least 1). */
export function defaultNprobe(nlist: number): number {
  return Math.max(1, Math.ceil(nlist * FAISS_DEFAULTS.nprobeFraction));
}

/** Add row-major vectors to a native index in slices (faiss-node converts a JavaScript array element by element). */
function addRows(native: Native, vectors: Float32Array, dim: number): void {
  const step = ADD_ROWS * dim;
  for (let start = 0; start < vectors.length; start += step) native.add(Array.from(vectors.subarray(start, start + step)));
}

/**
 * The native index's file bytes. faiss-node's toBuffer leaks its copy, and write() to a path that cannot be opened
 * throws inside FAISS (an abort): write into a fresh private temporary folder, read back, delete.
 */
function nativeBytes(native: Native): Buffer {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-faiss-"));
  try {
    const file = path.join(tmp, "index.faiss");
    native.write(file);
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function bytes(a: Int32Array | Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A file's bytes as their own ArrayBuffer (typed arrays need aligned, exclusive memory). */
async function readBytes(file: string): Promise<ArrayBuffer> {
  const b = await fs.promises.readFile(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

const warned = new Set<string>();
function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, { code: "RECSYS_FAISS_DEFAULTS" });
}

const OPTIONS: Record<string, readonly string[]> = {
  "faiss-flat": ["dim"],
  "faiss-ivf": ["dim", "nlist", "nprobe"],
  "faiss-hnsw": ["dim", "M", "efSearch", "efConstruction"],
};
/** What loadIndex may change on reopening. */
const REOPEN: Record<string, readonly string[]> = { "faiss-flat": [], "faiss-ivf": ["nprobe"], "faiss-hnsw": ["efSearch"] };

/** A positive integer option, or `fallback` when absent. */
function intOption(where: string, options: Record<string, unknown>, name: string, fallback: number | null): number | null {
  const v = options[name];
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

function checkOptionNames(where: string, kind: string, options: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k) && options[k] !== undefined);
  if (unknown.length) throw new Error(`${where}: unknown option '${unknown[0]}'; ${kind} takes ${allowed.length ? allowed.join(", ") : "nothing"}`);
}

function faissModule(): FaissModule {
  const { module, reason } = loadFaiss();
  if (!module) throw new Error(reason);
  return module;
}

function make(kind: string, dim: number, options: Record<string, unknown>): FaissIndex {
  const where = `createIndex("${kind}")`;
  const faiss = faissModule();
  const params = faissParams(faiss);
  if (kind === "faiss-flat") return new FaissFlat(dim, faiss, params);
  if (kind === "faiss-ivf") return new FaissIvf(dim, faiss, params, intOption(where, options, "nlist", null), intOption(where, options, "nprobe", null));
  if (kind === "faiss-hnsw") {
    const M = intOption(where, options, "M", FAISS_DEFAULTS.M)!;
    return new FaissHnsw(dim, faiss, params, M, intOption(where, options, "efSearch", FAISS_DEFAULTS.efSearch)!, intOption(where, options, "efConstruction", FAISS_DEFAULTS.efConstruction)!);
  }
  throw new Error(`${where}: not a FAISS kind (faiss-flat, faiss-ivf, faiss-hnsw)`);
}

async function load(dir: string, manifest: IndexManifest, overrides: Record<string, unknown>): Promise<VectorIndex> {
  const where = `loadIndex(${dir})`;
  const { kind, settings } = manifest;
  checkOptionNames(where, kind, overrides, REOPEN[kind] ?? []);
  // The options it was created with (null: a default) rebuild it the same way; `effective` is what the file holds.
  const asked = Object.fromEntries((OPTIONS[kind] ?? []).filter((o) => o !== "dim" && settings[o] != null).map((o) => [o, settings[o]]));
  const index = make(kind, manifest.dim, asked);
  const effective = (settings.effective ?? {}) as Record<string, unknown>;
  if (index instanceof FaissIvf || index instanceof FaissHnsw) index.restoreEffective(effective);
  await index.restore(dir, manifest);
  const nprobe = intOption(where, overrides, "nprobe", null);
  const efSearch = intOption(where, overrides, "efSearch", null);
  if (index instanceof FaissIvf && nprobe !== null) index.setNprobe(nprobe);
  if (index instanceof FaissHnsw && efSearch !== null) index.setEfSearch(efSearch);
  return index;
}

export const provider: IndexProvider = {
  kinds: ["faiss-flat", "faiss-ivf", "faiss-hnsw"],
  describe: {
    "faiss-flat": "FAISS IndexFlat, inner product: exact top-k (faiss-node)",
    "faiss-ivf": "FAISS IVF{nlist},Flat on augmented vectors (MIPS): approximate; options nlist (default 4 sqrt(n)), nprobe (default nlist/16); trained at the first search (faiss-node)",
    "faiss-hnsw": `FAISS HNSW{M},Flat, inner product: approximate; options M (default ${FAISS_DEFAULTS.M}), efSearch (${FAISS_DEFAULTS.efSearch}), efConstruction (${FAISS_DEFAULTS.efConstruction}) (faiss-node)`,
  },
  unavailable: () => loadFaiss().module ? null : loadFaiss().reason,
  create: async (kind, options: IndexOptions) => {
    checkOptionNames(`createIndex("${kind}")`, kind, options, OPTIONS[kind] ?? ["dim"]);
    return make(kind, options.dim, options);
  },
  load,
};
