/** recsys-lab public API: what a notebook or script imports. */
export * as tf from "@tensorflow/tfjs";
export { initBackend, describeBackend, parseBackendName, tfVersion, BACKEND_ORDER } from "./backend";
export type { BackendInfo, BackendName, InitBackendOptions } from "./backend";
export { Rng, toRng } from "./random";
export { embeddingLookup } from "./models/embedding";
