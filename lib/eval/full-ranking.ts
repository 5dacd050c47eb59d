/**
 * Full-ranking evaluation, the kit's default protocol: every item is a candidate for every test user, except the
 * items the user has in training (and in `exclude`, e.g. validation), which are masked — but never the user's
 * own held-out items (see mask.ts). Ranks are pessimistic on ties (see ranking.ts).
 *
 * Factor models on the wasm backend are scored and ranked by a WebAssembly kernel, on one or more threads
 * (rank-parallel.ts), with the same results bit for bit as the tf.matMul path kept below (`kernel: false`).
 *
 * Why full ranking: metrics on 1 held-out item + 100 sampled negatives are not consistent with the full-ranking
 * metrics they approximate and can even order models differently (Krichene & Rendle, "On Sampled Metrics for
 * Item Recommendation", KDD 2020); Rendle et al. (RecSys 2020) re-ran the NCF comparison with a tuned dot
 * product. The sampled protocol (sampled.ts) stays available, labelled, for reproducing papers.
 */
import * as tf from "@tensorflow/tfjs";
import type { Interactions } from "../data/interactions";
import type { Recommender } from "../models/recommender";
import { averageRecommendationPopularity, catalogCoverage, listPopularity } from "./catalog";
import { checkSameSpace, userItemSets, type UserItemSets } from "./mask";
import { rankRelevant, selectTopK } from "./ranking";
import { rankKernelAvailable } from "./rank-kernel";
import { autoThreads, rankWithKernel, type KernelTimings } from "./rank-parallel";
import { allocPerUser, meanMetrics, recordCase, type PerUserValues, type RankingReport } from "./report";
import { checkFactors, resolveScoring, scoreBlocks, type ScoringMode } from "./scoring";

export const FULL_RANKING_PROTOCOL = "full ranking (all items; the user's training and excluded items masked)";

export interface FullRankingOptions {
  /** Training interactions: masked per user (except that user's test items); also the item popularity source. */
  train: Interactions;
  /** Further interactions to mask, e.g. the validation split when evaluating on test. Default: none. */
  exclude?: readonly Interactions[];
  /** Cut-off for the @k metrics and the recommended lists. Default: 10. */
  k?: number;
  /** Evaluate only these distinct users (e.g. a fixed subsample each epoch). Default: every user with a test item. */
  users?: Int32Array;
  /** Users scored per block. Default: about 4M scores per block; with the kernel, 16 users per block a thread claims. */
  blockSize?: number;
  /**
   * Threads for factor models scored by the kernel: the calling thread plus `threads - 1` pooled worker threads
   * (started on first use, reused, unref'd; `disposeEvaluationThreads()` ends them). "auto" (default): every core
   * (or RECSYS_EVAL_THREADS) when the evaluation is large (users x items x dim >= 2e8, e.g. MovieLens-1M), else 1.
   * Results are the same for any number. Models without factors() are scored through scoreAll on the calling thread.
   */
  threads?: number | "auto";
  /**
   * Score factor models with the kit's WebAssembly kernel (rank-kernel.ts: products, ranks and top-k in place,
   * bit-identical to tf.matMul on the wasm backend). Default: on when the active backend is wasm; false: one
   * tf.matMul per block on the active backend, read back and ranked in JavaScript (the evaluator before the kernel).
   */
  kernel?: boolean;
  /** @internal Tests only: one worker thread takes a block and dies with this message (stripped from the published typings). */
  crashWorkerForTest?: string;
  /**
   * "auto" (default): one matrix product via factors() when the model has them (on the active TensorFlow.js
   * backend: call initBackend() first), else scoreAll.
   */
  scoring?: ScoringMode;
}

/**
 * Rank every non-masked item for each user with test items and compute HR, recall, precision, NDCG, MAP, MRR at
 * k, AUC, catalog coverage and average recommendation popularity. Users without test items are skipped and
 * counted (`usersSkipped`). A NaN score is an error naming the user.
 */
