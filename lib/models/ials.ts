/**
 * iALS: matrix factorisation of implicit feedback by alternating least squares (Hu, Koren & Volinsky, "Collaborative
 * Filtering for Implicit Feedback Datasets", ICDM 2008), in the formulation and with the tuning advice of Rendle,
 * Krichene, Zhang & Koren, "Revisiting the Performance of iALS on Item Recommendation Benchmarks", RecSys 2022,
 * following their reference code (google-research/ials: ials.py, ials_main.cc). score(u, i) = <w_u, h_i>, and
 *
 *   L(W, H) = sum_{(u,i) in S} (<w_u, h_i> - 1)^2                      observed pairs S (the binary matrix X)
 *           + alpha0 sum_{u, i} <w_u, h_i>^2                            every pair, observed or not
 *           + lambda sum_u (|I_u| + alpha0 |I|)^nu ||w_u||^2             frequency-scaled L2 (Rendle et al.)
 *           + lambda sum_i (|U_i| + alpha0 |U|)^nu ||h_i||^2
 *
 * alpha0 is the "unobserved weight". Hu et al.'s confidence form, c_ui = 1 + alpha r_ui with loss
 * sum_ui c_ui (p_ui - <w_u, h_i>)^2 + lambda_H (||W||^2 + ||H||^2), is the same model: divided by alpha it is the
 * loss above with alpha0 = 1/alpha, scores scaled by 1 + alpha0 and nu = 0, lambda = lambda_H / (1 + alpha).
 *
 * One half-step fixes H and solves every w_u exactly (L is quadratic in w_u):
 *
 *   (alpha0 G + sum_{i in I_u} h_i h_i^T + lambda_u I) w_u = sum_{i in I_u} h_i,    G = H^T H = sum_i h_i h_i^T,
 *
 * the standard trick: G is computed once per sweep, and each user adds only their own items (|I_u| d^2 instead of
 * |I| d^2), then a d x d Cholesky solve. The item half-step is the same with the roles swapped. Each half-step
 * minimises L over one side exactly, so L never increases (tested).
 *
 * Defaults (Rendle et al.): factors start N(0, (0.1)^2 / d) ("init std 0.1/sqrt(d)"); nu = 1; 16 iterations ("a
 * reasonable initial choice"); lambda = 0.007 and alpha0 = 0.3 are their reference settings for MovieLens-1M (with
 * d = 192). Their tuning advice: measure the objective and validation metrics every iteration, and grow d well
 * beyond the usual 32-64 while tuning the regularisation with it. Here d defaults to 64, about half a second of
 * CPU per sweep on ML-100K (d = 128: ~4x that). On MovieLens-100K leave-one-out (full ranking, test split, not a
 * tuning run) HR@10 / NDCG@10 were 0.151 / 0.077 with the defaults, 0.145 / 0.074 at d = 32, 0.151 / 0.078 at
 * d = 128, 0.149 / 0.078 with alpha0 = 0.1, 0.137 / 0.069 with lambda = 0.02, and 0.152 / 0.079 after only 8
 * sweeps: choose the sweeps on a validation split (MostPopular: 0.086 / 0.044).
 *
 * Speed: the per-user sums sum h_i h_i^T run in the float64 SIMD kernel of f64-kernel.ts (the items' factors are
 * gathered transposed, d x |I_u|, so the product is C -= T T^T on contiguous rows); float64 throughout.
 */
import type { Interactions } from "../data/interactions";
import type { Factors, Recommender } from "./recommender";
import { Rng } from "../random";
import { checkKnownKeys } from "./options";
import { checkPairs, checkUsers, nonNegative, positiveInteger, transposeRows, userRows, type BinaryRows } from "./binary-matrix";
import { choleskySolveInPlace } from "./linalg";
import { blockedCholesky } from "./spd-inverse";
import { createF64Kernel, type F64Kernel } from "./f64-kernel";

