/**
 * createIndex(kind, options) and loadIndex(dir): every index kind the kit knows, by name. Kinds whose package is
 * not installed (or whose native addon does not load) fail with a message that says how to get it.
 */
import { ExactIndex } from "./exact";
import { readManifest } from "./files";
import { provider as faiss } from "./faiss";
import { provider as hnsw } from "./hnsw";
import { provider as pgvector } from "./pgvector";
import type { IndexOptions, IndexProvider } from "./provider";
import type { VectorIndex } from "./vector-index";

const exact: IndexProvider = {
  kinds: ["exact"],
  describe: { exact: "built in: every item scored by a matrix product, exact top-k (no extra package)" },
  unavailable: () => null,
  create: async (_kind, options) => {
    const unknown = Object.keys(options).filter((k) => k !== "dim");
    if (unknown.length) throw new Error(`createIndex("exact"): unknown option '${unknown[0]}'; the exact index takes only dim`);
    return new ExactIndex(options.dim);
  },
  load: async (dir) => ExactIndex.load(dir),
};

const PROVIDERS: IndexProvider[] = [exact, faiss, hnsw, pgvector].filter((p): p is IndexProvider => p !== null);

function providerFor(kind: string): IndexProvider {
  const p = PROVIDERS.find((x) => x.kinds.includes(kind));
  if (!p) throw new Error(`unknown index kind '${kind}'. Kinds: ${indexKinds().join(", ")}`);
  const why = p.unavailable();
  if (why) throw new Error(`index '${kind}' is not available here: ${why}`);
  return p;
}

/** Every kind, with whether it runs here. */
export function indexKinds(): string[] {
  return PROVIDERS.flatMap((p) => [...p.kinds]);
}

/** Each kind's description and availability ("available" or the reason it is not). */
export function describeIndexKinds(): { kind: string; description: string; status: string }[] {
  return PROVIDERS.flatMap((p) => p.kinds.map((kind) => ({ kind, description: p.describe[kind] ?? "", status: p.unavailable() ?? "available" })));
}

/** A new, empty index of this kind. */
export async function createIndex(kind: string, options: IndexOptions): Promise<VectorIndex> {
  if (!Number.isInteger(options?.dim) || options.dim < 1) throw new Error(`createIndex("${kind}"): dim must be a positive integer, got ${options?.dim}`);
  return providerFor(kind).create(kind, options);
}

/** Reopen an index saved by its save(); `overrides` change reopen-time settings (e.g. { efSearch: 128 }). */
export async function loadIndex(dir: string, overrides: Record<string, unknown> = {}): Promise<VectorIndex> {
  const manifest = await readManifest(dir);
  return providerFor(manifest.kind).load(dir, manifest, overrides);
}
