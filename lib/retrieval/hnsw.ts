/**
 * The "hnswlib" kind: an HNSW graph (Malkov & Yashunin, 2018) through hnswlib-node, searched by inner product.
 * Approximate: recall grows with the search width efSearch, speed falls with it.
 *
 *   const index = await createIndex("hnswlib", { dim: 64 });          // M 16, efConstruction 200, efSearch 128
 *   await index.add(itemIds, itemVectors);
 *   const wider = await loadIndex(dir, { efSearch: 256 });            // reopen a saved index with another width
 *
 * Why hnswlib-node and not usearch (both HNSW; measured on 100K x 64 clustered vectors, 1000 queries from the same
 * mixture, one thread, CPU time on 2 shared cores): at equal settings both reach the same recall@10 (M 16,
 * efConstruction 200: 0.972 at efSearch 64, 0.980 at 128), but hnswlib-node built the graph in 32 s of CPU where
 * usearch 2.25.3 took 53 s, and answered 6.3k single queries/s at efSearch 64 where usearch answered 2.2k (its
 * batched call, 1.9k, was no faster). hnswlib also sets its width at query time; usearch fixes it at construction.
 *
 * Inner product directly, not reduced to L2: with item norms spread by exp(N(0,1)) the inner-product graph kept
 * recall@10 0.99, while the textbook reduction (append sqrt(max|x|^2 - |x|^2) to items, 0 to queries) fell to
 * 0.40-0.54 at efSearch 64 (all items crowd near the appended axis); it helped only when all norms were alike.
 * hnswlib's "ip" space returns 1 - <q, x>, so scores are 1 - distance: the true inner products up to float32 rounding.
 * Caveat: queries unlike the items (drawn from another mixture) are hard for an inner-product graph: at 100K x 64
 * the same settings gave recall@10 0.37 at efSearch 128 and 0.50 at 512. Check recall against the exact index.
 *
 * Ids map to hnswlib labels (slots) through a table of our own, so that removal (hnswlib only marks a node deleted;
 * it stays in the graph and keeps routing searches) frees the slot for the next added item instead of growing the
 * graph forever; that table is saved beside hnswlib's file.
 */
import * as fs from "fs";
import * as path from "path";
import type { IndexOptions, IndexProvider } from "./provider";
import { checkAdd, checkSearch, emptyResult, fillRow, type IndexManifest, type SearchOptions, type SearchResult, type VectorIndex } from "./vector-index";
import { writeIndexFolder } from "./files";

type HnswlibModule = typeof import("hnswlib-node");
type Graph = InstanceType<HnswlibModule["HierarchicalNSW"]>;

/** The kind's settings; every one has a default (HNSWLIB_DEFAULTS). */
export interface HnswlibSettings {
  /** Links per node and layer (layer 0 keeps 2M). More: higher recall at a given width, slower build, more memory. */
  M: number;
  /** Candidate list width while inserting (build quality vs build time). */
  efConstruction: number;
  /** Candidate list width while searching: the recall/speed knob. Changeable on reopening (loadIndex overrides). */
  efSearch: number;
  /** Seed of the level assignment, so builds are repeatable. */
  seed: number;
}

/**
 * Defaults from the measurement above (100K x 64): recall@10 0.980 at about 4k single queries/s, twice the 2k/s
 * target. efConstruction 200 over 100 doubles the build time for +0.001 recall on queries like the items, but
 * +0.02-0.04 on queries unlike them (the contract's case), where efSearch 128 over 64 buys margin (0.958 -> 0.978
 * at 3000 x 16).
 */
export const HNSWLIB_DEFAULTS: Readonly<HnswlibSettings> = { M: 16, efConstruction: 200, efSearch: 128, seed: 100 };

/** Allowed range of each setting (a typo like M 1600 would otherwise allocate gigabytes). */
const RANGES: Record<keyof HnswlibSettings, [number, number]> = { M: [2, 256], efConstruction: [1, 1 << 16], efSearch: [1, 1 << 16], seed: [0, 0x7fffffff] };

