/** How commands print numbers and test results, in one place (train and evaluate --model-dir print the same block). */
import { FULL_RANKING_PROTOCOL } from "../eval/full-ranking";
import type { TestMetrics } from "../experiments/train-and-evaluate";

/** Six decimals: enough to compare runs, short enough to read. */
export function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function roundAll(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)]));
}

/** The `test` block of a run's JSON: full ranking, the labelled sampled protocol, or ratings. */
export function testBlock(test: TestMetrics, k: number): Record<string, unknown> {
  return {
    ...(test.full ? { full: { protocol: FULL_RANKING_PROTOCOL, [`hr@${k}`]: round(test.full.hr), [`ndcg@${k}`]: round(test.full.ndcg) } } : {}),
    ...(test.sampled ? { sampled: { protocol: test.sampled.protocol, [`hr@${k}`]: round(test.sampled.hr), [`ndcg@${k}`]: round(test.sampled.ndcg) } } : {}),
    ...(test.coldStart
      ? { coldStart: { protocol: "full ranking with every item vector from its features alone (as for new items)", [`hr@${k}`]: round(test.coldStart.hr), [`ndcg@${k}`]: round(test.coldStart.ndcg) } }
      : {}),
    ...(test.ratings ? { ratings: { rmse: round(test.ratings.rmse), mae: round(test.ratings.mae) } } : {}),
    usersEvaluated: test.usersEvaluated,
  };
}
