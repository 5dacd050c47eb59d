/**
 * Training examples and shuffled mini-batches, straight from typed arrays (no object per interaction).
 *
 * An epoch of implicit-feedback training: every positive (label 1) plus `negatives` sampled items for its user
 * (label 0), shuffled together, cut into batches. Call `epochBatches` once per epoch with a fresh stream
 * (`rng.derive(`epoch ${e}`)`) so the negatives and the order are resampled each epoch, reproducibly.
 */
import type { Interactions } from "./interactions";
import { NegativeSampler } from "./sampling";
import type { Rng } from "../random";

export interface Batch {
  users: Int32Array;
  items: Int32Array;
  /** 1 for positives and 0 for sampled negatives (or the ratings, with target "rating"). */
  labels: Float32Array;
  /**
   * For each example, the row of the positive interaction it was made from (a sampled negative: its positive's
   * row). Sequence-aware models read per-example context from it, e.g. the history before that interaction.
   */
  rows?: Int32Array;
}

export interface ExamplesOptions {
  /** Sampled negatives per positive. Default 4 (He et al. 2017). Must be 0 with target "rating". */
  negatives?: number;
  /** The sampler (default: a uniform one built from `positives`; build it once and reuse it across epochs). */
  sampler?: NegativeSampler;
  /** "implicit" (default): labels 1/0; "rating": labels are the ratings, no negatives (explicit regression). */
  target?: "implicit" | "rating";
  /** Stream for the negatives. */
  rng: Rng;
}

/**
 * All examples of one epoch in positive order: rows [0, n) are the positives, then for each positive p its
 * negatives at n + p * negatives + j. Use `batches` to shuffle and cut them.
 */
export function trainingExamples(positives: Interactions, options: ExamplesOptions): Batch {
  const target = options.target ?? "implicit";
  const k = options.negatives ?? (target === "rating" ? 0 : 4);
  const n = positives.length;
  if (target === "rating") {
    if (!positives.ratings) throw new Error("trainingExamples: target 'rating' needs interactions with ratings; use target 'implicit'");
    if (k !== 0) throw new Error(`trainingExamples: target 'rating' trains on the ratings alone; set negatives to 0 (got ${k})`);
    return { users: positives.users.slice(), items: positives.items.slice(), labels: positives.ratings.slice(), rows: Int32Array.from({ length: n }, (_, r) => r) };
  }
  const sampler = options.sampler ?? new NegativeSampler(positives);
  if (sampler.numItems !== positives.numItems) {
    throw new Error(`trainingExamples: the sampler was built for ${sampler.numItems} items but the positives have ${positives.numItems}`);
  }
  const total = n * (1 + k);
  const users = new Int32Array(total);
  const items = new Int32Array(total);
  const labels = new Float32Array(total);
  const rows = new Int32Array(total);
  users.set(positives.users);
  items.set(positives.items);
  labels.fill(1, 0, n);
  const negatives = sampler.sample(positives.users, k, options.rng);
  items.set(negatives, n);
  for (let p = 0; p < n; p++) {
    rows[p] = p;
    users.fill(positives.users[p]!, n + p * k, n + (p + 1) * k);
    rows.fill(p, n + p * k, n + (p + 1) * k);
  }
  return { users, items, labels, rows };
}

export interface BatchOptions {
  /** Examples per batch; the last batch holds the remainder. Default 256. */
  batchSize?: number;
  /** Stream for the shuffle; without it the examples come in order. */
  rng?: Rng;
}

/** Cuts examples into batches of batchSize (the last partial batch is kept), in a random order when rng is given. */
export function* batches(examples: Batch, options: BatchOptions = {}): Generator<Batch> {
  const size = options.batchSize ?? 256;
  if (!Number.isInteger(size) || size < 1) throw new Error(`batches: batchSize must be a positive integer, got ${size}`);
  const n = examples.users.length;
  if (examples.items.length !== n || examples.labels.length !== n) {
    throw new Error(`batches: users, items and labels differ in length (${n}, ${examples.items.length}, ${examples.labels.length})`);
  }
  const order = options.rng ? options.rng.permutation(n) : undefined;
  for (let start = 0; start < n; start += size) {
    const m = Math.min(size, n - start);
    const users = new Int32Array(m);
    const items = new Int32Array(m);
    const labels = new Float32Array(m);
    const rows = examples.rows ? new Int32Array(m) : undefined;
    for (let j = 0; j < m; j++) {
      const r = order ? order[start + j]! : start + j;
      users[j] = examples.users[r]!;
      items[j] = examples.items[r]!;
      labels[j] = examples.labels[r]!;
      if (rows) rows[j] = examples.rows![r]!;
    }
    yield rows ? { users, items, labels, rows } : { users, items, labels };
  }
}

/** One epoch: examples with fresh negatives, shuffled, in batches. Streams "negatives" and "shuffle" of rng. */
export function epochBatches(positives: Interactions, options: ExamplesOptions & { batchSize?: number }): Generator<Batch> {
  const examples = trainingExamples(positives, { ...options, rng: options.rng.derive("negatives") });
  return batches(examples, { batchSize: options.batchSize, rng: options.rng.derive("shuffle") });
}

/** Number of batches an epoch of n examples gives. */
export function numBatches(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}
