/**
 * Sampled evaluation — for reproducing papers only, and labelled as such in every report.
 *
 * Each test interaction (u, i) is ranked against a fixed list of sampled negative items for u (99 in the NCF
 * paper, He et al. WWW 2017): candidates = {i} + negatives. Ranks are pessimistic on ties, as in full ranking:
 * rank = 1 + |{negatives n : score(u, n) >= score(u, i)}|, each listed negative counting once.
 *
 * Why it is not the default: with 100 candidates instead of thousands, HR@10 and NDCG@10 measure something else
 * (roughly, AUC-like quality of the whole ranking rather than its top), inflate every model, and can order models
 * differently from the full-ranking metrics they are meant to approximate (Krichene & Rendle, KDD 2020).
 *
 * The negatives are an input, so that every model sees the same candidates: draw them once with a seed from the
 * items the user never interacted with in any split, with `sampledCandidates(train, test, { rng })` (lib/data).
 */
import type { Interactions } from "../data/interactions";
import type { Recommender } from "../models/recommender";
import { checkSameSpace } from "./mask";
import { allocPerUser, meanMetrics, recordCase, type RankingReport } from "./report";

export function sampledProtocol(numNegatives: number): string {
  return `sampled (paper reproduction: 1 held-out + ${numNegatives} sampled negatives)`;
}

export interface SampledOptions {
  /** Negative items per test interaction, row-major [test.length x numNegatives]: row r goes with test row r. */
  negatives: Int32Array;
  /** Cut-off for the @k metrics. Default: 10. */
  k?: number;
  /** Test interactions scored per `score` call. Default: 8192. */
  blockSize?: number;
}

/**
 * Rank each test interaction's item among its sampled negatives and compute HR, recall, precision, NDCG, MAP,
 * MRR at k and AUC over the 1 + numNegatives candidates. One case per test interaction (leave-one-out: one per
 * user). A NaN score is an error naming the user.
 */
export async function evaluateSampled(model: Recommender, test: Interactions, options: SampledOptions): Promise<RankingReport> {
  const started = performance.now();
  const { negatives } = options;
  const k = options.k ?? 10;
  const blockSize = options.blockSize ?? 8192;
  if (!Number.isInteger(k) || k < 1) throw new Error(`evaluateSampled: k must be a positive integer, got ${k}`);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`evaluateSampled: blockSize must be a positive integer, got ${blockSize}`);
  checkSameSpace(test, model.numUsers, model.numItems, "evaluateSampled");
  const cases = test.length;
  if (cases === 0) throw new Error("evaluateSampled: the test set is empty; nothing to evaluate");
  const m = negatives.length / cases;
  if (!Number.isInteger(m) || m < 1) {
    throw new Error(
      `evaluateSampled: negatives has ${negatives.length} entries for ${cases} test interactions; pass [numTest x numNegatives] ` +
        "(e.g. 99 per test interaction), row r for test row r",
    );
  }
  for (let c = 0; c < cases; c++) {
    const positive = test.items[c]!;
    for (let j = c * m; j < (c + 1) * m; j++) {
      const item = negatives[j]!;
      if (!(item >= 0 && item < model.numItems)) throw new Error(`evaluateSampled: negatives[${j}] = ${item} is outside [0, ${model.numItems})`);
      if (item === positive) {
        throw new Error(
          `evaluateSampled: negatives of test row ${c} (user ${test.userIds[test.users[c]!]}) contain its held-out item ${item}; sample negatives from items the user never interacted with`,
        );
      }
    }
  }

  const width = m + 1;
  const perUser = allocPerUser(cases, false);
  const rank = new Float64Array(1);
  const seen = new Uint8Array(model.numUsers);
  let distinctUsers = 0;
  for (let start = 0; start < cases; start += blockSize) {
    const end = Math.min(cases, start + blockSize);
    const pairs = (end - start) * width;
    const users = new Int32Array(pairs);
    const items = new Int32Array(pairs);
    for (let c = start, o = 0; c < end; c++) {
      users.fill(test.users[c]!, o, o + width);
      items[o] = test.items[c]!;
      items.set(negatives.subarray(c * m, (c + 1) * m), o + 1);
      o += width;
    }
    const scores = await model.score(users, items);
    if (!(scores instanceof Float32Array) || scores.length !== pairs) {
      throw new Error(`evaluateSampled: ${model.name}.score returned ${scores?.length} scores for ${pairs} pairs; return one float32 per pair`);
    }
    for (let c = start, o = 0; c < end; c++, o += width) {
      const u = test.users[c]!;
      const t = scores[o]!;
      let above = 0;
      for (let j = o; j < o + width; j++) {
        const s = scores[j]!;
        if (s !== s) throw new Error(`evaluateSampled: user ${test.userIds[u]} (index ${u}): the model scored item ${items[j]} as NaN; check the model before evaluating`);
        if (s >= t) above++;
      }
      // `above` counted the held-out item itself; every negative with an equal score goes before it (pessimistic).
      rank[0] = above;
      recordCase(perUser, c, u, rank, width, k);
      if (!seen[u]) {
        seen[u] = 1;
        distinctUsers++;
      }
    }
  }
  return {
    protocol: sampledProtocol(m),
    k,
    ties: "pessimistic",
    metrics: meanMetrics(perUser),
    usersEvaluated: distinctUsers,
    usersSkipped: model.numUsers - distinctUsers,
    casesEvaluated: cases,
    perUser,
    scoring: "score",
    seconds: (performance.now() - started) / 1000,
  };
}
