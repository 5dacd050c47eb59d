/**
 * Loads faiss-node, an optional native dependency (built by scripts/build-faiss-node.js against the system
 * libfaiss when its prebuilt binary cannot be downloaded). Callers get the module or the reason it is missing.
 */

import { isMainThread } from "worker_threads";

export type FaissModule = typeof import("faiss-node");

/** What to do when faiss-node is missing or does not load (Debian/Ubuntu package names). */
const HOW_TO_GET =
  "install FAISS (Debian/Ubuntu: apt-get install libfaiss-dev libopenblas0-pthread), then run 'npm rebuild recsys-lab' or 'node scripts/build-faiss-node.js' in the project";

let cached: { module: FaissModule | null; reason: string } | undefined;

export function loadFaiss(): { module: FaissModule | null; reason: string } {
  if (cached) return cached;
  // faiss-node keeps each class's constructor in a process-wide static that every load overwrites: once a second
  // thread has loaded it, the other thread's next Index.fromFactory/read crashes the whole process (measured).
  if (!isMainThread) {
    cached = { module: null, reason: "faiss-node can only be used from the main thread (loading its addon in a worker thread as well crashes the process); search FAISS indexes from the main thread" };
    return cached;
  }
  // FAISS's OpenMP threads spin while idle and starve OpenBLAS's own threads between the blocks of a search: on 2
  // busy cores, 1000 Flat queries over 100K x 64 took 1.2-2.8 s spinning vs 0.3-0.7 s passive, and 100 queries in
  // batches of 20 took 25x longer (measured). libgomp reads this when the addon loads it; a value the user set wins.
  process.env.OMP_WAIT_POLICY ??= "PASSIVE";
  try {
    const module = require("faiss-node") as FaissModule;
    const setters = faissParams(module) ? "with recsys-lab's nprobe/efSearch setters" : `without nprobe/efSearch setters: ${NO_SETTERS}`;
    cached = { module, reason: `faiss-node loads, ${setters}` };
  } catch (err) {
    const msg = ((err as Error).message ?? String(err)).split("\n")[0]!;
    cached = {
      module: null,
      reason: /Cannot find module 'faiss-node'/.test(msg)
        ? `faiss-node is not installed (an optional dependency: install without --omit=optional); ${HOW_TO_GET}`
        : `faiss-node is installed but its native addon does not load (${msg}); ${HOW_TO_GET}`,
    };
  }
  return cached;
}

/**
 * Search-time settings that faiss-node's own API cannot set. scripts/build-faiss-node.js compiles them into the
 * addon (scripts/faiss-params.cc) when it builds faiss-node from source; a prebuilt or older build lacks them.
 */
export interface FaissParams {
  /** name: "nprobe" (IVF), "efSearch" or "efConstruction" (HNSW); throws for other names or index types. */
  setIndexParameter(index: object, name: string, value: number): void;
  /** name: "nprobe", "nlist" (IVF), "efSearch", "efConstruction" (HNSW). */
  getIndexParameter(index: object, name: string): number;
}

/** The setters when this faiss-node build has them, else null (FAISS's defaults nprobe 1 / efSearch 16 apply). */
export function faissParams(module: FaissModule): FaissParams | null {
  const m = module as unknown as Partial<FaissParams>;
  return typeof m.setIndexParameter === "function" && typeof m.getIndexParameter === "function" ? (m as FaissParams) : null;
}

/** Why the setters are missing, with the fix. */
export const NO_SETTERS =
  "this faiss-node build lacks recsys-lab's nprobe/efSearch setters (a prebuilt binary, or scripts/faiss-params.cc did not compile); run 'RECSYS_FAISS_REBUILD=1 node scripts/build-faiss-node.js' (needs libfaiss-dev) to build them";
