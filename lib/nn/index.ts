/**
 * lib/nn: tensors, weights, gradients, losses and optimisers, and nothing of users, items or datasets (what PyTorch
 * calls torch.nn plus torch.optim). Models are built from these; the trainer drives them.
 */
export { ParamStore, PACK_LIMIT, initialValues, sizeOf } from "./params";
export type { GradMap, Initializer, ParamGroup, ParamSpec, WeightMap } from "./params";
export { embeddingLookup, pooledLookup, Bags } from "./embedding";
export type { PaddedBags, Pooling } from "./embedding";
export { dropout, dropoutMask } from "./dropout";
export { LOSSES, getLoss, pairwiseDifference } from "./losses";
export type { Loss, LossName } from "./losses";
export { Optimizer, OPTIMIZER_NAMES, optimizerOptionsOf, resolveOptimizerOptions } from "./optimizers";
export type { OptimizerName, OptimizerOptions, OptimizerState, ResolvedOptimizerOptions } from "./optimizers";
export { TrainingStep, autodiffGradients, handWrittenGradients, readGradients, summedLoss } from "./step";
export type { AutodiffPass, CompileOptions, HandWrittenPass, LossReading, StepTargets, WeightDecayFn } from "./step";
export { RecsysEmbedding, recsysEmbedding } from "./layers";
export type { RecsysEmbeddingArgs } from "./layers";
export { dense, denseWeights, embeddingWeight } from "./dense";
export type { WeightSpec } from "./dense";
export { inBatchSoftmax, StreamingFrequency } from "./retrieval";
export type { InBatchSoftmaxOptions } from "./retrieval";
