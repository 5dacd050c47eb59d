/** Retrieval: one top-k index interface over item vectors, and the kinds behind it. */
export { ExactIndex } from "./exact";
export { createIndex, loadIndex, indexKinds, describeIndexKinds } from "./registry";
export type { IndexOptions, IndexProvider } from "./provider";
export type { IndexManifest, SearchOptions, SearchResult, VectorIndex } from "./vector-index";
export { loadFaiss } from "./faiss-loader";
export { retrievalVectors } from "./vectors";
export type { RetrievalVectors } from "./vectors";
export { evaluateWithIndex, indexRecall } from "./evaluate";
export type { IndexReport } from "./evaluate";
