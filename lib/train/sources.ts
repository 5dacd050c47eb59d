/**
 * Batch sources for `fit`, built on the data layer (lib/data): implicit feedback with sampled negatives
 * resampled every epoch (pointwise, for "bce"), (user, positive, negative) triples (pairwise, for "bpr"), and
 * explicit ratings (for "mse").
 */
import type { Interactions } from "../data/interactions";
import { NegativeSampler } from "../data/sampling";
import { batches, epochBatches, numBatches, trainingExamples } from "../data/batches";
import type { TrainBatch } from "../models/batch";
import type { Rng } from "../random";
import type { BatchSource } from "./trainer";

export interface ImplicitBatchesOptions {
  /** Sampled negatives per positive, fresh every epoch. Default 4 (He et al. 2017). */
  negatives?: number;
  /** Default 256. */
  batchSize?: number;
  /** Negative sampler (default: uniform over each user's non-training items, built once from `train`). */
  sampler?: NegativeSampler;
}

/** Every positive of `train` (label 1) plus `negatives` sampled items per positive (label 0), shuffled, each epoch. */
export function implicitBatches(train: Interactions, options: ImplicitBatchesOptions = {}): BatchSource {
  const negatives = options.negatives ?? 4;
  const batchSize = options.batchSize ?? 256;
  const sampler = options.sampler ?? new NegativeSampler(train);
  const examples = train.length * (1 + negatives);
  return {
    epoch: (_e: number, rng: Rng) => epochBatches(train, { negatives, batchSize, sampler, rng }),
    batchesPerEpoch: numBatches(examples, batchSize),
    examplesPerEpoch: examples,
    loss: "bce",
  };
}

/** For pairwise losses ("bpr"): every positive (u, i) of `train` with one sampled negative j, shuffled, each epoch. */
export function pairwiseBatches(train: Interactions, options: Omit<ImplicitBatchesOptions, "negatives"> = {}): BatchSource {
  const batchSize = options.batchSize ?? 256;
  const sampler = options.sampler ?? new NegativeSampler(train);
  return {
    epoch: (_e: number, rng: Rng) => pairGenerator(train, sampler, batchSize, rng),
    batchesPerEpoch: numBatches(train.length, batchSize),
    examplesPerEpoch: train.length,
    loss: "bpr",
  };
}

function* pairGenerator(train: Interactions, sampler: NegativeSampler, batchSize: number, rng: Rng): Generator<TrainBatch> {
  const negatives = sampler.sample(train.users, 1, rng.derive("negatives"));
  const order = rng.derive("shuffle").permutation(train.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const m = Math.min(batchSize, order.length - s);
    const users = new Int32Array(m);
    const items = new Int32Array(m);
    const negItems = new Int32Array(m);
    const rows = new Int32Array(m);
    for (let j = 0; j < m; j++) {
      const r = order[s + j]!;
      users[j] = train.users[r]!;
      items[j] = train.items[r]!;
      negItems[j] = negatives[r]!;
      rows[j] = r;
    }
    yield { users, items, negItems, rows };
  }
}

/**
 * For in-batch losses ("softmax", two-tower retrieval): every positive of `train` once per epoch, shuffled, with
 * its row (for the user's history before it) and no sampled negatives: the other positives of each batch are the
 * negatives. Batches should be large (the reference uses 512): each example sees batchSize - 1 negatives.
 */
export function inBatchBatches(train: Interactions, options: { batchSize?: number } = {}): BatchSource {
  const batchSize = options.batchSize ?? 512;
  return {
    epoch: (_e: number, rng: Rng) => positiveGenerator(train, batchSize, rng),
    batchesPerEpoch: numBatches(train.length, batchSize),
    examplesPerEpoch: train.length,
    loss: "softmax",
  };
}

function* positiveGenerator(train: Interactions, batchSize: number, rng: Rng): Generator<TrainBatch> {
  const order = rng.derive("shuffle").permutation(train.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const rows = order.slice(s, Math.min(order.length, s + batchSize));
    yield { users: Int32Array.from(rows, (r) => train.users[r]!), items: Int32Array.from(rows, (r) => train.items[r]!), rows };
  }
}

/** Explicit ratings (for "mse"): every rated pair of `train`, shuffled each epoch. */
export function ratingBatches(train: Interactions, options: { batchSize?: number } = {}): BatchSource {
  const batchSize = options.batchSize ?? 256;
  if (!train.ratings) throw new Error("ratingBatches: these interactions have no ratings; use implicitBatches or pairwiseBatches");
  return {
    epoch: (_e: number, rng: Rng) => batches(trainingExamples(train, { target: "rating", negatives: 0, rng }), { batchSize, rng: rng.derive("shuffle") }),
    batchesPerEpoch: numBatches(train.length, batchSize),
    examplesPerEpoch: train.length,
    loss: "mse",
  };
}