export interface IALSOptions {
  /** Latent dimension d. Default 64. */
  factors?: number;
  /** Sweeps (a user half-step then an item half-step) run by `fit()`. Default 16. */
  iterations?: number;
  /** lambda, the L2 weight before frequency scaling. Default 0.007. */
  l2?: number;
  /** nu, the exponent of the frequency scaling (|I_u| + alpha0 |I|)^nu of the L2 term; 0 = plain L2. Default 1. */
  frequencyScaling?: number;
  /** alpha0, the weight of every pair's <w_u, h_i>^2 (observed pairs weigh 1 on (<w_u, h_i> - 1)^2). Default 0.3. */
  unobservedWeight?: number;
  /** sigma: factors start N(0, sigma^2 / d). Default 0.1. */
  initScale?: number;
  /** Seed of the initial factors (through `derive("ials-init")`). Default 0. */
  seed?: number;
  /** Kernel of the per-user sums: "auto" (default: WebAssembly SIMD when available), "wasm" or "js". */
  kernel?: "auto" | "wasm" | "js";
}

export type IALSConfig = Required<IALSOptions>;

export const IALS_KEYS = ["factors", "iterations", "l2", "frequencyScaling", "unobservedWeight", "initScale", "seed", "kernel"] as const;

/** Defaults and checks of iALS's options, in one place. The caller's object is not modified. */
export function resolveIALSOptions(options: IALSOptions = {}): IALSConfig {
  if ("alpha" in options) {
    throw new Error(
      "IALS: unknown option 'alpha'. Hu et al.'s confidence c = 1 + alpha r is expressed here as unobservedWeight = 1 / alpha " +
        "(Rendle et al. 2022's alpha0; see lib/models/ials.ts); pass e.g. unobservedWeight: 0.3",
    );
  }
  checkKnownKeys("IALS", options, IALS_KEYS);
  const w = "IALS";
  const cfg: IALSConfig = {
    factors: positiveInteger(w, "factors", options.factors ?? 64, "pass the latent dimension, e.g. factors: 64"),
    iterations: options.iterations ?? 16,
    l2: nonNegative(w, "l2", options.l2 ?? 0.007, "pass e.g. l2: 0.007 (Rendle et al.'s MovieLens-1M value)"),
    frequencyScaling: nonNegative(w, "frequencyScaling", options.frequencyScaling ?? 1, "pass 1 (Rendle et al.) or 0 for plain L2"),
    unobservedWeight: nonNegative(w, "unobservedWeight", options.unobservedWeight ?? 0.3, "pass e.g. unobservedWeight: 0.3"),
    initScale: nonNegative(w, "initScale", options.initScale ?? 0.1, "pass e.g. initScale: 0.1 (factors start N(0, 0.1^2 / factors))"),
    seed: options.seed ?? 0,
    kernel: options.kernel ?? "auto",
  };
  if (!Number.isInteger(cfg.iterations) || cfg.iterations < 0) throw new Error(`IALS: iterations must be an integer >= 0, got ${cfg.iterations}; pass e.g. iterations: 16`);
  if (!Number.isInteger(cfg.seed)) throw new Error(`IALS: seed must be an integer, got ${cfg.seed}`);
  if (!["auto", "wasm", "js"].includes(cfg.kernel)) throw new Error(`IALS: kernel must be "auto", "wasm" or "js", got ${JSON.stringify(cfg.kernel)}`);
  if (cfg.l2 === 0 && cfg.unobservedWeight === 0) {
    throw new Error("IALS: l2 and unobservedWeight are both 0, so the least-squares systems are singular for users and items with fewer than `factors` interactions; pass l2 > 0 (e.g. 0.007)");
  }
  return cfg;
}

/** The training objective and its parts (see the file comment); `total` is what every half-step decreases. */
export interface IALSObjective {
  observed: number;
  unobserved: number;
  regularization: number;
  total: number;
}

export interface IALSIteration extends IALSObjective {
  /** 1-based count of sweeps run on this model. */
  iteration: number;
  /** Wall-clock seconds of this sweep. */
  seconds: number;
}