/** Only the search width can change on reopening: M, efConstruction and seed are baked into the saved graph. */
const REOPEN_SETTINGS = ["efSearch"];

/** Slots reserved by a new index; the graph then doubles as needed (hnswlib needs an explicit resize). */
const INITIAL_CAPACITY = 1024;

const GRAPH_FILE = "hnswlib.bin";
const LABELS_FILE = "labels.bin";

let cached: { module: HnswlibModule | null; reason: string } | undefined;

/** hnswlib-node (an optional dependency compiled at install), or why it is missing. */
export function loadHnswlib(): { module: HnswlibModule | null; reason: string } {
  if (cached) return cached;
  try {
    cached = { module: require("hnswlib-node") as HnswlibModule, reason: "hnswlib-node loads" };
  } catch (err) {
    const msg = ((err as Error).message ?? String(err)).split("\n")[0]!;
    cached = {
      module: null,
      reason: /Cannot find module 'hnswlib-node'/.test(msg)
        ? "hnswlib-node is not installed (optional dependency); run 'npm install hnswlib-node@3.0.0' (it compiles with node-gyp: needs python3, make and a C++ compiler)"
        : `hnswlib-node is installed but its native addon does not load (${msg}); run 'npm rebuild hnswlib-node' (needs python3, make and a C++ compiler)`,
    };
  }
  return cached;
}

/** Settings from options: defaults filled in, unknown names and out-of-range values rejected (naming the call). */
export function hnswlibSettings(where: string, given: Record<string, unknown>, base: HnswlibSettings = HNSWLIB_DEFAULTS): HnswlibSettings {
  const out = { ...base };
  for (const [name, value] of Object.entries(given)) {
    if (!(name in RANGES)) throw new Error(`${where}: unknown option '${name}'; hnswlib takes ${Object.keys(RANGES).join(", ")} (and dim)`);
    const [lo, hi] = RANGES[name as keyof HnswlibSettings];
    if (!Number.isInteger(value) || (value as number) < lo || (value as number) > hi) {
      throw new Error(`${where}: ${name} must be an integer in [${lo}, ${hi}], got ${String(value)}`);
    }
    out[name as keyof HnswlibSettings] = value as number;
  }
  return out;
}

export class HnswlibIndex implements VectorIndex {
  readonly kind = "hnswlib";
  readonly isExact = false;
  private graph: Graph | null;
  /** Live id -> hnswlib label. */
  private labelOf = new Map<number, number>();
  /** hnswlib label -> id, -1 for a removed item's slot; length = the graph's capacity. */
  private idOf: Int32Array;
  /** Labels handed out so far (the graph's element count, removed ones included). */
  private used = 0;
  /** Slots of removed items, reused by the next adds. */
  private free: number[] = [];
  /** hnswlib-node takes plain arrays only: one reused row buffer. */
  private readonly row: number[];

  private constructor(readonly dim: number, readonly settings: HnswlibSettings, graph: Graph, idOf: Int32Array) {
    this.graph = graph;
    this.idOf = idOf;
    this.row = new Array<number>(dim).fill(0);
  }

  /** A new, empty index (options: dim plus any of HnswlibSettings). */
  static create(options: IndexOptions): HnswlibIndex {
    const { dim, ...rest } = options;
    const settings = hnswlibSettings(`createIndex("hnswlib")`, rest);
    const graph = new (hnswlibModule(`createIndex("hnswlib")`).HierarchicalNSW)("ip", dim);
    graph.initIndex({ maxElements: INITIAL_CAPACITY, m: settings.M, efConstruction: settings.efConstruction, randomSeed: settings.seed });
    graph.setEf(settings.efSearch);
    return new HnswlibIndex(dim, settings, graph, new Int32Array(INITIAL_CAPACITY).fill(-1));
  }

