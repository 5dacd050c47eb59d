/**
 * Loads faiss-node, an optional native dependency (built by scripts/build-faiss-node.js against the system
 * libfaiss when its prebuilt binary cannot be downloaded). Callers get the module or the reason it is missing.
 */

export type FaissModule = typeof import("faiss-node");

let cached: { module: FaissModule | null; reason: string } | undefined;

export function loadFaiss(): { module: FaissModule | null; reason: string } {
  if (cached) return cached;
  try {
    cached = { module: require("faiss-node") as FaissModule, reason: "faiss-node loads" };
  } catch (err) {
    const msg = ((err as Error).message ?? String(err)).split("\n")[0]!;
    cached = {
      module: null,
      reason: /Cannot find module 'faiss-node'/.test(msg)
        ? "faiss-node is not installed (optional dependency)"
        : `faiss-node is installed but its native addon does not load (${msg}); install libfaiss-dev and run 'npm rebuild recsys-lab' or 'node scripts/build-faiss-node.js'`,
    };
  }
  return cached;
}
