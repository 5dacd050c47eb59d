/**
 * The vector-database index: item vectors in a PostgreSQL table with pgvector, searched with SQL. By default the
 * database is PGlite (PostgreSQL compiled to WebAssembly, inside this process; nothing to install or run); with
 * `url` it is a PostgreSQL server with the pgvector extension. Both run the same statements (pgvector-sql.ts).
 *
 *   const index = await createIndex("pgvector", { dim: 64 });                  // HNSW, approximate
 *   const exact = await createIndex("pgvector", { dim: 64, exact: true });     // sequential scan, exact top-k
 *   const shared = await createIndex("pgvector", { dim: 64, url: "postgres://me@db:5432/recs", table: "ml_items" });
 *
 * Table: `id integer PRIMARY KEY, metadata jsonb, embedding vector(dim)`. Approximate search uses an HNSW index
 * over inner product (`vector_ip_ops`, options m and efConstruction; search width efSearch), built after the first
 * bulk load (on the first search or save) because building over loaded rows is ~3x faster than inserting into a
 * built graph. Top-k is `ORDER BY embedding <#> query LIMIT k`; `<#>` is the NEGATIVE inner product, so the score
 * is -distance. Excluded ids are filtered in SQL. A filtered HNSW scan can come back short (the excluded ids crowd
 * its candidate list); pgvector >= 0.8 then keeps scanning (hnsw.iterative_scan), and any query still short of
 * min(k, size) results is answered again by an exact scan, so k results come back whenever k exist.
 */
import * as fs from "fs";
import * as path from "path";
import { checkAdd, checkSearch, emptyResult, type IndexManifest, type SearchOptions, type SearchResult, type VectorIndex } from "./vector-index";
import type { IndexOptions, IndexProvider } from "./provider";
import { writeIndexFolder } from "./files";
import { loadPg, loadPglite, openPglite, openServer, redactUrl, type Database, type Session } from "./pgvector-db";
import { checkTableName, intArrayLiteral, quotedArrayLiteral, statements, vectorLiteral, type Statements } from "./pgvector-sql";

/** The saved PGlite database inside an index folder. */
const ARCHIVE = "database.tar.gz";
/** pgvector's limits: HNSW indexes vectors up to 2000 dimensions; m in [2, 100]; ef_* in [1, 1000]. */
const HNSW_MAX_DIM = 2000;
const MAX_EF = 1000;
/** Queries per search statement: large enough to amortise a round trip, small enough to keep statements ~1 MB. */
const QUERIES_PER_STATEMENT = 256;
/** Longer exclusion lists are searched one query per statement (see statementGroups). */
const LONG_EXCLUSION = 64;
/** Values per insert statement (2048 rows of 64). */
const VALUES_PER_INSERT = 1 << 17;

export interface PgVectorSettings {
  /** No HNSW index: every search is a sequential scan (exact top-k). */
  exact: boolean;
  /** HNSW graph degree (pgvector default 16) and build width (default 64). */
  m: number;
  efConstruction: number;
  /** HNSW candidate list at query time (raised to k when k is larger). */
  efSearch: number;
  /**
   * pgvector >= 0.8 keeps scanning a filtered HNSW search until k rows pass the exclusions (hnsw.iterative_scan);
   * false turns that off, leaving short queries to the exact scan that follows them.
   */
  iterativeScan: boolean;
  table: string;
  /** A PostgreSQL server instead of PGlite. */
  url?: string;
  /** Connections to the server (searches of many queries use them in parallel). */
  poolSize: number;
  /** PGlite's data folder on disk (default: in memory). */
  dataDir?: string;
}

const DEFAULTS = { exact: false, m: 16, efConstruction: 64, efSearch: 100, iterativeScan: true, table: "recsys_items", poolSize: 4 };
const OPTION_NAMES = ["dim", "exact", "m", "efConstruction", "efSearch", "iterativeScan", "table", "url", "poolSize", "dataDir"];
/** Settings that loadIndex may change on reopening. */
const REOPEN_NAMES = ["efSearch", "iterativeScan", "url", "poolSize", "dataDir"];

