/**
 * `loadDataset(name)`: one entry point for every registered dataset. MovieLens folders are read when present and
 * downloaded (verified, unpacked atomically) when not; "synthetic" is generated and needs no files.
 */
import * as fs from "fs";
import * as path from "path";
import { rejectUnknownKeys } from "./csv";
import type { Dataset } from "./dataset";
import { downloadDataset, type ProgressReporter } from "./download";
import { readMovieLens } from "./movielens";
import { downloadUrls, registryEntry, resolveDataDir } from "./registry";
import { generateSynthetic, type SyntheticDataset, type SyntheticOptions } from "./synthetic";

export interface LoadDatasetOptions {
  /** The dataset's folder (default: $RECSYS_DATA_DIR/<name>, else datasets/cache/<name>). */
  dataDir?: string;
  /** Download the publisher's archive when the files are absent. Default true. */
  download?: boolean;
  /** Base URL serving <name>.zip and <name>.zip.md5 instead of the publisher (default: $RECSYS_DATASET_MIRROR). */
  mirror?: string;
  /** Download progress: true (default) on stderr, false silent, or your own reporter. */
  progress?: boolean | ProgressReporter;
  /** Seed of the synthetic world (same as synthetic.seed). */
  seed?: number;
  /** Options of the synthetic world (see SyntheticOptions). */
  synthetic?: SyntheticOptions;
}

const KEYS: readonly (keyof LoadDatasetOptions)[] = ["dataDir", "download", "mirror", "progress", "seed", "synthetic"];

export async function loadDataset(name: "synthetic", options?: LoadDatasetOptions): Promise<SyntheticDataset>;
export async function loadDataset(name: string, options?: LoadDatasetOptions): Promise<Dataset>;
export async function loadDataset(name: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  rejectUnknownKeys(options, KEYS, "loadDataset");
  const entry = registryEntry(name);
  if (entry.format === "synthetic") {
    if (options.seed !== undefined && options.synthetic?.seed !== undefined && options.seed !== options.synthetic.seed) {
      throw new Error(`loadDataset: seed ${options.seed} and synthetic.seed ${options.synthetic.seed} disagree; give one`);
    }
    return generateSynthetic({ ...options.synthetic, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  }
  if (options.synthetic) throw new Error(`loadDataset: the synthetic options apply to 'synthetic' only, not to '${name}'`);
  const dir = resolveDataDir(entry, options.dataDir);
  const ratings = entry.files!.ratings;
  if (!fs.existsSync(path.join(dir, ratings))) {
    const { url, checksumUrl } = downloadUrls(entry, options.mirror ?? (process.env.RECSYS_DATASET_MIRROR || undefined));
    if (options.download === false) {
      throw new Error(`${name}: ${path.join(dir, ratings)} does not exist and downloading is off. Download ${url}, unzip it and put its files in ${dir}, or point --data-dir at a folder that has them.`);
    }
    await downloadDataset({ name, url, checksumUrl, targetDir: dir, requiredFile: ratings, progress: options.progress });
  }
  return readMovieLens(dir, entry.format, name);
}
