/**
 * Rating prediction for explicit-feedback models: predict each held-out (user, item) rating with `score` and
 * compare with the true rating. RMSE and MAE are computed over all test ratings (the standard, e.g. Netflix
 * prize); the per-user values are there for plotting, and their mean is NOT the global RMSE.
 */
import type { Interactions } from "../data/interactions";
import type { Recommender } from "../models/recommender";
import { checkSameSpace } from "./mask";
import { mae, rmse } from "./metrics";

export const RATING_PROTOCOL = "rating prediction (held-out ratings)";

export interface RatingReport {
  protocol: string;
  /** Over all test ratings. */
  rmse: number;
  mae: number;
  /** Test ratings evaluated. */
  count: number;
  /** prediction - rating, one per test row (same order as the test interactions). */
  errors: Float32Array;
  /** Users with at least one test rating, and their own RMSE, MAE and number of ratings. */
  perUser: { users: Int32Array; rmse: Float64Array; mae: Float64Array; count: Int32Array };
  usersEvaluated: number;
  /** Users without test ratings. */
  usersSkipped: number;
  seconds: number;
}

/** RMSE and MAE of `model.score` on the ratings of `test` (scored `blockSize` pairs per call; default 65536). */
export async function evaluateRatings(model: Recommender, test: Interactions, options: { blockSize?: number } = {}): Promise<RatingReport> {
  const started = performance.now();
  const blockSize = options.blockSize ?? 65536;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`evaluateRatings: blockSize must be a positive integer, got ${blockSize}`);
  checkSameSpace(test, model.numUsers, model.numItems, "evaluateRatings");
  const ratings = test.ratings;
  if (!ratings) throw new Error("evaluateRatings: the test interactions have no ratings; rating prediction needs explicit feedback (load with ratings)");
  const n = test.length;
  if (n === 0) throw new Error("evaluateRatings: the test set is empty; nothing to evaluate");
  const predictions = new Float32Array(n);
  for (let start = 0; start < n; start += blockSize) {
    const end = Math.min(n, start + blockSize);
    const p = await model.score(test.users.subarray(start, end), test.items.subarray(start, end));
    if (!(p instanceof Float32Array) || p.length !== end - start) {
      throw new Error(`evaluateRatings: ${model.name}.score returned ${p?.length} predictions for ${end - start} pairs; return one float32 per pair`);
    }
    predictions.set(p, start);
  }
  const errors = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const p = predictions[i]!;
    if (p !== p) {
      const u = test.users[i]!;
      throw new Error(`evaluateRatings: user ${test.userIds[u]} (index ${u}): the model predicted NaN for item ${test.items[i]}; check the model before evaluating`);
    }
    errors[i] = p - ratings[i]!;
  }

  // Per user: sums of squared and absolute errors in one pass over the rows.
  const sq = new Float64Array(model.numUsers);
  const abs = new Float64Array(model.numUsers);
  const cnt = new Int32Array(model.numUsers);
  for (let i = 0; i < n; i++) {
    const u = test.users[i]!;
    const e = predictions[i]! - ratings[i]!;
    sq[u] += e * e;
    abs[u] += Math.abs(e);
    cnt[u]++;
  }
  const users = Int32Array.from({ length: model.numUsers }, (_, u) => u).filter((u) => cnt[u]! > 0);
  const perUser = {
    users,
    rmse: Float64Array.from(users, (u) => Math.sqrt(sq[u]! / cnt[u]!)),
    mae: Float64Array.from(users, (u) => abs[u]! / cnt[u]!),
    count: Int32Array.from(users, (u) => cnt[u]!),
  };
  return {
    protocol: RATING_PROTOCOL,
    rmse: rmse(predictions, ratings),
    mae: mae(predictions, ratings),
    count: n,
    errors,
    perUser,
    usersEvaluated: users.length,
    usersSkipped: model.numUsers - users.length,
    seconds: (performance.now() - started) / 1000,
  };
}
