/**
 * The two databases behind the pgvector index, behind one small interface so that both run the same SQL:
 * PGlite (PostgreSQL compiled to WebAssembly, in this process) with its pgvector extension, or a PostgreSQL
 * server with pgvector reached by the `pg` client. Packages are loaded on first use; callers get the module or the
 * reason it is missing (as faiss-loader.ts does).
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import type { PGlite } from "@electric-sql/pglite";
import type { Pool, PoolClient } from "pg";

/** One connection: statements run in order, so a SET holds for the statements after it. */
export interface Session {
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Statements without parameters (e.g. several SETs) in one round trip. */
  exec(text: string): Promise<void>;
}

export interface Database {
  /** Where the data lives, for messages: "PGlite in memory", "PGlite at /data/x", "postgres://u@h:5432/db". */
  readonly where: string;
  /** Connections that can work at once (1 for PGlite). */
  readonly connections: number;
  /** Run fn on one connection. */
  session<T>(fn: (s: Session) => Promise<T>): Promise<T>;
  /** Run fn inside BEGIN ... COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(fn: (s: Session) => Promise<T>): Promise<T>;
  /** PGlite only: the whole data folder as a gzipped tar archive (after a checkpoint, so it opens without replay). */
  dump?(): Promise<Buffer>;
  close(): Promise<void>;
}

type PgliteModules = { PGlite: typeof import("@electric-sql/pglite").PGlite; vector: typeof import("@electric-sql/pglite-pgvector").vector };
type PgModule = typeof import("pg");

const PGLITE_FIX = "npm install @electric-sql/pglite@0.5.14 @electric-sql/pglite-pgvector@0.0.15 (the pgvector package pins its PGlite version exactly: install the pair)";
let pgliteCache: { module: PgliteModules | null; reason: string } | undefined;
let pgCache: { module: PgModule | null; reason: string } | undefined;

/** PGlite and its pgvector extension, or why they do not load. */
export function loadPglite(): { module: PgliteModules | null; reason: string } {
  if (pgliteCache) return pgliteCache;
  try {
    const { PGlite } = require("@electric-sql/pglite") as typeof import("@electric-sql/pglite");
    const { vector } = require("@electric-sql/pglite-pgvector") as typeof import("@electric-sql/pglite-pgvector");
    pgliteCache = { module: { PGlite, vector }, reason: "PGlite and pgvector load" };
  } catch (err) {
    pgliteCache = { module: null, reason: `PGlite with pgvector does not load (${firstLine(err)}); ${PGLITE_FIX}` };
  }
  return pgliteCache;
}

/** The `pg` client (for a PostgreSQL server), or why it does not load. */
export function loadPg(): { module: PgModule | null; reason: string } {
  if (pgCache) return pgCache;
  try {
    pgCache = { module: require("pg") as PgModule, reason: "pg loads" };
  } catch (err) {
    pgCache = { module: null, reason: `the pg client does not load (${firstLine(err)}); npm install pg` };
  }
  return pgCache;
}

function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split("\n")[0]!;
}

/** Runs callbacks one after another (PGlite is one connection: a SET made for one call must not leak into another). */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

type Queryable = Pick<PGlite, "query" | "exec">;

function pgliteSession(db: Queryable): Session {
  return {
    query: async <R>(text: string, params?: readonly unknown[]) => (await db.query<R>(text, params as unknown[] | undefined)).rows,
    exec: async (text) => {
      await db.exec(text);
    },
  };
}

/**
 * A fresh database with the vector extension created, as a gzipped data-folder archive. initdb takes seconds; the
 * first fresh database of a process is archived here so that later ones start from the archive (about 1 s).
 */
let template: Buffer | null = null;

