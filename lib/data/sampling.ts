/**
 * Negative sampling for implicit feedback: items a user has not interacted with in training.
 *
 * Uniform sampling is exact and needs no rejection loop: with the user's distinct positives p_0 < ... < p_{m-1}
 * sorted, the r-th non-positive item (r uniform in [0, numItems - m)) is r + #{j : p_j - j <= r}, and p_j - j is
 * non-decreasing, so one binary search finds it. Popularity sampling draws from count^exponent with Walker's alias
 * method (O(1) per draw) and rejects the user's positives, falling back to an exact draw over the user's
 * non-positives when rejection keeps failing (users who have seen most of the popular items).
 *
 * Resample every epoch by passing a fresh stream, e.g. `sampler.sample(users, 4, rng.derive(`epoch ${e}`))`.
 */
import { Interactions } from "./interactions";
import { Rng, toRng } from "../random";

export interface NegativeSamplerOptions {
  /** "uniform" (default) over the user's non-positives, or "popularity": proportional to training count^exponent. */
  distribution?: "uniform" | "popularity";
  /** Exponent of the popularity weights (word2vec uses 0.75). Default 1. Items never seen in training get weight 0 (unless the exponent is 0). */
  exponent?: number;
}

export class NegativeSampler {
  readonly numItems: number;
  readonly distribution: "uniform" | "popularity";
  /** Distinct training items of each user, ascending. */
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  /** Sampling weight of each item (all 1 for uniform). */
  readonly weights: Float64Array;
  private readonly alias?: AliasTable;
  private readonly userIds: readonly string[];

  constructor(train: Interactions, options: NegativeSamplerOptions = {}) {
    this.numItems = train.numItems;
    this.userIds = train.userIds;
    this.distribution = options.distribution ?? "uniform";
    if (this.distribution !== "uniform" && this.distribution !== "popularity") {
      throw new Error(`NegativeSampler: distribution must be 'uniform' or 'popularity', got '${this.distribution}'`);
    }
    ({ indptr: this.indptr, indices: this.indices } = distinctItems(train));
    if (this.distribution === "popularity") {
      const exponent = options.exponent ?? 1;
      if (!(exponent >= 0) || !Number.isFinite(exponent)) throw new Error(`NegativeSampler: exponent must be a number >= 0, got ${exponent}`);
      const counts = train.itemCounts();
      this.weights = Float64Array.from(counts, (c) => Math.pow(c, exponent)); // 0^0 = 1: exponent 0 is uniform
      this.alias = new AliasTable(this.weights);
    } else {
      this.weights = new Float64Array(this.numItems).fill(1);
    }
  }

  /** True when the user has the item among their training interactions (binary search). */
  isPositive(user: number, item: number): boolean {
    const hi = this.indptr[user + 1]!;
    const at = lowerBound(this.indices, this.indptr[user]!, hi, item);
    return at < hi && this.indices[at] === item;
  }

  /**
   * `k` negatives for each entry of `users` (draws are independent, so one user's k items may repeat):
   * out[n * k + j] is the j-th negative for users[n].
   */
  sample(users: Int32Array, k: number, rngOrSeed: Rng | number): Int32Array {
    if (!Number.isInteger(k) || k < 0) throw new Error(`NegativeSampler.sample: k must be a non-negative integer, got ${k}`);
    const rng = toRng(rngOrSeed);
    const out = new Int32Array(users.length * k);
    for (let n = 0; n < users.length; n++) {
      const u = users[n]!;
      if (!(u >= 0 && u + 1 < this.indptr.length)) throw new Error(`NegativeSampler.sample: user index ${u} is outside [0, ${this.indptr.length - 1})`);
      for (let j = 0; j < k; j++) out[n * k + j] = this.one(u, rng);
    }
    return out;
  }

  /** One negative item for user u. */
  one(u: number, rng: Rng): number {
    const lo = this.indptr[u]!;
    const hi = this.indptr[u + 1]!;
    if (!this.alias) return this.uniform(u, lo, hi, rng);
    for (let attempt = 0; attempt < 64; attempt++) {
      const item = this.alias.draw(rng);
      const at = lowerBound(this.indices, lo, hi, item);
      if (at === hi || this.indices[at] !== item) return item;
    }
    return this.exactWeighted(u, lo, hi, rng);
  }

