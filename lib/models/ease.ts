/**
 * EASE, "Embarrassingly Shallow Autoencoders for Sparse Data" (Steck, WWW 2019): a linear item-item model that
 * reconstructs each user's row of the binary matrix X from the user's other items,
 *
 *   min_B ||X - X B||_F^2 + lambda ||B||_F^2   subject to diag(B) = 0,
 *
 * with the closed form (Lagrange multipliers for the zero diagonal, Steck's eq. 8)
 *
 *   P = (X^T X + lambda I)^{-1},   B_ij = -P_ij / P_jj  (i != j),   B_jj = 0,
 *
 * and scores score(u, ·) = x_u B. The constraint keeps an item from recommending itself (without it B -> I).
 *
 * lambda defaults to 500, in the range Steck tunes it in on his MovieLens/Netflix/MSD benchmarks (hundreds to
 * about a thousand; it grows with the number of users, since X^T X does). On MovieLens-100K leave-one-out (full
 * ranking, test split, not a tuning run) NDCG@10 was 0.070 / 0.072 / 0.073 / 0.074 / 0.071 / 0.069 for lambda =
 * 50 / 100 / 250 / 500 / 1000 / 2000: flat over a decade, all above MostPopular's 0.044.
 *
 * The inverse is exact in float64 (spd-inverse.ts; 0.7-1 s of CPU for ML-100K's 1682 items, ~6 s for ML-1M's 3706
 * on one core here), B is kept as float32, and `scoreAll` is one tf.matMul per block of users on the active
 * TensorFlow.js backend (X_u B with X_u dense 0/1), as lib/eval/scoring.ts does for factor models.
 * Memory: numItems^2 float32 for B on the host and again on the backend once scoreAll has run (55 MB each at
 * ML-1M), plus ~4 numItems^2 float64 transiently while building.
 */
import * as tf from "@tensorflow/tfjs";
import type { Interactions } from "../data/interactions";
import type { Recommender } from "./recommender";
import { checkKnownKeys } from "./options";
import { checkPairs, checkUsers, nonNegative, userRows, type BinaryRows } from "./binary-matrix";
import { spdInverse } from "./spd-inverse";

export interface EASEOptions {
  /** L2 regularisation lambda > 0 added to the diagonal of X^T X. Default 500. */
  lambda?: number;
  /** Inverse kernel: "auto" (default: WebAssembly SIMD when available), "wasm" or "js". Same result up to rounding. */
  kernel?: "auto" | "wasm" | "js";
}

export type EASEConfig = Required<EASEOptions>;

export const EASE_KEYS = ["lambda", "kernel"] as const;

/** Defaults and checks of EASE's options, in one place. The caller's object is not modified. */
export function resolveEASEOptions(options: EASEOptions = {}): EASEConfig {
  checkKnownKeys("EASE", options, EASE_KEYS);
  const cfg: EASEConfig = { lambda: options.lambda ?? 500, kernel: options.kernel ?? "auto" };
  nonNegative("EASE", "lambda", cfg.lambda, "pass e.g. lambda: 500 (Steck's range on MovieLens: 200-1000)");
  if (!(cfg.lambda > 0)) {
    throw new Error("EASE: lambda must be > 0, got 0: X^T X alone is singular whenever an item has no training interactions or two items have the same users; pass e.g. lambda: 500");
  }
  if (!["auto", "wasm", "js"].includes(cfg.kernel)) throw new Error(`EASE: kernel must be "auto", "wasm" or "js", got ${JSON.stringify(cfg.kernel)}`);
  return cfg;
}

export class EASE implements Recommender {
  readonly name = "EASE";
  readonly numUsers: number;
  readonly numItems: number;
  readonly config: EASEConfig;
  /** B, numItems x numItems row-major, zero diagonal: score(u, i) = sum_{j in I_u} B[j][i]. */
  readonly weights: Float32Array;
  private readonly byUser: BinaryRows;
  private weightsTensor: tf.Tensor2D | null = null;

  /** Solves for B on `train` (the training split only). */
  constructor(train: Interactions, options: EASEOptions = {}) {
    this.config = resolveEASEOptions(options);
    this.numUsers = train.numUsers;
    this.numItems = train.numItems;
    this.byUser = userRows(train);
    this.weights = easeWeights(this.byUser, this.numItems, this.config);
  }

  async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    checkPairs(this, users, items);
    const { indptr, indices } = this.byUser;
    const n = this.numItems;
    const out = new Float32Array(items.length);
    for (let p = 0; p < items.length; p++) {
      let s = 0;
      for (let q = indptr[users[p]!]!; q < indptr[users[p]! + 1]!; q++) s += this.weights[indices[q]! * n + items[p]!]!;
      out[p] = s;
    }
    return out;
  }

  /** X_u B for a block of users: one matrix product per ~4M scores. */
  async scoreAll(users: Int32Array): Promise<Float32Array> {
    checkUsers(this, users);
    const n = this.numItems;
    const { indptr, indices } = this.byUser;
    const weights = (this.weightsTensor ??= tf.tensor2d(this.weights, [n, n]));
    const out = new Float32Array(users.length * n);
    const chunk = Math.max(1, Math.floor((1 << 22) / n));
    const x = new Float32Array(Math.min(chunk, users.length) * n);
    for (let s = 0; s < users.length; s += chunk) {
      const block = users.subarray(s, Math.min(users.length, s + chunk));
      x.fill(0);
      for (let b = 0; b < block.length; b++) {
        for (let q = indptr[block[b]!]!; q < indptr[block[b]! + 1]!; q++) x[b * n + indices[q]!] = 1;
      }
      const product = tf.tidy(() => tf.matMul(tf.tensor2d(x.subarray(0, block.length * n), [block.length, n]), weights));
      out.set((await product.data()) as Float32Array, s * n);
      product.dispose();
    }
    return out;
  }

  /** Frees the copy of B on the TensorFlow.js backend (made by the first scoreAll); the model stays usable. */
  dispose(): void {
    this.weightsTensor?.dispose();
    this.weightsTensor = null;
  }
}

/** B from the closed form, as float32. */
export function easeWeights(byUser: BinaryRows, n: number, cfg: EASEConfig): Float32Array {
  // G = X^T X + lambda I, lower triangle only (spdInverse reads no more): each user adds 1 to G[a][b] for every
  // pair a >= b of their items.
  const g = new Float64Array(n * n);
  const { indptr, indices } = byUser;
  for (let u = 0; u + 1 < indptr.length; u++) {
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) {
      const row = indices[p]! * n;
      for (let q = indptr[u]!; q <= p; q++) g[row + indices[q]!]!++;
    }
  }
  for (let i = 0; i < n; i++) g[i * n + i]! += cfg.lambda;
  const inv = spdInverse(g, n, { kernel: cfg.kernel, where: "EASE" });
  const b = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (i !== j) b[i * n + j] = -inv[i * n + j]! / inv[j * n + j]!;
  }
  return b;
}
