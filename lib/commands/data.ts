/** `recsys-lab data stats`: load a dataset (registry name, or any CSV) and print its summary as one JSON object. */
import { loadCsv } from "../data/csv";
import type { Dataset } from "../data/dataset";
import { loadDataset } from "../data/load";
import { datasetNames, registryEntry } from "../data/registry";
import { datasetStats } from "../data/stats";
import type { SyntheticOptions } from "../data/synthetic";
import { type OptionSpec, type ParsedOptions, UsageError, getFlag, getNumber, getString, parseArgs, printJson } from "./args";

export const summary = "Dataset tools. 'data stats': users, items, interactions, density, interactions per user and item, ratings, time span and side features, as JSON.";

export const options: OptionSpec[] = [
  { name: "dataset", help: `registry name or 'csv' (default: synthetic). Registered: ${safeNames()}` },
  { name: "data-dir", help: "folder holding the dataset's files (default: $RECSYS_DATA_DIR/<name>, else datasets/cache/<name>)" },
  { name: "offline", type: "boolean", help: "never download; fail with instructions when files are missing" },
  { name: "mirror", help: "base URL serving <name>.zip and <name>.zip.md5 (default: $RECSYS_DATASET_MIRROR, else GroupLens)" },
  { name: "min-rating", type: "number", help: "keep only interactions rated at least this (implicit feedback) before counting" },
  { name: "seed", type: "integer", help: "seed of the synthetic world (default 42)" },
  { name: "users", type: "integer", help: "synthetic: number of users (default 1000)" },
  { name: "items", type: "integer", help: "synthetic: number of items (default 1000)" },
  { name: "per-user", type: "number", help: "synthetic: mean interactions per user (default 50)" },
  { name: "rank", type: "integer", help: "synthetic: rank of the linear part of the truth (default 8)" },
  { name: "nonlinearity", type: "number", help: "synthetic: non-linear share of the preference variance, 0..1 (default 0.5)" },
  { name: "noise", type: "number", help: "synthetic: per-pair taste noise, standard deviation (default 0.5)" },
  { name: "popularity", type: "number", help: "synthetic: Zipf exponent of item popularity (default 1)" },
  { name: "file", help: "csv: the file of interactions (with a header line)" },
  { name: "user-column", help: "csv: header name of the user id column" },
  { name: "item-column", help: "csv: header name of the item id column" },
  { name: "rating-column", help: "csv: header name of the rating column (optional)" },
  { name: "timestamp-column", help: "csv: header name of the timestamp column (optional)" },
  { name: "delimiter", help: "csv: field separator, or 'auto' (default) to detect , TAB ; |" },
];

const SUBCOMMANDS = ["stats"];

export async function run(argv: string[]): Promise<void> {
  const { options: o, positional } = parseArgs(argv, options, "data");
  const [sub, ...extra] = positional;
  if (!sub || !SUBCOMMANDS.includes(sub) || extra.length) {
    throw new UsageError(`data: expected a subcommand, one of: ${SUBCOMMANDS.join(", ")} (got ${positional.length ? positional.map((p) => `'${p}'`).join(" ") : "none"}). Example: recsys-lab data stats --dataset ml-100k`);
  }
  let dataset = await load(o);
  const minRating = getNumber(o, "min-rating");
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

async function load(o: ParsedOptions): Promise<Dataset> {
  const name = getString(o, "dataset", "synthetic");
  const syntheticFlags = ["users", "items", "per-user", "rank", "nonlinearity", "noise", "popularity"].filter((k) => o.has(k));
  const csvFlags = ["file", "user-column", "item-column", "rating-column", "timestamp-column", "delimiter"].filter((k) => o.has(k));
  if (name !== "synthetic" && (syntheticFlags.length || o.has("seed"))) {
    throw new UsageError(`data: ${[...syntheticFlags, ...(o.has("seed") ? ["seed"] : [])].map((k) => `--${k}`).join(", ")} apply to --dataset synthetic only`);
  }
  if (name !== "csv" && csvFlags.length) throw new UsageError(`data: ${csvFlags.map((k) => `--${k}`).join(", ")} apply to --dataset csv only`);
  if (name === "csv") {
    const file = getString(o, "file");
    const user = getString(o, "user-column");
    const item = getString(o, "item-column");
    if (!file || !user || !item) throw new UsageError("data: --dataset csv needs --file, --user-column and --item-column (and optionally --rating-column, --timestamp-column, --delimiter)");
    return loadCsv(file, { user, item, rating: getString(o, "rating-column"), timestamp: getString(o, "timestamp-column"), delimiter: getString(o, "delimiter") });
  }
  if (!datasetNames().includes(name)) throw new UsageError(`data: unknown dataset '${name}'. Valid: ${datasetNames().join(", ")}, csv`);
  const synthetic: SyntheticOptions = {
    numUsers: getNumber(o, "users"),
    numItems: getNumber(o, "items"),
    interactionsPerUser: getNumber(o, "per-user"),
    rank: getNumber(o, "rank"),
    nonlinearity: getNumber(o, "nonlinearity"),
    noise: getNumber(o, "noise"),
    popularity: getNumber(o, "popularity"),
  };
  return loadDataset(name, {
    dataDir: getString(o, "data-dir"),
    download: !getFlag(o, "offline"),
    mirror: getString(o, "mirror"),
    seed: getNumber(o, "seed"),
    ...(name === "synthetic" ? { synthetic } : {}),
  });
}

function safeNames(): string {
  try {
    return datasetNames().join(", ");
  } catch {
    return "(registry unreadable)";
  }
}
