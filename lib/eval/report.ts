/**
 * What ranking evaluators return: the means (for tables), the per-user values (for plotting distributions),
 * and enough context (protocol, k, tie policy, counts) that a number is never quoted without its protocol.
 */
import { auc, averagePrecision, hitRate, ndcg, precision, recall, reciprocalRank } from "./metrics";

/** Mean metrics over the evaluated users (or test cases, for the sampled protocol). */
export interface RankingMetrics {
  /** HR@k. */
  hr: number;
  /** Recall@k (denominator |rel|). */
  recall: number;
  /** Precision@k (denominator k). */
  precision: number;
  /** NDCG@k (log2, binary gain, IDCG over min(|rel|, k)). */
  ndcg: number;
  /** MAP@k (AP denominator min(|rel|, k)). */
  map: number;
  /** MRR@k (0 when the first relevant item is beyond k). */
  mrr: number;
  /** AUC over the full candidate set (pessimistic ties); mean over users that have irrelevant candidates. */
  auc: number;
  /** Catalog coverage of the top-k lists (full ranking only). */
  coverage?: number;
  /** Average recommendation popularity of the top-k lists, in training interactions per item (full ranking only). */
  averagePopularity?: number;
}

/** One entry per evaluated user (full ranking) or per test interaction (sampled), aligned with `users`. */
export interface PerUserValues {
  users: Int32Array;
  /** Pessimistic rank of the best-placed relevant item (1 = top). */
  rank: Int32Array;
  /** Distinct relevant (held-out) items. */
  numRelevant: Int32Array;
  /** Candidates ranked (relevant included, masked items excluded). */
  numCandidates: Int32Array;
  hr: Float64Array;
  recall: Float64Array;
  precision: Float64Array;
  ndcg: Float64Array;
  map: Float64Array;
  mrr: Float64Array;
  /** NaN when the user has no irrelevant candidate. */
  auc: Float64Array;
  /** Mean training popularity of the user's top-k list (full ranking only). */
  popularity?: Float64Array;
}

export interface RankingReport {
  /** Human-readable protocol, e.g. "full ranking (all items; training and excluded items masked)". */
  protocol: string;
  k: number;
  /** Always "pessimistic": a relevant item is placed after every candidate with an equal score. */
  ties: "pessimistic";
  metrics: RankingMetrics;
  /** Distinct users with at least one test item that were evaluated. */
  usersEvaluated: number;
  /** Users without test items (excluded from every mean). */
  usersSkipped: number;
  /** Entries in `perUser`: users (full ranking) or test interactions (sampled). */
  casesEvaluated: number;
  perUser: PerUserValues;
  /** Top-k lists, [casesEvaluated x k] row-major, -1 padded (full ranking only). */
  lists?: Int32Array;
  /** "factors" (one matrix product per block), "scoreAll" or "score" (sampled: per-pair scores). */
  scoring: "factors" | "scoreAll" | "score";
  /** Threads that ranked (full ranking: 1 unless the kernel ran on several; see FullRankingOptions.threads). */
  threads?: number;
  /** Full ranking with the kernel: where the time went (lib/eval/rank-parallel.ts, KernelTimings). */
  timings?: { setup: number; products: number; ranking: number; waiting: number; threadBusy: number[] };
  /** Wall-clock seconds of the evaluation. */
  seconds: number;
}

export function allocPerUser(n: number, withPopularity: boolean): PerUserValues {
  const values: PerUserValues = {
    users: new Int32Array(n),
    rank: new Int32Array(n),
    numRelevant: new Int32Array(n),
    numCandidates: new Int32Array(n),
    hr: new Float64Array(n),
    recall: new Float64Array(n),
    precision: new Float64Array(n),
    ndcg: new Float64Array(n),
    map: new Float64Array(n),
    mrr: new Float64Array(n),
    auc: new Float64Array(n),
  };
  if (withPopularity) values.popularity = new Float64Array(n);
  return values;
}

/** Mean of the finite-or-not-NaN entries (NaN marks "undefined for this user"); NaN if none. */
export function meanDefined(values: Float64Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : NaN;
}

/** Means of the accuracy metrics over the cases. */
export function meanMetrics(p: PerUserValues): RankingMetrics {
  return {
    hr: meanDefined(p.hr),
    recall: meanDefined(p.recall),
    precision: meanDefined(p.precision),
    ndcg: meanDefined(p.ndcg),
    map: meanDefined(p.map),
    mrr: meanDefined(p.mrr),
    auc: meanDefined(p.auc),
  };
}

/**
 * Store the metrics of one case (index `at`) from its ascending pessimistic ranks: one implementation of each
 * metric, the pure functions of metrics.ts, for every protocol.
 */
export function recordCase(p: PerUserValues, at: number, user: number, ranks: Float64Array, numCandidates: number, k: number): void {
  p.users[at] = user;
  p.rank[at] = ranks[0]!;
  p.numRelevant[at] = ranks.length;
  p.numCandidates[at] = numCandidates;
  p.hr[at] = hitRate(ranks, k);
  p.recall[at] = recall(ranks, k);
  p.precision[at] = precision(ranks, k);
  p.ndcg[at] = ndcg(ranks, k);
  p.map[at] = averagePrecision(ranks, k);
  p.mrr[at] = reciprocalRank(ranks, k);
  p.auc[at] = auc(ranks, numCandidates);
}
