/** recsys-lab public API: what a notebook or script imports. */
export * as tf from "@tensorflow/tfjs";
export { initBackend, describeBackend, parseBackendName, tfVersion, BACKEND_ORDER } from "./backend";
export type { BackendInfo, BackendName, InitBackendOptions } from "./backend";
export { Rng, toRng } from "./random";
export { VERSION } from "./version";
export { isQuick, notebookParams, record } from "./notebook";
export { createProgress } from "./progress";
export type { Progress, ProgressOptions } from "./progress";
export * from "./data";
export * from "./eval";
export { MostPopular, RandomRecommender } from "./models/baselines";
export type { RandomRecommenderOptions } from "./models/baselines";
export * from "./models";
export * from "./train";
export { MODEL_NAMES, createModel, trainAndEvaluate } from "./experiments/train-and-evaluate";
export type { ModelName, ModelOptions, TrainRunOptions, TrainRunResult } from "./experiments/train-and-evaluate";
export * from "./viz";
export { loadFaiss } from "./retrieval/faiss-loader";
