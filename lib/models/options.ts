/**
 * The options every model takes (sizes, dropout, L2, seed), their defaults and checks in one place, and the
 * check that rejects misspelt option names.
 */

/** Options every model takes. */
export interface CommonOptions {
  /** Number of users (ids 0 .. numUsers - 1). Required. */
  numUsers: number;
  /** Number of items (ids 0 .. numItems - 1). Required. */
  numItems: number;
  /** Dropout rate on the looked-up embedding vectors while training (0 = off). Default 0. */
  embeddingDropout?: number;
  /** Dropout rate on the output of every hidden dense layer while training (0 = off). Default 0. */
  denseDropout?: number;
  /**
   * Coupled L2 weight decay on embedding tables and per-user/per-item biases, as PyTorch's `weight_decay` on Adam:
   * every step adds lambda * w to the gradient of every row, touched by the batch or not. Not the per-example
   * lambda of the MF / BPR papers (see lib/nn/optimizers.ts; for decoupled decay use the "adamw" optimiser).
   * Default 0.
   */
  embeddingL2?: number;
  /** Coupled L2 weight decay on dense layers, output layer and global bias, same convention. Default 0. */
  denseL2?: number;
  /** Seed of the initial weights and of the dropout masks. Default 0. */
  seed?: number;
}

export type ResolvedCommon = Required<CommonOptions>;

export const COMMON_KEYS = ["numUsers", "numItems", "embeddingDropout", "denseDropout", "embeddingL2", "denseL2", "seed"] as const;

/** Defaults and checks of the common options, in one place. */
export function resolveCommon(where: string, o: CommonOptions): ResolvedCommon {
  const r: ResolvedCommon = {
    numUsers: o.numUsers,
    numItems: o.numItems,
    embeddingDropout: o.embeddingDropout ?? 0,
    denseDropout: o.denseDropout ?? 0,
    embeddingL2: o.embeddingL2 ?? 0,
    denseL2: o.denseL2 ?? 0,
    seed: o.seed ?? 0,
  };
  for (const k of ["numUsers", "numItems"] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new Error(`${where}: ${k} must be a positive integer, got ${r[k]}`);
  }
  for (const k of ["embeddingDropout", "denseDropout"] as const) {
    if (!(r[k] >= 0 && r[k] < 1)) throw new Error(`${where}: ${k} must be in [0, 1), got ${r[k]}`);
  }
  for (const k of ["embeddingL2", "denseL2"] as const) {
    if (!(r[k] >= 0) || !Number.isFinite(r[k])) throw new Error(`${where}: ${k} must be a number >= 0, got ${r[k]}`);
  }
  if (!Number.isInteger(r.seed)) throw new Error(`${where}: seed must be an integer, got ${r.seed}`);
  return r;
}

/** Rejects misspelt options (a catch-all that silently ignores them hides mistakes). */
export function checkKnownKeys(where: string, options: object, known: readonly string[]): void {
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new Error(`${where}: unknown option '${k}'. Valid: ${known.join(", ")}`);
  }
}
