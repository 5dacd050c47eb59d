/** `recsys-lab data stats`: load a dataset (registry name, or any CSV) and print its summary as one JSON object. */
import { datasetNames, registryEntry } from "../data/registry";
import { datasetStats } from "../data/stats";
import { type OptionSpec, UsageError, getNumber, getString, parseArgs, printJson } from "./args";
import { datasetOptions, loadDatasetFromOptions } from "./dataset-options";

export const summary = "Dataset tools. 'data stats': users, items, interactions, density, interactions per user and item, ratings, time span and side features, as JSON.";

export const options: OptionSpec[] = [
  ...datasetOptions("synthetic"),
  { name: "min-rating", type: "number", help: "keep only interactions rated at least this (implicit feedback) before counting" },
];

const SUBCOMMANDS = ["stats"];

export async function run(argv: string[]): Promise<void> {
  const { options: o, positional } = parseArgs(argv, options, "data");
  const [sub, ...extra] = positional;
  if (!sub || !SUBCOMMANDS.includes(sub) || extra.length) {
    throw new UsageError(`data: expected a subcommand, one of: ${SUBCOMMANDS.join(", ")} (got ${positional.length ? positional.map((p) => `'${p}'`).join(" ") : "none"}). Example: recsys-lab data stats --dataset ml-100k`);
  }
  const minRating = getNumber(o, "min-rating");
  // Checked before the load, which may mean a download; the registered datasets all have ratings.
  if (minRating !== undefined && getString(o, "dataset") === "csv" && !o.has("rating-column")) {
    throw new UsageError("data: --min-rating needs ratings; give --rating-column, or leave --min-rating out");
  }
  let dataset = await loadDatasetFromOptions(o, "data", "synthetic");
  if (minRating !== undefined) dataset = { ...dataset, interactions: dataset.interactions.toImplicit(minRating) };
  const stats = datasetStats(dataset);
  // For a published dataset, say whether the folder holds exactly what the publisher describes.
  const expected = datasetNames().includes(dataset.name) ? registryEntry(dataset.name).expected : undefined;
  const published =
    expected && minRating === undefined
      ? { ...expected, matches: expected.users === stats.users && expected.items === stats.items && expected.interactions === stats.interactions }
      : undefined;
  printJson({ ...stats, ...(published ? { published } : {}) });
}
