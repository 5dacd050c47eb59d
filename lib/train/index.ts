/** Training: the fit loop, batch sources, validators, losses with their own gradients, packed optimisers. */
export { fit, progressLine, epochLine, TrainingDivergedError } from "./trainer";
export type { BatchSource, BatchProgress, EarlyStoppingOptions, EpochRecord, FitOptions, History, Metrics, Validator } from "./trainer";
export { implicitBatches, inBatchBatches, pairwiseBatches, ratingBatches } from "./sources";
export type { ImplicitBatchesOptions } from "./sources";
export { rankingValidation, lossValidation, rankingMetrics } from "./validation";
export type { RankingValidationOptions, LossValidationOptions } from "./validation";
export { DataParallel, liveWorkerThreads, AUTO_MIN_BATCH } from "./parallel";
export type { DataParallelOptions, ParallelStats, ReplicaTiming, WorkersOption } from "./parallel";
