/** How an index implementation plugs into createIndex / loadIndex (registry.ts). */
import type { IndexManifest, VectorIndex } from "./vector-index";

/** Options of createIndex; each kind reads the ones it knows and rejects the others. */
export interface IndexOptions {
  /** Vector size. Required. */
  dim: number;
  /** Kind-specific settings (e.g. { nlist: 256 } for faiss-ivf, { efSearch: 64 } for HNSW, { url } for pgvector). */
  [setting: string]: unknown;
}

export interface IndexProvider {
  /** Kinds this provider builds, e.g. ["faiss-flat", "faiss-ivf", "faiss-hnsw"]. */
  kinds: readonly string[];
  /** One line each: what the kind is (for --help and errors). */
  describe: Readonly<Record<string, string>>;
  /** Why the provider cannot run here (a package not installed, a native addon that does not load), or null. */
  unavailable(): string | null;
  create(kind: string, options: IndexOptions): Promise<VectorIndex>;
  /** Reopen a saved index; `overrides` change settings that may differ on reopening (e.g. a search width). */
  load(dir: string, manifest: IndexManifest, overrides: Record<string, unknown>): Promise<VectorIndex>;
}