export async function evaluateFullRanking(model: Recommender, test: Interactions, options: FullRankingOptions): Promise<RankingReport> {
  const started = performance.now();
  const { train, exclude = [] } = options;
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new Error(`evaluateFullRanking: k must be a positive integer, got ${k}`);
  const { numUsers, numItems } = model;
  for (const x of [test, train, ...exclude]) checkSameSpace(x, numUsers, numItems, "evaluateFullRanking");
  const scoring = resolveScoring(model, options.scoring);

  const relevant = userItemSets([test]);
  const masked = userItemSets([train, ...exclude], relevant);
  const requested = options.users ?? Int32Array.from({ length: numUsers }, (_, u) => u);
  const once = new Uint8Array(numUsers);
  const users = requested.filter((u) => {
    if (!(Number.isInteger(u) && u >= 0 && u < numUsers)) throw new Error(`evaluateFullRanking: user ${u} is outside [0, ${numUsers})`);
    if (once[u]++) throw new Error(`evaluateFullRanking: user ${u} is listed twice in options.users; pass distinct users`);
    return relevant.indptr[u + 1]! > relevant.indptr[u]!;
  });
  const n = users.length;
  if (n === 0) throw new Error(`evaluateFullRanking: none of the ${requested.length} requested users has a test item; nothing to evaluate`);

  const popularity = train.itemCounts();
  const threads = options.threads ?? "auto";
  if (threads !== "auto" && !(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`evaluateFullRanking: threads must be a positive integer or "auto", got ${threads}`);
  }
  const blockSize = options.blockSize;
  // Checked here for both paths (the kernel's threads would loop forever on a block size of 0).
  if (blockSize !== undefined && !(Number.isInteger(blockSize) && blockSize >= 1)) {
    throw new Error(`evaluateFullRanking: blockSize must be a positive integer, got ${blockSize}`);
  }
  if (options.kernel && !rankKernelAvailable()) {
    throw new Error("evaluateFullRanking: kernel: true, but this JavaScript engine lacks WebAssembly SIMD or SharedArrayBuffer; leave kernel unset");
  }
  const useKernel = scoring === "factors" && (options.kernel ?? (tf.engine().backendName === "wasm" && rankKernelAvailable()));
  let result: { perUser: PerUserValues; lists: Int32Array; threads: number; timings?: KernelTimings };
  if (useKernel) {
    const factors = checkFactors(model, model.factors!());
    const t = threads === "auto" ? autoThreads(n, numItems, factors.dim) : threads;
    const run = { factors, numUsers, numItems, cases: users, relevant, masked, popularity, k, threads: t, userIds: test.userIds };
    result = { ...(await rankWithKernel({ ...run, blockSize, crashForTest: options.crashWorkerForTest })), threads: t };
  } else {
    result = { ...(await rankSequential(model, users, relevant, masked, popularity, k, test.userIds, blockSize, scoring)), threads: 1 };
  }
  const { perUser, lists } = result;
  return {
    protocol: FULL_RANKING_PROTOCOL,
    k,
    ties: "pessimistic",
    metrics: {
      ...meanMetrics(perUser),
      coverage: catalogCoverage(lists, numItems),
      averagePopularity: averageRecommendationPopularity(lists, k, popularity),
    },
    usersEvaluated: n,
    usersSkipped: requested.length - n,
    casesEvaluated: n,
    perUser,
    lists,
    scoring,
    threads: result.threads,
    ...(result.timings ? { timings: result.timings } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

/** The tf path: blocks of scores from scoreBlocks (one tf.matMul, or scoreAll), ranked one user at a time here. */
async function rankSequential(
  model: Recommender,
  users: Int32Array,
  relevant: UserItemSets,
  masked: UserItemSets,
  popularity: Int32Array,
  k: number,
  userIds: readonly string[],
  blockSize: number | undefined,
  scoring: "factors" | "scoreAll",
): Promise<{ perUser: PerUserValues; lists: Int32Array }> {
  const { numUsers, numItems } = model;
  const n = users.length;
  const perUser = allocPerUser(n, true);
  const lists = new Int32Array(n * k);
  const listItems = new Int32Array(k);
  const listScores = new Float64Array(k);
  let maxRelevant = 1;
  for (let u = 0; u < numUsers; u++) maxRelevant = Math.max(maxRelevant, relevant.indptr[u + 1]! - relevant.indptr[u]!);
  const ranks = new Float64Array(maxRelevant);
  const scratch = new Float64Array(maxRelevant);
  const diff = new Int32Array(maxRelevant + 1);
  // stamp[item] === c + 1 marks the masked items of case c for the top-k selection (no clearing needed).
  const stamp = new Int32Array(numItems);

  let c = 0;
  for await (const block of scoreBlocks(model, users, { blockSize, scoring })) {
    for (let b = 0; b < block.users.length; b++, c++) {
      const u = block.users[b]!;
      const rel = relevant.indices.subarray(relevant.indptr[u]!, relevant.indptr[u + 1]!);
      const mask = masked.indices.subarray(masked.indptr[u]!, masked.indptr[u + 1]!);
      const context = `user ${userIds[u]} (index ${u})`;
      const offset = b * numItems;
      const r = ranks.subarray(0, rel.length);
      rankRelevant(block.scores, offset, numItems, rel, mask, r, scratch, diff, context);
      recordCase(perUser, c, u, r, numItems - mask.length, k);
      for (let j = 0; j < mask.length; j++) stamp[mask[j]!] = c + 1;
      selectTopK(block.scores, offset, numItems, k, stamp, c + 1, listItems, listScores, 0, context);
      lists.set(listItems, c * k);
      perUser.popularity![c] = listPopularity(lists.subarray(c * k, c * k + k), popularity);
    }
  }
  return { perUser, lists };
}
