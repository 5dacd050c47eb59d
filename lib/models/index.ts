/** Models: MF, GMF, MLP, NeuMF (each a Recommender with a fast training step), their weights, save and load. */
export type { Recommender, Factors } from "./recommender";
export { MF, resolveMFOptions, MF_WEIGHTS } from "./mf";
export type { MFOptions, MFConfig } from "./mf";
export { GMF, MLP, NeuMF, resolveGMFOptions, resolveMLPOptions, resolveNeuMFOptions, DEFAULT_FACTORS, DEFAULT_LAYERS } from "./ncf";
export type { GMFOptions, GMFConfig, MLPOptions, MLPConfig, NeuMFOptions, NeuMFConfig, PretrainedOptions } from "./ncf";
export { Model } from "./model";
export { HandWrittenModel } from "./hand-written";
export type { ForwardResult } from "./hand-written";
export { AutodiffModel, embeddingWeight, denseWeights, dense } from "./autodiff";
export type { AutodiffModelOptions, AutodiffConfig, WeightSpec, PairInputs, ForwardContext, ForwardFn } from "./autodiff";
export type { Trainable, TrainableRecommender } from "./trainable";
export type { CommonOptions } from "./options";
export type { TrainBatch } from "./batch";
export { paddedRows } from "./batch";
export { saveModel, loadModel, MODEL_CLASSES, MODEL_FORMAT, MODEL_FORMAT_VERSION } from "./io";
export type { AnyModel, ModelClassName } from "./io";
