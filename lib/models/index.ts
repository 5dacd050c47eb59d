/** Models: MF, GMF, MLP, NeuMF (each a Recommender with a fast training step), their weights, save and load. */
export type { Recommender, Factors } from "./recommender";
export { embeddingLookup } from "./embedding";
export { MF, resolveMFOptions, MF_WEIGHTS } from "./mf";
export type { MFOptions, MFConfig } from "./mf";
export { GMF, MLP, NeuMF, resolveGMFOptions, resolveMLPOptions, resolveNeuMFOptions, DEFAULT_FACTORS, DEFAULT_LAYERS } from "./ncf";
export type { GMFOptions, GMFConfig, MLPOptions, MLPConfig, NeuMFOptions, NeuMFConfig, PretrainedOptions } from "./ncf";
export { TrainableModel } from "./base";
export type { CommonOptions, CompileOptions } from "./base";
export type { TrainBatch } from "./batch";
export { paddedRows } from "./batch";
export { ParamStore } from "./params";
export type { ParamGroup, ParamSpec, Initializer, WeightMap } from "./params";
export { saveModel, loadModel, MODEL_CLASSES, MODEL_FORMAT, MODEL_FORMAT_VERSION } from "./io";
export type { AnyModel, ModelClassName } from "./io";
