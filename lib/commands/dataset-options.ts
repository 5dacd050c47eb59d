/**
 * The dataset options every command shares (--dataset, --data-dir, --offline, --mirror, the synthetic world's
 * knobs, a generic CSV) and the one function that turns them into a Dataset.
 *
 * The synthetic world has its own seed (--data-seed, default 42: the canonical world) so that a run's --seed
 * (splits, sampling, initialisation) can vary across repeated runs while the data stays the same.
 */
import * as path from "path";
import { loadCsv } from "../data/csv";
import type { Dataset } from "../data/dataset";
import { loadDataset } from "../data/load";
import { datasetNames } from "../data/registry";
import type { SyntheticOptions } from "../data/synthetic";
import type { DatasetSpec } from "../experiments/runs";
import { type OptionSpec, type ParsedOptions, UsageError, getFlag, getNumber, getString } from "./args";

const SYNTHETIC_FLAGS = ["data-seed", "users", "items", "per-user", "rank", "nonlinearity", "noise", "popularity"];
const CSV_FLAGS = ["file", "user-column", "item-column", "rating-column", "timestamp-column", "delimiter"];

export function datasetOptions(defaultDataset: string | undefined): OptionSpec[] {
  return [
    { name: "dataset", help: `registry name or 'csv'${defaultDataset ? ` (default: ${defaultDataset})` : " (required)"}. Registered: ${safeNames()}` },
    { name: "data-dir", help: "folder holding the dataset's files (default: $RECSYS_DATA_DIR/<name>, else datasets/cache/<name>)" },
    { name: "offline", type: "boolean", help: "never download; fail with instructions when files are missing" },
    { name: "mirror", help: "base URL serving <name>.zip and <name>.zip.md5 (default: $RECSYS_DATASET_MIRROR, else GroupLens)" },
    { name: "data-seed", type: "integer", help: "synthetic: seed of the generated world (default 42)" },
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
}

/** Load the dataset the options name; `command` prefixes usage errors. */
export async function loadDatasetFromOptions(o: ParsedOptions, command: string, defaultDataset?: string): Promise<Dataset> {
  const name = getString(o, "dataset") ?? defaultDataset;
  if (!name) throw new UsageError(`${command}: --dataset is required, e.g. --dataset ml-100k --data-dir path/to/ml-100k, or --dataset synthetic`);
  const misplacedSynthetic = SYNTHETIC_FLAGS.filter((k) => o.has(k));
  const misplacedCsv = CSV_FLAGS.filter((k) => o.has(k));
  if (name !== "synthetic" && misplacedSynthetic.length) {
    throw new UsageError(`${command}: ${misplacedSynthetic.map((k) => `--${k}`).join(", ")} apply to --dataset synthetic only`);
  }
  if (name !== "csv" && misplacedCsv.length) throw new UsageError(`${command}: ${misplacedCsv.map((k) => `--${k}`).join(", ")} apply to --dataset csv only`);
  if (name === "csv") {
    const file = getString(o, "file");
    const user = getString(o, "user-column");
    const item = getString(o, "item-column");
    if (!file || !user || !item) {
      throw new UsageError(`${command}: --dataset csv needs --file, --user-column and --item-column (and optionally --rating-column, --timestamp-column, --delimiter)`);
    }
    return loadCsv(file, { user, item, rating: getString(o, "rating-column"), timestamp: getString(o, "timestamp-column"), delimiter: getString(o, "delimiter") });
  }
  if (!datasetNames().includes(name)) throw new UsageError(`${command}: unknown dataset '${name}'. Valid: ${datasetNames().join(", ")}, csv`);
  const synthetic = syntheticOptions(o);
  return loadDataset(name, {
    dataDir: getString(o, "data-dir"),
    download: !getFlag(o, "offline"),
    mirror: getString(o, "mirror"),
    ...(name === "synthetic" ? { synthetic } : {}),
  });
}

function syntheticOptions(o: ParsedOptions): SyntheticOptions {
  const options: SyntheticOptions = {
    seed: getNumber(o, "data-seed"),
    numUsers: getNumber(o, "users"),
    numItems: getNumber(o, "items"),
    interactionsPerUser: getNumber(o, "per-user"),
    rank: getNumber(o, "rank"),
    nonlinearity: getNumber(o, "nonlinearity"),
    noise: getNumber(o, "noise"),
    popularity: getNumber(o, "popularity"),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SyntheticOptions;
}

/**
 * The options as a DatasetSpec (plain JSON: what worker processes and queued runs load), after checking them by
 * loading the dataset here once (which downloads it unless --offline, so that workers never need to).
 */
export async function datasetSpecFromOptions(o: ParsedOptions, command: string, defaultDataset?: string): Promise<{ spec: DatasetSpec; dataset: Dataset }> {
  const dataset = await loadDatasetFromOptions(o, command, defaultDataset);
  const name = getString(o, "dataset") ?? defaultDataset!;
  const dataDir = getString(o, "data-dir");
  const spec: DatasetSpec =
    name === "csv"
      ? {
          name,
          csv: {
            file: path.resolve(getString(o, "file")!),
            user: getString(o, "user-column")!,
            item: getString(o, "item-column")!,
            ...(getString(o, "rating-column") ? { rating: getString(o, "rating-column") } : {}),
            ...(getString(o, "timestamp-column") ? { timestamp: getString(o, "timestamp-column") } : {}),
            ...(getString(o, "delimiter") ? { delimiter: getString(o, "delimiter") } : {}),
          },
        }
      : { name, offline: true, ...(dataDir ? { dataDir: path.resolve(dataDir) } : {}), ...(name === "synthetic" ? { synthetic: syntheticOptions(o) } : {}) };
  return { spec, dataset };
}

/**
 * The flags that say which data a run used (dataset, the synthetic world's knobs, the CSV's columns), without the
 * machine-specific ones (--data-dir, --offline, --mirror): what a saved model records so that `evaluate
 * --model-dir` can load the same data on another machine.
 */
export function datasetFlags(o: ParsedOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ["dataset", ...SYNTHETIC_FLAGS, ...CSV_FLAGS]) {
    const v = o.get(k);
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

function safeNames(): string {
  try {
    return datasetNames().join(", ");
  } catch {
    return "(registry unreadable)";
  }
}
