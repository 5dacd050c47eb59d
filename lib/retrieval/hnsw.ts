/** Placeholder until the hnsw index lands (replaced by its implementation). */
import type { IndexProvider } from "./provider";

export const provider: IndexProvider | null = null;
