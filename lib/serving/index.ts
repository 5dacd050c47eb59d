/** Serving: recommend(user, k) from a model and an index, and its HTTP server. */
export { buildCatalog, loadCatalog, saveCatalog } from "./catalog";
export type { Catalog } from "./catalog";
export { RecommendationService, RequestError, MAX_K } from "./service";
export type { Recommendation, RecommendResult } from "./service";
export { startServer } from "./server";
export type { RunningServer, ServeOptions } from "./server";
