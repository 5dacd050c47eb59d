/**
 * Evaluation: pure metrics (metrics.ts, catalog.ts), ranking utilities (ranking.ts), and evaluators that know
 * models, mask training items and return per-user values plus means (full-ranking.ts, sampled.ts, rating.ts).
 */
export { auc, averagePrecision, hitRate, mae, ndcg, precision, ranksInList, recall, reciprocalRank, rmse } from "./metrics";
export { averageRecommendationPopularity, catalogCoverage, listPopularity } from "./catalog";
export { pessimisticRanks, topK } from "./ranking";
export type { TopK } from "./ranking";
export { userItemSets } from "./mask";
export type { UserItemSets } from "./mask";
export { defaultBlockSize, scoreBlocks } from "./scoring";
export type { ScoreBlock, ScoringMode } from "./scoring";
export { evaluateFullRanking, FULL_RANKING_PROTOCOL } from "./full-ranking";
export type { FullRankingOptions } from "./full-ranking";
export { disposeEvaluationThreads } from "./rank-threads";
export { evaluateSampled, sampledProtocol } from "./sampled";
export type { SampledOptions } from "./sampled";
export { evaluateRatings, RATING_PROTOCOL } from "./rating";
export type { RatingReport } from "./rating";
export type { PerUserValues, RankingMetrics, RankingReport } from "./report";