export interface IALSFitOptions {
  /** Sweeps to run. Default: the model's `iterations` option. */
  iterations?: number;
  /** Called after every sweep with the objective; awaited, so a notebook display can update in between. */
  onIteration?: (it: IALSIteration) => void | Promise<void>;
}

export class IALS implements Recommender {
  readonly name = "iALS";
  readonly numUsers: number;
  readonly numItems: number;
  readonly config: IALSConfig;
  /** User factors W, numUsers x d, row-major (float64; `factors()` gives float32 copies). */
  readonly userFactors: Float64Array;
  /** Item factors H, numItems x d, row-major. */
  readonly itemFactors: Float64Array;
  /** Sweeps run so far. */
  iterationsTrained = 0;
  private readonly byUser: BinaryRows;
  private readonly byItem: BinaryRows;
  private readonly solver: RowSolver;

  /** Initialises the factors from the seed; `fit()` trains. */
  constructor(train: Interactions, options: IALSOptions = {}) {
    this.config = resolveIALSOptions(options);
    this.numUsers = train.numUsers;
    this.numItems = train.numItems;
    this.byUser = userRows(train);
    this.byItem = transposeRows(this.byUser, this.numItems);
    const d = this.config.factors;
    const rng = new Rng(this.config.seed).derive("ials-init");
    const std = this.config.initScale / Math.sqrt(d);
    this.userFactors = Float64Array.from({ length: this.numUsers * d }, () => std * rng.normal());
    this.itemFactors = Float64Array.from({ length: this.numItems * d }, () => std * rng.normal());
    let longest = 0;
    for (const rows of [this.byUser, this.byItem]) {
      for (let r = 0; r + 1 < rows.indptr.length; r++) longest = Math.max(longest, rows.indptr[r + 1]! - rows.indptr[r]!);
    }
    this.solver = new RowSolver(d, longest, this.config.kernel);
  }

  /** Runs sweeps (users, then items), reporting the objective after each; returns the per-sweep history. */
  async fit(options: IALSFitOptions = {}): Promise<IALSIteration[]> {
    checkKnownKeys("IALS.fit", options, ["iterations", "onIteration"]);
    const iterations = options.iterations ?? this.config.iterations;
    if (!Number.isInteger(iterations) || iterations < 0) throw new Error(`IALS.fit: iterations must be an integer >= 0, got ${iterations}`);
    const history: IALSIteration[] = [];
    for (let t = 0; t < iterations; t++) {
      const started = performance.now();
      this.updateUsers();
      this.updateItems();
      this.iterationsTrained++;
      const it: IALSIteration = { iteration: this.iterationsTrained, ...this.objective(), seconds: (performance.now() - started) / 1000 };
      if (!Number.isFinite(it.total)) throw new Error(`IALS: the objective is ${it.total} after iteration ${it.iteration}; check the data and raise l2`);
      history.push(it);
      await options.onIteration?.(it);
      await new Promise((resolve) => setImmediate(resolve)); // let progress output and timers run between sweeps
    }
    return history;
  }

  /** Half-step: every w_u set to the exact minimiser of L with H fixed. */
  updateUsers(): void {
    this.solveSide(this.byUser, this.userFactors, this.itemFactors, this.numItems);
  }

  /** Half-step: every h_i set to the exact minimiser of L with W fixed. */
  updateItems(): void {
    this.solveSide(this.byItem, this.itemFactors, this.userFactors, this.numUsers);
  }

  /** lambda (n + alpha0 * others)^nu: the L2 weight of a row with n interactions among `others` columns. */
  l2Weight(n: number, others: number): number {
    const { l2, unobservedWeight, frequencyScaling } = this.config;
    return l2 * Math.pow(n + unobservedWeight * others, frequencyScaling);
  }

