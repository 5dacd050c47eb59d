/**
 * Validators for `fit`, built on the evaluation layer (lib/eval): ranking metrics (full ranking by default,
 * the sampled paper-reproduction protocol on request) and a validation loss.
 */
import { Interactions } from "../data/interactions";
import { NegativeSampler, sampledCandidates } from "../data/sampling";
import { batches, trainingExamples } from "../data/batches";
import { evaluateFullRanking } from "../eval/full-ranking";
import { evaluateSampled } from "../eval/sampled";
import type { RankingReport } from "../eval/report";
import { Rng } from "../random";
import type { LossName } from "../nn/losses";
import type { Metrics, Validator } from "./trainer";

export interface RankingValidationOptions {
  /** Training interactions: masked in full ranking, and known positives for sampled candidates. Required. */
  train: Interactions;
  /**
   * Further interactions to mask in full ranking and to keep out of sampled candidates, e.g. the validation split
   * when this validator watches the test set (so its last point equals the final test evaluation).
   */
  exclude?: readonly Interactions[];
  /** "full" (default: every item, the user's training items masked) or "sampled" (1 held-out + numNegatives). */
  protocol?: "full" | "sampled";
  /** Cut-off. Default 10. */
  k?: number;
  /** Sampled protocol: negatives per held-out interaction, drawn once (seeded) and reused every epoch. Default 99. */
  numNegatives?: number;
  /** Seed of the sampled candidates. Default 0. */
  seed?: number;
  /** Full ranking: evaluate only these users (e.g. a fixed subsample, to validate faster). */
  users?: Int32Array;
  /** Prefix of the metric names. Default "" for full ranking, "sampled " for sampled. */
  prefix?: string;
}

/** Metrics named like "ndcg@10", "hr@10", "recall@10", "mrr@10", "auc" (with the prefix). */
export function rankingMetrics(report: RankingReport, prefix = ""): Metrics {
  const k = report.k;
  const m = report.metrics;
  return {
    [`${prefix}hr@${k}`]: m.hr,
    [`${prefix}ndcg@${k}`]: m.ndcg,
    [`${prefix}recall@${k}`]: m.recall,
    [`${prefix}mrr@${k}`]: m.mrr,
    [`${prefix}auc`]: m.auc,
  };
}

export function rankingValidation(validation: Interactions, options: RankingValidationOptions): Validator {
  const protocol = options.protocol ?? "full";
  const k = options.k ?? 10;
  if (protocol === "full") {
    const prefix = options.prefix ?? "";
    return async (model) =>
      rankingMetrics(await evaluateFullRanking(model, validation, { train: options.train, exclude: options.exclude, k, users: options.users }), prefix);
  }
  if (protocol !== "sampled") throw new Error(`rankingValidation: protocol must be 'full' or 'sampled', got '${protocol}'`);
  const prefix = options.prefix ?? "sampled ";
  const known = options.exclude?.length ? Interactions.concat([options.train, ...options.exclude]) : options.train;
  const negatives = sampledCandidates(known, validation, { numNegatives: options.numNegatives ?? 99, rng: new Rng(options.seed ?? 0) });
  return async (model) => rankingMetrics(await evaluateSampled(model, validation, { negatives, k }), prefix);
}

export interface LossValidationOptions {
  /** Training interactions (their items are not sampled as negatives). Required for implicit losses. */
  train?: Interactions;
  /** Negatives per validation positive ("bce"); drawn once and reused every epoch. Default 4. */
  negatives?: number;
  /** Default: the model's compiled loss. */
  loss?: LossName;
  /** Seed of the negatives. Default 0. */
  seed?: number;
  /** Default 4096. */
  batchSize?: number;
  /** Metric name. Default "loss". */
  name?: string;
}

/**
 * Mean loss on the validation interactions (no dropout): for "bce", each positive plus `negatives` sampled
 * items (fixed across epochs); for "bpr", each positive with one sampled negative; for "mse", the ratings.
 */
export function lossValidation(validation: Interactions, options: LossValidationOptions = {}): Validator {
  const name = options.name ?? "loss";
  const batchSize = options.batchSize ?? 4096;
  const rng = new Rng(options.seed ?? 0);
  const known = options.train ? Interactions.concat([options.train, validation]) : validation;
  let cached: { loss: LossName; examples: ReturnType<typeof trainingExamples> & { negItems?: Int32Array } } | null = null;
  return (model) => {
    if (!model.evaluateLoss) throw new Error(`lossValidation: model ${model.name} has no evaluateLoss method (see lib/models/trainable.ts)`);
    const loss = options.loss ?? model.loss?.name ?? "bce";
    if (!cached || cached.loss !== loss) {
      if (loss === "mse") {
        cached = { loss, examples: trainingExamples(validation, { target: "rating", negatives: 0, rng }) };
      } else if (loss === "bpr") {
        const negItems = new NegativeSampler(known).sample(validation.users, 1, rng.derive("bpr"));
        cached = { loss, examples: { users: validation.users, items: validation.items, labels: new Float32Array(validation.length), negItems } };
      } else {
        cached = { loss, examples: trainingExamples(validation, { negatives: options.negatives ?? 4, sampler: new NegativeSampler(known), rng }) };
      }
    }
    const ex = cached.examples;
    const parts = ex.negItems
      ? chunks(ex.users.length, batchSize).map(([s, e]) => ({ users: ex.users.subarray(s, e), items: ex.items.subarray(s, e), negItems: ex.negItems!.subarray(s, e) }))
      : [...batches(ex, { batchSize })];
    return { [name]: model.evaluateLoss!(parts, loss).loss };
  };
}

function chunks(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}
