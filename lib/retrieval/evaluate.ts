/**
 * Retrieval evaluation: the full-ranking protocol run through an index (each test user's top-k searched with their
 * training items excluded), labelled approximate unless the index is exact; and the recall@k of an approximate index
 * against an exact one on the same queries.
 */
import type { Interactions } from "../data/interactions";
import { userItemSets } from "../eval/mask";
import { hitRate, ndcg, ranksInList } from "../eval/metrics";
import type { RetrievalVectors } from "./vectors";
import type { VectorIndex } from "./vector-index";

export interface IndexReport {
  protocol: string;
  k: number;
  hr: number;
  ndcg: number;
  usersEvaluated: number;
  /** Queries per second of the searches (batched). */
  queriesPerSecond: number;
}

/**
 * HR@k and NDCG@k of the items an index returns for each test user (training and `exclude` items left out, as full
 * ranking masks them). Headline metrics need an exact index; an approximate one is labelled so.
 */
export async function evaluateWithIndex(
  index: VectorIndex,
  vectors: RetrievalVectors,
  test: Interactions,
  options: { train: Interactions; exclude?: readonly Interactions[]; k?: number; batch?: number },
): Promise<IndexReport> {
  const k = options.k ?? 10;
  const relevant = userItemSets([test]);
  const masked = userItemSets([options.train, ...(options.exclude ?? [])], relevant);
  const users = Int32Array.from({ length: test.numUsers }, (_, u) => u).filter((u) => relevant.indptr[u + 1]! > relevant.indptr[u]!);
  const batch = options.batch ?? 1024;
  let hr = 0;
  let nd = 0;
  let seconds = 0;
  for (let s = 0; s < users.length; s += batch) {
    const block = users.subarray(s, Math.min(users.length, s + batch));
    const exclude = Array.from(block, (u) => masked.indices.subarray(masked.indptr[u]!, masked.indptr[u + 1]!));
    const queries = vectors.users(block);
    const t0 = performance.now();
    const found = await index.search(queries, k, { exclude });
    seconds += (performance.now() - t0) / 1000;
    block.forEach((u, q) => {
      const ranks = ranksInList(found.ids.subarray(q * k, (q + 1) * k), relevant.indices.subarray(relevant.indptr[u]!, relevant.indptr[u + 1]!));
      hr += hitRate(ranks, k);
      nd += ndcg(ranks, k);
    });
  }
  const n = users.length;
  return {
    protocol: `full ranking through the '${index.kind}' index (${index.isExact ? "exact" : "APPROXIMATE: missed neighbours lower the metrics"}; training items excluded)`,
    k,
    hr: hr / n,
    ndcg: nd / n,
    usersEvaluated: n,
    queriesPerSecond: n / seconds,
  };
}

/** recall@k of `approximate` against `exact` (the share of the exact top-k it finds), over the same queries. */
export async function indexRecall(approximate: VectorIndex, exact: VectorIndex, queries: Float32Array, k: number): Promise<number> {
  const [a, e] = await Promise.all([approximate.search(queries, k), exact.search(queries, k)]);
  let hits = 0;
  let total = 0;
  for (let q = 0; q < e.ids.length / k; q++) {
    const mine = new Set(Array.from(a.ids.subarray(q * k, (q + 1) * k)));
    for (const id of e.ids.subarray(q * k, (q + 1) * k)) {
      if (id < 0) continue;
      total++;
      if (mine.has(id)) hits++;
    }
  }
  return total ? hits / total : 1;
}
