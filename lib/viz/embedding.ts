/**
 * The 2-D map of an embedding table: every row projected on its top two principal components (pca.ts), coloured
 * by a category. Items that a model finds similar land close together; whether genres separate shows what the
 * embedding learnt without being told.
 */
import { checkLength, scatterChart, type ChartOptions, type Figure } from "./figure";
import { pca2 } from "./pca";

export const DEFAULT_MAX_POINTS = 2000;

export interface EmbeddingMapInput {
  /** Row-major [n x dim] vectors, e.g. a model's item factors. */
  vectors: ArrayLike<number>;
  dim: number;
  /** One category per row for the colour, e.g. each item's first genre. Default: one colour. */
  categories?: readonly string[];
  /** One hover label per row, e.g. titles. */
  labels?: readonly string[];
  /** Most points drawn. The PCA uses every row; the map draws evenly spaced rows (the same ones every run). Default 2000. */
  maxPoints?: number;
}

/** Item embeddings on their top two principal components, one colour per category; axes give the variance shares. */
export function embeddingMap(input: EmbeddingMapInput, options: ChartOptions = {}): Figure {
  const { vectors, dim } = input;
  const n = Math.floor(vectors.length / dim);
  if (!Number.isInteger(dim) || dim < 2) throw new Error(`embeddingMap: dim must be an integer >= 2, got ${dim}`);
  if (n * dim !== vectors.length || n === 0) throw new Error(`embeddingMap: vectors has ${vectors.length} values, not a positive multiple of dim = ${dim}`);
  if (input.categories) checkLength("embeddingMap", "categories", input.categories, n);
  if (input.labels) checkLength("embeddingMap", "labels", input.labels, n);
  const maxPoints = input.maxPoints ?? DEFAULT_MAX_POINTS;
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new Error(`embeddingMap: maxPoints must be a positive integer, got ${maxPoints}`);
  const pca = pca2(vectors, n, dim);
  const rows = evenlySpaced(n, maxPoints);
  const pick = <T>(values: ArrayLike<T>) => rows.map((r) => values[r]!);
  const share = (k: 0 | 1) => `PC${k + 1} (${(100 * pca.explained[k]).toFixed(0)}% of variance)`;
  const title = options.title ?? (rows.length < n ? `Embedding map (${rows.length} of ${n} rows)` : undefined);
  return scatterChart(
    { x: pick(pca.x), y: pick(pca.y), labels: input.labels && pick(input.labels), groups: input.categories && pick(input.categories) },
    { xTitle: share(0), yTitle: share(1), ...options, title },
  );
}

/** min(n, m) row indices spread evenly over [0, n): floor(k n / m). Deterministic, and unlike a prefix not biased to the first ids. */
export function evenlySpaced(n: number, m: number): number[] {
  if (n <= m) return Array.from({ length: n }, (_, k) => k);
  return Array.from({ length: m }, (_, k) => Math.floor((k * n) / m));
}