  /** Reopen a folder written by save(); `overrides` may change efSearch only. */
  static async load(dir: string, manifest: IndexManifest, overrides: Record<string, unknown>): Promise<HnswlibIndex> {
    const where = `loadIndex("${dir}")`;
    const fixed = Object.keys(overrides).filter((k) => !REOPEN_SETTINGS.includes(k));
    if (fixed.length) throw new Error(`${where}: '${fixed[0]}' cannot change on reopening (it is built into the graph); only ${REOPEN_SETTINGS.join(", ")} can. Rebuild with createIndex to change it`);
    const saved = hnswlibSettings(where, manifest.settings);
    const settings = hnswlibSettings(where, overrides, saved);
    const graph = new (hnswlibModule(where).HierarchicalNSW)("ip", manifest.dim);
    await graph.readIndex(path.join(dir, GRAPH_FILE));
    graph.setEf(settings.efSearch);
    const labels = new Int32Array(toArrayBuffer(await fs.promises.readFile(path.join(dir, LABELS_FILE))));
    if (labels.length !== graph.getCurrentCount()) {
      throw new Error(`${where}: ${LABELS_FILE} maps ${labels.length} labels but ${GRAPH_FILE} holds ${graph.getCurrentCount()}; the folder is damaged, save the index again`);
    }
    const idOf = new Int32Array(graph.getMaxElements()).fill(-1);
    idOf.set(labels);
    const index = new HnswlibIndex(manifest.dim, settings, graph, idOf);
    index.adopt(labels.length);
    if (index.size() !== manifest.size) throw new Error(`${where}: ${index.size()} live items, index.json says ${manifest.size}; the folder is damaged, save the index again`);
    return index;
  }

  size(): number {
    return this.labelOf.size;
  }

  async add(ids: ArrayLike<number>, vectors: Float32Array): Promise<void> {
    const graph = this.open("HnswlibIndex.add");
    checkAdd("HnswlibIndex.add", this.dim, ids, vectors, (id) => this.labelOf.has(id));
    this.reserve(this.used + Math.max(0, ids.length - this.free.length));
    for (let k = 0; k < ids.length; k++) {
      // A reused slot is still in the graph, marked deleted: addPoint on its label unmarks it and relinks it for
      // the new vector.
      const label = this.free.pop() ?? this.used++;
      graph.addPoint(this.toRow(vectors, k), label);
      this.idOf[label] = ids[k]!;
      this.labelOf.set(ids[k]!, label);
    }
  }

  async remove(ids: ArrayLike<number>): Promise<void> {
    const graph = this.open("HnswlibIndex.remove");
    for (let k = 0; k < ids.length; k++) {
      if (!this.labelOf.has(ids[k]!)) throw new Error(`HnswlibIndex.remove: id ${ids[k]} is not in the index`);
    }
    for (const id of new Set(Array.from(ids))) {
      const label = this.labelOf.get(id)!;
      graph.markDelete(label);
      this.labelOf.delete(id);
      this.idOf[label] = -1;
      this.free.push(label);
    }
  }

  async search(queries: Float32Array, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    const graph = this.open("HnswlibIndex.search");
    const n = checkSearch("HnswlibIndex.search", this.dim, queries, k, options);
    const out = emptyResult(n, k);
    const live = this.labelOf.size;
    if (!live) return out;
    for (let q = 0; q < n; q++) {
      const exclude = options.exclude?.[q];
      // Excluded ids may take up to |exclude| of the places; if the graph still comes up short (an excluded
      // neighbourhood, many removed nodes), search again twice as deep, up to every live item.
      let depth = Math.min(live, k + (exclude?.length ?? 0));
      for (;;) {
        const got = this.fill(out, q, graph.searchKnn(this.toRow(queries, q), depth), exclude);
        if (got === k || depth === live) break;
        depth = Math.min(live, 2 * depth);
      }
    }
    return out;
  }