  /**
   * L(W, H) and its parts. The unobserved part is alpha0 sum_{u,i} <w_u, h_i>^2 = alpha0 <W^T W, H^T H>_F, two
   * d x d Gramians instead of |U| |I| products.
   */
  objective(): IALSObjective {
    const d = this.config.factors;
    const W = this.userFactors;
    const H = this.itemFactors;
    let observed = 0;
    const { indptr, indices } = this.byUser;
    for (let u = 0; u < this.numUsers; u++) {
      for (let p = indptr[u]!; p < indptr[u + 1]!; p++) {
        const e = rowDot(W, u * d, H, indices[p]! * d, d) - 1;
        observed += e * e;
      }
    }
    const gw = gramian(W, this.numUsers, d);
    const gh = gramian(H, this.numItems, d);
    let unobserved = 0;
    for (let k = 0; k < d * d; k++) unobserved += gw[k]! * gh[k]!;
    unobserved *= this.config.unobservedWeight;
    let regularization = 0;
    for (const [rows, F, count, others] of [
      [this.byUser, W, this.numUsers, this.numItems],
      [this.byItem, H, this.numItems, this.numUsers],
    ] as const) {
      for (let r = 0; r < count; r++) regularization += this.l2Weight(rows.indptr[r + 1]! - rows.indptr[r]!, others) * rowDot(F, r * d, F, r * d, d);
    }
    return { observed, unobserved, regularization, total: observed + unobserved + regularization };
  }

  factors(): Factors {
    return { users: Float32Array.from(this.userFactors), items: Float32Array.from(this.itemFactors), dim: this.config.factors };
  }

  async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    checkPairs(this, users, items);
    const d = this.config.factors;
    return Float32Array.from(users, (u, p) => rowDot(this.userFactors, u * d, this.itemFactors, items[p]! * d, d));
  }

  /** Scores by plain loops; evaluation uses `factors()` and one matrix product instead (lib/eval/scoring.ts). */
  async scoreAll(users: Int32Array): Promise<Float32Array> {
    checkUsers(this, users);
    const d = this.config.factors;
    const n = this.numItems;
    const out = new Float32Array(users.length * n);
    for (let b = 0; b < users.length; b++) {
      for (let i = 0; i < n; i++) out[b * n + i] = rowDot(this.userFactors, users[b]! * d, this.itemFactors, i * d, d);
    }
    return out;
  }

  /** Solves every row of `target` given the fixed `other` factors (numOthers rows); rows lists each row's columns. */
  private solveSide(rows: BinaryRows, target: Float64Array, other: Float64Array, numOthers: number): void {
    const d = this.config.factors;
    const alpha0 = this.config.unobservedWeight;
    this.solver.prepare(gramian(other, numOthers, d), alpha0);
    for (let r = 0; r + 1 < rows.indptr.length; r++) {
      const lo = rows.indptr[r]!;
      const hi = rows.indptr[r + 1]!;
      if (hi === lo) {
        // No interactions: the right-hand side is 0, so the minimiser is 0 (also when alpha0 = 0 and the L2 weight
        // (0 + 0)^nu vanishes, which leaves the system singular).
        target.fill(0, r * d, (r + 1) * d);
        continue;
      }
      const x = this.solver.solve(this.l2Weight(hi - lo, numOthers), other, rows.indices, lo, hi);
      target.set(x, r * d);
    }
  }
}

/**
 * Solves (A + lambda_r I + sum_{c in cols} f_c f_c^T) x = sum_{c in cols} f_c for one row, A = alpha0 G, on the
 * float64 kernel's heap: T = the columns' factors transposed (d4 x len: d rounded up to 4 rows, len to even, zero
 * padded), C = -(A + lambda_r I), C -= T T^T (the rank-|cols| update, SIMD), then the blocked Cholesky of -C and
 * two triangular solves. Padding rows get 1 on the diagonal, so the padded system stays SPD with solution 0 there.
 * (Measured: 5000 factorisations of 64 x 64 took 0.25 s of CPU blocked on the kernel, 0.6-0.7 s with linalg.ts's
 * scalar loops.)
 */
