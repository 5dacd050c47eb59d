/** Small plain-data inputs for every figure builder, shared by the builder tests (hand-made, deterministic). */
import type { AblationGrid, BatchSizePoints, EmbeddingMapInput, LearningRun, MetricBar, RecallPoint } from "../../lib/viz";

export const learningRuns: LearningRun[] = [
  { name: "no dropout", trainLoss: [0.62, 0.41, 0.3, 0.22, 0.16, 0.11], validation: [0.05, 0.081, 0.089, 0.084, 0.076, 0.07] },
  { name: "dropout 0.3", trainLoss: [0.66, 0.47, 0.39, 0.34, 0.31, 0.29], validation: [0.045, 0.078, 0.091, 0.096, 0.098, NaN] },
  { name: "dropout 0.5", trainLoss: [0.69, 0.53, 0.45, 0.41, 0.39, 0.37], validation: [0.04, 0.07, 0.084, 0.09, 0.093, 0.094] },
];

export const metricRows: MetricBar[] = [
  { model: "MostPopular", metric: "HR@10", mean: 0.155, std: 0.004 },
  { model: "MostPopular", metric: "NDCG@10", mean: 0.0885, std: 0.003 },
  { model: "MF", metric: "HR@10", mean: 0.175, low: 0.166, high: 0.186 },
  { model: "MF", metric: "NDCG@10", mean: 0.101, low: 0.095, high: 0.107 },
  { model: "NeuMF", metric: "HR@10", mean: 0.192, std: 0.008 },
  { model: "NeuMF", metric: "NDCG@10", mean: 0.1068, std: 0.005 },
];

export const ablation: AblationGrid = {
  xLabel: "dropout",
  yLabel: "L2",
  xValues: [0, 0.1, 0.3, 0.5],
  yValues: [0, 1e-6, 1e-4, 1e-2],
  values: [
    [0.081, 0.088, 0.094, 0.09],
    [0.083, 0.089, 0.095, 0.091],
    [0.087, 0.092, 0.097, 0.092],
    [0.06, 0.061, 0.058, NaN],
  ],
  valueLabel: "validation NDCG@10",
};

export const batchSizes: BatchSizePoints = {
  batchSizes: [4096, 256, 512, 1024, 2048, 128],
  metric: [0.081, 0.097, 0.096, 0.094, 0.089, 0.098],
  secondsPerEpoch: [0.9, 4.1, 2.3, 1.4, 1.1, 7.9],
  metricName: "validation NDCG@10",
};

/** 3000 items in 8 dimensions around 4 genre centres (more rows than the default cap of 2000 points). */
export function embeddingSample(): EmbeddingMapInput {
  const n = 3000;
  const dim = 8;
  const genres = ["Action", "Comedy", "Drama", "Horror"];
  const vectors = new Float32Array(n * dim);
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.6;
  const categories: string[] = [];
  for (let r = 0; r < n; r++) {
    const g = r % genres.length;
    categories.push(genres[g]!);
    for (let c = 0; c < dim; c++) vectors[r * dim + c] = (c === g ? 1.5 : c === g + 4 ? -1 : 0) + noise();
  }
  return { vectors, dim, categories, labels: categories.map((g, r) => `${g} film ${r}`) };
}

export const recallPoints: RecallPoint[] = [
  { kind: "exact", recall: 1, queriesPerSecond: 900 },
  { kind: "faiss-ivf", recall: 0.42, queriesPerSecond: 21000, width: "nprobe 1" },
  { kind: "faiss-ivf", recall: 0.86, queriesPerSecond: 9000, width: "nprobe 8" },
  { kind: "faiss-ivf", recall: 0.97, queriesPerSecond: 3500, width: "nprobe 32" },
  { kind: "hnswlib", recall: 0.93, queriesPerSecond: 40000, width: "ef 16" },
  { kind: "hnswlib", recall: 0.996, queriesPerSecond: 25600, width: "ef 64" },
  { kind: "hnswlib", recall: 0.999, queriesPerSecond: 14000, width: "ef 128" },
];