async function startPglite(dataDir: string | undefined, archive: Buffer | null): Promise<PGlite> {
  const loaded = loadPglite();
  if (!loaded.module) throw new Error(loaded.reason);
  const { PGlite, vector } = loaded.module;
  if (dataDir && fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    throw new Error(`pgvector: dataDir ${dataDir} already holds a database; give an empty or new folder (a saved index is reopened with loadIndex(dir, { dataDir }))`);
  }
  const db = new PGlite({ dataDir, extensions: { vector }, ...(archive ? { loadDataDir: new Blob([zlib.gunzipSync(archive)]) } : {}) });
  await db.waitReady;
  return db;
}

/**
 * A PGlite instance with pgvector: new (the vector extension created; from the template after the first) or
 * restored from an archive written by dump(). Also what a test serves over the wire protocol (pglite-socket).
 */
export async function newPglite(options: { dataDir?: string; archive?: Buffer } = {}): Promise<PGlite> {
  if (options.archive) return startPglite(options.dataDir, options.archive);
  if (template) return startPglite(options.dataDir, template);
  const db = await startPglite(options.dataDir, null);
  await db.exec("CREATE EXTENSION IF NOT EXISTS vector");
  template = await dumpPglite(db);
  return db;
}

/** An in-process PGlite database (see newPglite) behind the Database interface. */
export async function openPglite(options: { dataDir?: string; archive?: Buffer }): Promise<Database> {
  const db = await newPglite(options);
  const lock = new Lock();
  const session = pgliteSession(db);
  return {
    where: options.dataDir ? `PGlite at ${options.dataDir}` : "PGlite in memory",
    connections: 1,
    session: (fn) => lock.run(() => fn(session)),
    transaction: (fn) => lock.run(() => db.transaction((tx) => fn(pgliteSession(tx)))),
    dump: () => lock.run(() => dumpPglite(db)),
    close: () => lock.run(async () => (db.closed ? undefined : db.close())),
  };
}

async function dumpPglite(db: PGlite): Promise<Buffer> {
  // A checkpoint first: the archive then opens without replaying the write-ahead log.
  await db.exec("CHECKPOINT");
  const tar = Buffer.from(await (await db.dumpDataDir("none")).arrayBuffer());
  // Level 1: most of the archive is pre-allocated WAL segments and index pages; higher levels gain little, cost 3x.
  return zlib.gzipSync(tar, { level: 1 });
}

function clientSession(client: PoolClient): Session {
  return {
    query: async <R>(text: string, params?: readonly unknown[]) => (await client.query(text, params as unknown[] | undefined)).rows as R[],
    exec: async (text) => {
      await client.query(text);
    },
  };
}

/** A PostgreSQL server (with pgvector installed) through a pool of `connections` pg clients. */
export async function openServer(url: string, connections: number): Promise<Database> {
  const loaded = loadPg();
  if (!loaded.module) throw new Error(`pgvector { url }: ${loaded.reason}`);
  const pool: Pool = new loaded.module.Pool({ connectionString: url, max: connections });
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would end the process. The
  // next query on the pool reports the problem instead.
  pool.on("error", () => undefined);
  const session = async <T>(fn: (s: Session) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(clientSession(client));
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      // A client that failed mid-transaction or lost its socket is discarded rather than reused.
      client.release(broken && !(broken as { code?: string }).code ? broken : undefined);
    }
  };
  try {
    await session(async (s) => s.query("SELECT 1"));
  } catch (err) {
    await pool.end();
    throw new Error(`pgvector: cannot connect to ${redactUrl(url)} (${firstLine(err)}); check the url option ("postgres://user@host:port/db"; the password can come from PGPASSWORD)`);
  }
  return {
    where: redactUrl(url),
    connections,
    session,
    transaction: (fn) =>
      session(async (s) => {
        await s.exec("BEGIN");
        try {
          const result = await fn(s);
          await s.exec("COMMIT");
          return result;
        } catch (err) {
          await s.exec("ROLLBACK").catch(() => undefined);
          throw err;
        }
      }),
    close: async () => {
      if (!pool.ended) await pool.end();
    },
  };
}

/** The url without its password (what index.json and messages may show). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = "";
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, "@");
  }
}
