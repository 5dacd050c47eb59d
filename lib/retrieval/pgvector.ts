/** Placeholder until the pgvector index lands (replaced by its implementation). */
import type { IndexProvider } from "./provider";

export const provider: IndexProvider | null = null;