  async save(dir: string): Promise<void> {
    const graph = this.open("HnswlibIndex.save");
    const manifest: IndexManifest = { format: "recsys-lab-index", version: 1, kind: this.kind, dim: this.dim, size: this.size(), settings: { ...this.settings } };
    // hnswlib writes only to a path: into a scratch folder beside the target, then through writeIndexFolder's swap.
    await fs.promises.mkdir(path.dirname(path.resolve(dir)), { recursive: true });
    const scratch = await fs.promises.mkdtemp(`${path.resolve(dir)}.hnswlib-`);
    try {
      await graph.writeIndex(path.join(scratch, GRAPH_FILE));
      const labels = this.idOf.slice(0, this.used);
      await writeIndexFolder(dir, manifest, {
        [GRAPH_FILE]: await fs.promises.readFile(path.join(scratch, GRAPH_FILE)),
        [LABELS_FILE]: Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength),
      });
    } finally {
      await fs.promises.rm(scratch, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    // hnswlib-node frees its memory when the object is collected; dropping the reference is all there is.
    this.graph = null;
    this.labelOf.clear();
  }

  /** Rebuild the id side of the label table after loading: live ids, and the slots of removed items to reuse. */
  private adopt(used: number): void {
    this.used = used;
    for (let label = used - 1; label >= 0; label--) {
      const id = this.idOf[label]!;
      if (id >= 0) this.labelOf.set(id, label);
      else this.free.push(label);
    }
  }

  /** Grow the graph (and the label table) to hold `needed` slots, doubling so that many small adds stay cheap. */
  private reserve(needed: number): void {
    const graph = this.graph!;
    const capacity = graph.getMaxElements();
    if (needed <= capacity) return;
    const grown = Math.max(needed, 2 * capacity);
    graph.resizeIndex(grown);
    const idOf = new Int32Array(grown).fill(-1);
    idOf.set(this.idOf);
    this.idOf = idOf;
  }

  /** Row r of a row-major matrix, copied into the reused plain array hnswlib-node accepts. */
  private toRow(matrix: Float32Array, r: number): number[] {
    const base = r * this.dim;
    for (let d = 0; d < this.dim; d++) this.row[d] = matrix[base + d]!;
    return this.row;
  }

  /** Row q of `out` from one hnswlib answer (labels -> ids, distance 1 - dot -> dot), cleared first for a retry. */
  private fill(out: SearchResult, q: number, found: { distances: number[]; neighbors: number[] }, exclude: ArrayLike<number> | null | undefined): number {
    const k = out.k;
    out.ids.fill(-1, q * k, (q + 1) * k);
    out.scores.fill(NaN, q * k, (q + 1) * k);
    const m = found.neighbors.length;
    const ids = new Int32Array(m);
    const scores = new Float64Array(m);
    for (let c = 0; c < m; c++) {
      ids[c] = this.idOf[found.neighbors[c]!] ?? -1;
      scores[c] = 1 - found.distances[c]!;
    }
    return fillRow(out, q, ids, scores, exclude);
  }

  private open(where: string): Graph {
    if (!this.graph) throw new Error(`${where}: the index is closed; reopen it with loadIndex(dir) after save(dir)`);
    return this.graph;
  }
}

function hnswlibModule(where: string): HnswlibModule {
  const { module, reason } = loadHnswlib();
  if (!module) throw new Error(`${where}: ${reason}`);
  return module;
}

/** A Buffer's bytes as their own ArrayBuffer (typed arrays need aligned, exclusive memory). */
function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export const provider: IndexProvider = {
  kinds: ["hnswlib"],
  describe: {
    hnswlib: `HNSW graph by inner product (hnswlib-node, optional, compiled at install), approximate; options M (${HNSWLIB_DEFAULTS.M}), efConstruction (${HNSWLIB_DEFAULTS.efConstruction}), efSearch (${HNSWLIB_DEFAULTS.efSearch}; also on loadIndex), seed (${HNSWLIB_DEFAULTS.seed})`,
  },
  unavailable: () => (loadHnswlib().module ? null : loadHnswlib().reason),
  create: async (_kind, options) => HnswlibIndex.create(options),
  load: async (dir, manifest, overrides) => HnswlibIndex.load(dir, manifest, overrides),
};