  private uniform(u: number, lo: number, hi: number, rng: Rng): number {
    const free = this.numItems - (hi - lo);
    if (free <= 0) throw new Error(`NegativeSampler: user '${this.userIds[u]}' (index ${u}) has interacted with all ${this.numItems} items, so has no negatives; remove this user before sampling`);
    const r = rng.int(free);
    // Count j with indices[lo + j] - j <= r by binary search.
    let a = 0;
    let b = hi - lo;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.indices[lo + mid]! - mid <= r) a = mid + 1;
      else b = mid;
    }
    return r + a;
  }

  private exactWeighted(u: number, lo: number, hi: number, rng: Rng): number {
    let total = 0;
    let p = lo;
    for (let i = 0; i < this.numItems; i++) {
      if (p < hi && this.indices[p] === i) p++;
      else total += this.weights[i]!;
    }
    if (!(total > 0)) {
      throw new Error(`NegativeSampler: user '${this.userIds[u]}' (index ${u}) has interacted with every item of non-zero popularity; use distribution 'uniform' or remove this user`);
    }
    let x = rng.next() * total;
    p = lo;
    let last = -1;
    for (let i = 0; i < this.numItems; i++) {
      if (p < hi && this.indices[p] === i) {
        p++;
        continue;
      }
      if (this.weights[i]! > 0) last = i;
      x -= this.weights[i]!;
      if (x < 0 && this.weights[i]! > 0) return i;
    }
    return last;
  }
}

/** Walker's alias method (Vose's construction): O(n) to build, O(1) per draw. */
export class AliasTable {
  readonly probability: Float64Array;
  readonly alias: Int32Array;

  constructor(weights: Float64Array) {
    const n = weights.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!(weights[i]! >= 0) || !Number.isFinite(weights[i]!)) throw new Error(`AliasTable: weight ${i} is ${weights[i]}; weights must be finite and >= 0`);
      total += weights[i]!;
    }
    if (!(total > 0)) throw new Error("AliasTable: all weights are zero; nothing can be drawn");
    this.probability = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = Float64Array.from(weights, (w) => (w * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = n - 1; i >= 0; i--) (scaled[i]! < 1 ? small : large).push(i);
    while (small.length && large.length) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.probability[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of large) this.probability[i] = 1;
    for (const i of small) this.probability[i] = 1; // only rounding leftovers
  }

  draw(rng: Rng): number {
    const i = rng.int(this.probability.length);
    return rng.next() < this.probability[i]! ? i : this.alias[i]!;
  }
}

export interface SampledCandidatesOptions {
  /** Negatives per test row. Default 99 (He et al. 2017). */
  numNegatives?: number;
  /** Seed or stream; the candidates are a fixed function of it. */
  rng: Rng | number;
  /** Further known positives to exclude (e.g. the validation set). */
  alsoExclude?: readonly Interactions[];
}

/**
 * Candidates for the sampled evaluation protocol (paper-reproduction mode): for each test row, numNegatives
 * distinct items drawn uniformly among the items the user has in none of train, test and alsoExclude. Returns an
 * Int32Array of length test.length * numNegatives: row t's candidates are out[t * numNegatives ...].
 */
export function sampledCandidates(train: Interactions, test: Interactions, options: SampledCandidatesOptions): Int32Array {
  const k = options.numNegatives ?? 99;
  if (!Number.isInteger(k) || k < 1) throw new Error(`sampledCandidates: numNegatives must be a positive integer, got ${k}`);
  const known = Interactions.concat([train, test, ...(options.alsoExclude ?? [])]);
  const sampler = new NegativeSampler(known);
  const rng = toRng(options.rng);
  const out = new Int32Array(test.length * k);
  const row = new Set<number>();
  for (let t = 0; t < test.length; t++) {
    const u = test.users[t]!;
    const free = known.numItems - (sampler.indptr[u + 1]! - sampler.indptr[u]!);
    if (free < k) {
      throw new Error(`sampledCandidates: user '${known.userIds[u]}' has only ${free} unknown items, fewer than the ${k} negatives asked for; lower numNegatives or drop this user`);
    }
    row.clear();
    while (row.size < k) row.add(sampler.one(u, rng));
    let j = 0;
    for (const item of row) out[t * k + j++] = item;
  }
  return out;
}

/** Distinct items of each user in CSR form (ascending). */
function distinctItems(data: Interactions): { indptr: Int32Array; indices: Int32Array } {
  const csr = data.csr();
  const indptr = new Int32Array(data.numUsers + 1);
  const indices = new Int32Array(csr.indices.length);
  let w = 0;
  for (let u = 0; u < data.numUsers; u++) {
    for (let p = csr.indptr[u]!; p < csr.indptr[u + 1]!; p++) {
      if (p === csr.indptr[u] || csr.indices[p] !== csr.indices[p - 1]) indices[w++] = csr.indices[p]!;
    }
    indptr[u + 1] = w;
  }
  return { indptr, indices: indices.slice(0, w) };
}

/** First position in [lo, hi) whose value is >= x. */
function lowerBound(a: Int32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
