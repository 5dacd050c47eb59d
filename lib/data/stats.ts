/** Summary statistics of a dataset: what `recsys-lab data stats` prints. */
import type { Dataset } from "./dataset";
import { describeFeatures, type FeatureSummary } from "./features";

export interface Distribution {
  min: number;
  median: number;
  mean: number;
  max: number;
}

export interface DatasetStats {
  dataset: string;
  users: number;
  items: number;
  interactions: number;
  /**
   * Rows that repeat an earlier row's (user, item) pair (a re-rating, a second click): the rows every split merges
   * into the pair's latest row by default (their `mergedDuplicates`). 0 for ml-100k.
   */
  repeatedPairs: number;
  /** interactions / (users * items). */
  density: number;
  interactionsPerUser: Distribution;
  interactionsPerItem: Distribution;
  ratings: (Distribution & { values: Record<string, number> }) | null;
  timestamps: { first: string; last: string } | null;
  userFeatures: FeatureSummary[];
  itemFeatures: FeatureSummary[];
  source: string;
}

export function datasetStats(d: Dataset): DatasetStats {
  const x = d.interactions;
  let ratings: DatasetStats["ratings"] = null;
  if (x.ratings) {
    const values: Record<string, number> = {};
    for (const r of x.ratings) values[String(r)] = (values[String(r)] ?? 0) + 1;
    const sortedValues = Object.fromEntries(Object.entries(values).sort((a, b) => Number(a[0]) - Number(b[0])));
    ratings = { ...distribution(x.ratings), values: sortedValues };
  }
  let timestamps: DatasetStats["timestamps"] = null;
  if (x.timestamps && x.length) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of x.timestamps) {
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    timestamps = { first: new Date(lo * 1000).toISOString(), last: new Date(hi * 1000).toISOString() };
  }
  return {
    dataset: d.name,
    users: x.numUsers,
    items: x.numItems,
    interactions: x.length,
    repeatedPairs: x.length - x.deduplicate().length,
    density: Number(x.density.toPrecision(4)),
    interactionsPerUser: distribution(x.userCounts()),
    interactionsPerItem: distribution(x.itemCounts()),
    ratings,
    timestamps,
    userFeatures: describeFeatures(d.userFeatures),
    itemFeatures: describeFeatures(d.itemFeatures),
    source: d.source,
  };
}

/** min / median (mean of the middle two for an even count) / mean / max. */
export function distribution(values: ArrayLike<number>): Distribution {
  const n = values.length;
  if (!n) return { min: NaN, median: NaN, mean: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { min: sorted[0]!, median, mean: Number((sum / n).toFixed(4)), max: sorted[n - 1]! };
}