/** Per-item data kept beside the vector (e.g. { title }); null for none. */
export type ItemMetadata = Record<string, unknown> | null;

export class PgVectorIndex implements VectorIndex {
  readonly kind = "pgvector";
  readonly isExact: boolean;
  private count: number;
  /** Whether the HNSW index exists (approximate mode builds it before the first search after a bulk load). */
  private hnsw: boolean;
  private building: Promise<void> | null = null;

  private constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    readonly dim: number,
    private readonly settings: PgVectorSettings,
    /** What to SET hnsw.iterative_scan to: on/off, or null where pgvector (< 0.8) has no such setting. */
    private readonly iterativeScan: boolean | null,
    state: { count: number; hnsw: boolean },
  ) {
    this.isExact = settings.exact;
    this.count = state.count;
    this.hnsw = state.hnsw;
  }

  /** A new, empty index: creates the table (failing if it exists). */
  static async create(options: IndexOptions): Promise<PgVectorIndex> {
    const where = `createIndex("pgvector")`;
    const settings = parseSettings(where, options);
    const sql = statements(settings.table, options.dim);
    const db = await openDatabase(where, settings);
    try {
      const iterative = (await prepareExtension(db, sql)) ? settings.iterativeScan : null;
      const dims = await db.session((s) => s.query<{ dim: number }>(sql.tableDim, [settings.table]));
      if (dims.length) {
        throw new Error(`${where}: table ${settings.table} already exists in ${db.where}; choose another 'table' option, drop it, or reopen a saved index with loadIndex`);
      }
      await db.session((s) => s.exec(sql.createTable));
      return new PgVectorIndex(db, sql, options.dim, settings, iterative, { count: 0, hnsw: false });
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** Reopen a saved index: PGlite from the archive in the folder, a server by reconnecting to its table. */
  static async load(dir: string, manifest: IndexManifest, overrides: Record<string, unknown>): Promise<PgVectorIndex> {
    const where = `loadIndex(${JSON.stringify(dir)})`;
    const unknown = Object.keys(overrides).filter((k) => !REOPEN_NAMES.includes(k));
    if (unknown.length) throw new Error(`${where}: '${unknown[0]}' cannot change on reopening a pgvector index; it takes ${REOPEN_NAMES.join(", ")}`);
    const saved = manifest.settings as Partial<PgVectorSettings> & { database?: string };
    const settings = parseSettings(where, { dim: manifest.dim, ...withoutUndefined(saved, ["database"]), ...overrides });
    if (saved.database === "server" && overrides.dataDir !== undefined) throw new Error(`${where}: dataDir is for PGlite; this index lives on a server (url)`);
    if (saved.database !== "server" && overrides.url !== undefined) throw new Error(`${where}: this index was saved from PGlite; its data is in ${ARCHIVE}, not on a server`);
    const sql = statements(settings.table, manifest.dim);
    const db = saved.database === "server" ? await openDatabase(where, settings) : await openPglite({ dataDir: settings.dataDir, archive: await readArchive(where, dir) });
    try {
      const iterative = (await prepareExtension(db, sql)) ? settings.iterativeScan : null;
      const dims = await db.session((s) => s.query<{ dim: number }>(sql.tableDim, [settings.table]));
      if (!dims.length) throw new Error(`${where}: table ${settings.table} is not in ${db.where}`);
      if (dims[0]!.dim !== manifest.dim) throw new Error(`${where}: table ${settings.table} holds vectors of ${dims[0]!.dim}, index.json says ${manifest.dim}`);
      const count = (await db.session((s) => s.query<{ n: number }>(sql.count)))[0]!.n;
      const hnsw = (await db.session((s) => s.query<{ present: boolean }>(sql.hasHnsw, [sql.hnswName])))[0]!.present;
      return new PgVectorIndex(db, sql, manifest.dim, settings, iterative, { count, hnsw });
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  size(): number {
    return this.count;
  }

  /** Add items; `metadata` (one JSON object or null per id, e.g. { title }) is stored beside each vector. */
  async add(ids: ArrayLike<number>, vectors: Float32Array, metadata?: readonly ItemMetadata[]): Promise<void> {
    const where = "PgVectorIndex.add";
    checkAdd(where, this.dim, ids, vectors, () => false);
    if (metadata && metadata.length !== ids.length) throw new Error(`${where}: metadata has ${metadata.length} entries for ${ids.length} ids`);
    if (!ids.length) return;
    const present = await this.db.session((s) => s.query<{ id: number }>(this.sql.present, [intArrayLiteral(ids)]));
    if (present.length) throw new Error(`${where}: id ${present[0]!.id} is already in the index; remove it first to replace its vector`);
    // Inserting into a built graph costs ~3.7x a row's share of a fresh build (measured); a batch of a third or
    // more of the rows held is cheaper to index by building again.
    const rebuild = this.hnsw && 3 * ids.length >= this.count;
    const rows = Math.max(1, Math.floor(VALUES_PER_INSERT / this.dim));
    await this.db.transaction(async (s) => {
      if (rebuild) await s.exec(this.sql.dropHnsw);
      for (let a = 0; a < ids.length; a += rows) {
        const b = Math.min(ids.length, a + rows);
        const literals = Array.from({ length: b - a }, (_, r) => vectorLiteral(vectors, (a + r) * this.dim, this.dim));
        const meta = metadata ? JSON.stringify(metadata.slice(a, b).map((m) => m ?? null)) : null;
        await s.query(this.sql.insert, [intArrayLiteral(ids, a, b), quotedArrayLiteral(literals), meta]);
      }
    });
    if (rebuild) this.hnsw = false;
    this.count += ids.length;
  }

  async search(queries: Float32Array, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    const where = "PgVectorIndex.search";
    const n = checkSearch(where, this.dim, queries, k, options);
    for (let x = 0; x < queries.length; x++) {
      if (!Number.isFinite(queries[x]!)) throw new Error(`${where}: query ${Math.floor(x / this.dim)} has a non-finite value (${queries[x]})`);
    }
    const out = emptyResult(n, k);
    if (!n || !this.count) return out;
    if (!this.isExact) await this.ensureHnsw();
    const all = Array.from({ length: n }, (_, q) => q);
    const filled = await this.searchRows(queries, k, options, all, this.isExact, out);
    if (this.isExact) return out;
    // Queries the HNSW scan left short although more items qualify (or may: an excluded id need not be present).
    const short = all.filter((q) => filled[q]! < Math.min(k, this.count));
    for (const q of short) {
      out.ids.fill(-1, q * k, (q + 1) * k);
      out.scores.fill(NaN, q * k, (q + 1) * k);
    }
    if (short.length) await this.searchRows(queries, k, options, short, true, out);
    return out;
  }

  async remove(ids: ArrayLike<number>): Promise<void> {
    const where = "PgVectorIndex.remove";
    for (let x = 0; x < ids.length; x++) {
      const id = ids[x]!;
      if (!(Number.isInteger(id) && id >= 0 && id <= 0x7fffffff)) throw new Error(`${where}: ids[${x}] = ${id} is not an integer in [0, 2^31)`);
    }
    const unique = [...new Set(Array.from(ids))];
    if (!unique.length) return;
    await this.db.transaction(async (s) => {
      const gone = new Set((await s.query<{ id: number }>(this.sql.remove, [intArrayLiteral(unique)])).map((r) => r.id));
      const missing = unique.find((id) => !gone.has(id));
      if (missing !== undefined) throw new Error(`${where}: id ${missing} is not in the index`); // rolls the delete back
    });
    this.count -= unique.length;
  }

  /** The metadata stored with each id (null for none or for an id not in the index), in the order asked. */
  async metadata(ids: ArrayLike<number>): Promise<ItemMetadata[]> {
    if (!ids.length) return [];
    const rows = await this.db.session((s) => s.query<{ id: number; metadata: ItemMetadata }>(this.sql.metadata, [intArrayLiteral(ids)]));
    const byId = new Map(rows.map((r) => [r.id, r.metadata]));
    return Array.from(ids, (id) => byId.get(id) ?? null);
  }

  /** Build the HNSW index now if it is due (search and save do this on their own). */
  async buildIndex(): Promise<void> {
    if (!this.isExact) await this.ensureHnsw();
  }

  /**
   * PGlite: index.json and the database as one archive (database.tar.gz), written atomically beside each other.
   * Server: index.json only, naming the url (without its password) and the table; the data stays on the server.
   */
  async save(dir: string): Promise<void> {
    if (!this.isExact) await this.ensureHnsw();
    const manifest: IndexManifest = { format: "recsys-lab-index", version: 1, kind: this.kind, dim: this.dim, size: this.count, settings: this.savedSettings() };
    await writeIndexFolder(dir, manifest, this.db.dump ? { [ARCHIVE]: await this.db.dump() } : {});
  }

  /** What index.json keeps: the settings that apply to this index (a data folder is where it ran, not what it is). */
  private savedSettings(): Record<string, unknown> {
    const { exact, m, efConstruction, efSearch, iterativeScan, table, url, poolSize } = this.settings;
    const hnsw = exact ? {} : { m, efConstruction, efSearch, iterativeScan };
    if (this.db.dump) return { database: "pglite", table, exact, ...hnsw };
    return { database: "server", table, exact, ...hnsw, url: redactUrl(url!), poolSize };
  }

  async close(): Promise<void> {
    await this.building?.catch(() => undefined);
    await this.db.close();
  }

  /**
   * Search the given queries (all, or the short ones again) and write their rows into `out`; returns how many
   * results each query got. `exact` scans the table in a transaction that turns index scans off.
   */
  private async searchRows(queries: Float32Array, k: number, options: SearchOptions, which: number[], exact: boolean, out: SearchResult): Promise<Int32Array> {
    const filled = new Int32Array(out.ids.length / k);
    await forEachParallel(statementGroups(which, options), this.db.connections, async (group) => {
      const vectors = group.map((q) => vectorLiteral(queries, q * this.dim, this.dim));
      const excluded = group.map((q) => intArrayLiteral(options.exclude?.[q] ?? []));
      const [text, params] = group.length === 1 ? [this.sql.searchOne, [vectors[0], excluded[0], k]] : [this.sql.search, [quotedArrayLiteral(vectors), quotedArrayLiteral(excluded), k]];
      const run = async (s: Session) => {
        await s.exec(exact ? this.sql.exactScan : this.sql.searchSettings(this.searchWidth(group, k, options), this.iterativeScan));
        return s.query<{ q: number; id: number; distance: number }>(text, params);
      };
      const rows = exact ? await this.db.transaction(run) : await this.db.session(run);
      for (const row of rows) {
        const q = group[row.q - 1]!;
        const r = filled[q]!++;
        out.ids[q * k + r] = row.id;
        out.scores[q * k + r] = -row.distance;
      }
    });
    return filled;
  }

  /**
   * The HNSW candidate list for a statement: efSearch, deepened to k + the longest exclusion list among its queries
   * (as the other approximate indexes search k + |exclude| deep), so that excluded ids do not crowd out the k best.
   */
  private searchWidth(chunk: number[], k: number, options: SearchOptions): number {
    let excluded = 0;
    for (const q of chunk) excluded = Math.max(excluded, options.exclude?.[q]?.length ?? 0);
    return Math.min(MAX_EF, Math.max(this.settings.efSearch, k + excluded));
  }

  private ensureHnsw(): Promise<void> {
    if (this.hnsw || !this.count) return Promise.resolve();
    this.building ??= this.buildHnsw().finally(() => (this.building = null));
    return this.building;
  }

  private async buildHnsw(): Promise<void> {
    const { m, efConstruction } = this.settings;
    await this.db.session(async (s) => {
      // pgvector builds fastest when the graph fits in maintenance_work_mem (else it notices and goes on slower):
      // ask for about 1.5x the graph's estimated size, within [64 MB, 512 MB].
      const bytes = 1.5 * this.count * (4 * this.dim + 24 * m + 128);
      await s.exec(this.sql.buildMemory(Math.min(512, Math.max(64, Math.ceil(bytes / 2 ** 20)))));
      try {
        await s.exec(this.sql.buildHnsw(m, efConstruction));
      } finally {
        await s.exec(this.sql.resetBuildMemory);
      }
    });
    this.hnsw = true;
  }
}

/** Options of createIndex (or a saved index's settings with reopen overrides), checked, with defaults. */
function parseSettings(where: string, options: Record<string, unknown>): PgVectorSettings {
  const unknown = Object.keys(options).filter((k) => !OPTION_NAMES.includes(k));
  if (unknown.length) throw new Error(`${where}: unknown option '${unknown[0]}'; pgvector takes ${OPTION_NAMES.join(", ")}`);
  const dim = options.dim as number;
  const exact = options.exact ?? DEFAULTS.exact;
  if (typeof exact !== "boolean") throw new Error(`${where}: exact must be true or false, got ${JSON.stringify(exact)}`);
  if (exact) {
    const hnswOnly = ["m", "efConstruction", "efSearch", "iterativeScan"].find((k) => options[k] !== undefined);
    if (hnswOnly) throw new Error(`${where}: '${hnswOnly}' sets the HNSW index, which exact: true does not build; drop one of them`);
  } else if (dim > HNSW_MAX_DIM) {
    throw new Error(`${where}: pgvector's HNSW index takes vectors of up to ${HNSW_MAX_DIM} dimensions, got ${dim}; use exact: true or fewer dimensions`);
  }
  const m = integerIn(where, "m", options.m ?? DEFAULTS.m, 2, 100);
  const efConstruction = integerIn(where, "efConstruction", options.efConstruction ?? DEFAULTS.efConstruction, 4, MAX_EF);
  if (efConstruction < 2 * m) throw new Error(`${where}: efConstruction (${efConstruction}) must be at least 2 * m (${2 * m}) in pgvector`);
  const efSearch = integerIn(where, "efSearch", options.efSearch ?? DEFAULTS.efSearch, 1, MAX_EF);
  const iterativeScan = options.iterativeScan ?? DEFAULTS.iterativeScan;
  if (typeof iterativeScan !== "boolean") throw new Error(`${where}: iterativeScan must be true or false, got ${JSON.stringify(iterativeScan)}`);
  const table = checkTableName(where, options.table ?? DEFAULTS.table);
  const url = options.url;
  if (url !== undefined && (typeof url !== "string" || !/^postgres(ql)?:\/\//.test(url))) {
    throw new Error(`${where}: url must look like "postgres://user@host:port/db", got ${JSON.stringify(url)}`);
  }
  if (url === undefined && options.poolSize !== undefined) throw new Error(`${where}: poolSize is the number of server connections; it needs url`);
  const poolSize = integerIn(where, "poolSize", options.poolSize ?? DEFAULTS.poolSize, 1, 100);
  const dataDir = options.dataDir;
  if (dataDir !== undefined && (typeof dataDir !== "string" || !dataDir)) throw new Error(`${where}: dataDir must be a folder path, got ${JSON.stringify(dataDir)}`);
  if (url !== undefined && dataDir !== undefined) throw new Error(`${where}: give url (a server) or dataDir (PGlite on disk), not both`);
  return { exact, m, efConstruction, efSearch, iterativeScan, table, poolSize, ...(url !== undefined ? { url } : {}), ...(dataDir !== undefined ? { dataDir: path.resolve(dataDir) } : {}) };
}

function integerIn(where: string, name: string, value: unknown, lo: number, hi: number): number {
  if (!Number.isInteger(value) || (value as number) < lo || (value as number) > hi) {
    throw new Error(`${where}: ${name} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function withoutUndefined(o: Record<string, unknown>, drop: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && !drop.includes(k)));
}

function openDatabase(where: string, settings: PgVectorSettings): Promise<Database> {
  if (settings.url === undefined) return openPglite({ dataDir: settings.dataDir });
  if (!loadPg().module) throw new Error(`${where}: { url } needs the pg client: ${loadPg().reason}`);
  return openServer(settings.url, settings.poolSize);
}

async function readArchive(where: string, dir: string): Promise<Buffer> {
  try {
    return await fs.promises.readFile(path.join(dir, ARCHIVE));
  } catch (err) {
    throw new Error(`${where}: cannot read ${path.join(dir, ARCHIVE)} (${(err as Error).message}); was the folder written by the pgvector index's save()?`);
  }
}

/**
 * CREATE EXTENSION vector when it is missing (only then: a server user may use pgvector without being allowed to
 * create extensions); returns whether pgvector can keep scanning a filtered HNSW search (>= 0.8).
 */
async function prepareExtension(db: Database, sql: Statements): Promise<boolean> {
  const version = async () => (await db.session((s) => s.query<{ version: string }>(sql.extensionVersion)))[0]?.version;
  let found = await version();
  if (found === undefined) {
    try {
      await db.session((s) => s.exec(sql.extension));
    } catch (err) {
      throw new Error(`pgvector: CREATE EXTENSION vector failed in ${db.where} (${(err as Error).message}); install pgvector on the server (https://github.com/pgvector/pgvector) and create the extension as a user allowed to`);
    }
    found = (await version()) ?? "0";
  }
  const [major = 0, minor = 0] = found.split(".").map(Number);
  return major > 0 || minor >= 8;
}

/**
 * Queries grouped into statements: up to QUERIES_PER_STATEMENT per batch, except that a query excluding more than
 * LONG_EXCLUSION ids gets a statement of its own. Its list is then a bound parameter, which PostgreSQL folds into a
 * constant array and tests by hashing; in a batch each list is a per-row value tested by a linear scan, i.e.
 * rows scanned x ids excluded comparisons (measured: 40 queries excluding 2000 ids each over 4000 rows took ~25 s
 * batched).
 */
function statementGroups(which: number[], options: SearchOptions): number[][] {
  const groups: number[][] = [];
  let batch: number[] = [];
  for (const q of which) {
    if ((options.exclude?.[q]?.length ?? 0) > LONG_EXCLUSION) groups.push([q]);
    else if (batch.push(q) === QUERIES_PER_STATEMENT) {
      groups.push(batch);
      batch = [];
    }
  }
  if (batch.length) groups.push(batch);
  return groups;
}

/** Run fn over items with at most `width` calls at a time. */
async function forEachParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

export const provider: IndexProvider = {
  kinds: ["pgvector"],
  describe: {
    pgvector:
      "PostgreSQL + pgvector: in-process PGlite by default, or a server with { url }; HNSW over inner product (approximate; m, efConstruction, efSearch) or { exact: true } (sequential scan); JSONB metadata per item",
  },
  unavailable: () => {
    // Either database is enough: PGlite for the default, pg for { url }.
    if (loadPglite().module || loadPg().module) return null;
    return `${loadPglite().reason}; or, for a PostgreSQL server, ${loadPg().reason}`;
  },
  create: (_kind, options) => PgVectorIndex.create(options),
  load: (dir, manifest, overrides) => PgVectorIndex.load(dir, manifest, overrides),
};