class RowSolver {
  private readonly kernel: F64Kernel;
  private readonly d4: number;
  private readonly stride: number;
  private readonly c0: number;
  private readonly nb: number;
  private readonly rhs: Float64Array;
  /** -(alpha0 G) padded to d4 x d4 with -1 on the padding diagonal; set by `prepare` once per half-step. */
  private readonly negA: Float64Array;

  constructor(
    private readonly d: number,
    longest: number,
    kind: "auto" | "wasm" | "js",
  ) {
    this.d4 = Math.ceil(d / 4) * 4;
    this.stride = Math.max(2, longest + (longest % 2));
    this.c0 = this.d4 * this.stride;
    // Cholesky block: a multiple of 4 dividing d4; 8 was fastest at d = 64 and 16 at d = 128 (8-32 measured).
    let nb = this.d4 <= 64 ? 8 : 16;
    while (this.d4 % nb !== 0) nb -= 4;
    this.nb = nb;
    this.kernel = createF64Kernel(this.c0 + this.d4 * this.d4, kind);
    this.rhs = new Float64Array(this.d4);
    this.negA = new Float64Array(this.d4 * this.d4);
  }

  /** Sets A = alpha0 G for the coming half-step. */
  prepare(g: Float64Array, alpha0: number): void {
    const { d, d4, negA } = this;
    negA.fill(0);
    for (let k = 0; k < d4; k++) {
      for (let l = 0; l < d4; l++) negA[k * d4 + l] = k < d && l < d ? -alpha0 * g[k * d + l]! : k === l ? -1 : 0;
    }
  }

  solve(lambda: number, f: Float64Array, cols: Int32Array, lo: number, hi: number): Float64Array {
    const { d, d4, stride, kernel, c0 } = this;
    const h = kernel.heap;
    const len = hi - lo;
    const rhs = this.rhs.fill(0);
    for (let p = lo; p < hi; p++) {
      const o = cols[p]! * d;
      const t = p - lo;
      for (let k = 0; k < d; k++) {
        const v = f[o + k]!;
        h[k * stride + t] = v;
        rhs[k]! += v;
      }
    }
    const padded = len + (len % 2);
    if (padded > len) for (let k = 0; k < d; k++) h[k * stride + len] = 0;
    h.set(this.negA, c0);
    for (let k = 0; k < d; k++) h[c0 + k * d4 + k]! -= lambda;
    // Only the lower triangle is needed: block rows of 8 (4 at the end) against the columns up to their diagonal
    // (44% fewer multiply-adds than the full square at d = 64).
    for (let r0 = 0; padded > 0 && r0 < d4; r0 += 8) {
      const rows = Math.min(8, d4 - r0);
      kernel.subNT(r0 * stride, 0, c0 + r0 * d4, rows, r0 + rows, padded, stride, stride, d4);
    }
    for (let k = 0; k < d4; k++) for (let l = 0; l <= k; l++) h[c0 + k * d4 + l] = -h[c0 + k * d4 + l]!;
    blockedCholesky(kernel, c0, d4, this.nb, "IALS");
    choleskySolveInPlace(h, d4, rhs, c0);
    return rhs.subarray(0, d);
  }
}

/** F^T F for F with `rows` rows of width d (row-major), as a full d x d matrix. */
function gramian(F: Float64Array, rows: number, d: number): Float64Array {
  const g = new Float64Array(d * d);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    for (let k = 0; k < d; k++) {
      const v = F[o + k]!;
      if (v === 0) continue;
      const gk = k * d;
      for (let l = 0; l <= k; l++) g[gk + l]! += v * F[o + l]!;
    }
  }
  for (let k = 0; k < d; k++) for (let l = 0; l < k; l++) g[l * d + k] = g[k * d + l]!;
  return g;
}

function rowDot(x: Float64Array, xo: number, y: Float64Array, yo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += x[xo + k]! * y[yo + k]!;
  return s;
}
