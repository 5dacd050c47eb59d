/**
 * The dataset registry: datasets/registry.json names every dataset, its file layout, where the publisher serves it
 * and its checksum, its licence and its published counts. Loaders are driven by this table, not by code per name.
 */
import * as fs from "fs";
import * as path from "path";
import type { MovieLensFormat } from "./movielens";

export interface RegistryEntry {
  name: string;
  format: MovieLensFormat | "synthetic";
  title: string;
  url?: string;
  checksumUrl?: string;
  homepage?: string;
  licence: string;
  citation?: string;
  files?: { ratings: string; users?: string; items?: string };
  expected?: { users: number; items: number; interactions: number };
}

/** The package root (lib/data or dist/data are two levels below it). */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");
export const REGISTRY_FILE = path.join(PACKAGE_ROOT, "datasets", "registry.json");
/** Where downloads go when neither a dataDir nor RECSYS_DATA_DIR is given. */
export const DEFAULT_CACHE_DIR = path.join(PACKAGE_ROOT, "datasets", "cache");

let cached: Record<string, RegistryEntry> | undefined;

/** All registry entries by name. */
export function datasetRegistry(): Record<string, RegistryEntry> {
  if (cached) return cached;
  let json: { datasets: Record<string, Omit<RegistryEntry, "name">> };
  try {
    json = JSON.parse(fs.readFileSync(REGISTRY_FILE, "utf8"));
  } catch (err) {
    throw new Error(`cannot read the dataset registry ${REGISTRY_FILE}: ${(err as Error).message}`);
  }
  cached = Object.fromEntries(Object.entries(json.datasets).map(([name, e]) => [name, { name, ...e }]));
  return cached;
}

/** Names of the registered datasets, in registry order. */
export function datasetNames(): string[] {
  return Object.keys(datasetRegistry());
}

/** The entry for a name; an unknown name is an error that lists the valid ones. */
export function registryEntry(name: string): RegistryEntry {
  const entry = datasetRegistry()[name];
  if (!entry) {
    throw new Error(`unknown dataset '${name}'. Valid datasets: ${datasetNames().join(", ")} (or load any CSV of interactions with loadCsv / --dataset csv --file PATH)`);
  }
  return entry;
}

/**
 * The folder holding a dataset's files: the explicit `dataDir` (the dataset's own folder, e.g.
 * ../shared/datasets/ml-100k), else `$RECSYS_DATA_DIR/<name>` (a root with one folder per dataset), else
 * datasets/cache/<name> in the package. If dataDir lacks the ratings file but has a `<name>` subfolder that holds
 * it, that subfolder is used (so dataDir may also be a root).
 */
export function resolveDataDir(entry: RegistryEntry, dataDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  const ratings = entry.files?.ratings;
  if (dataDir) {
    const dir = path.resolve(dataDir);
    if (ratings && !fs.existsSync(path.join(dir, ratings)) && fs.existsSync(path.join(dir, entry.name, ratings))) {
      return path.join(dir, entry.name);
    }
    return dir;
  }
  if (env.RECSYS_DATA_DIR) return path.resolve(env.RECSYS_DATA_DIR, entry.name);
  return path.join(DEFAULT_CACHE_DIR, entry.name);
}

/** The archive and checksum URLs, served from `mirror` (a base URL) instead of the publisher when given. */
export function downloadUrls(entry: RegistryEntry, mirror?: string): { url: string; checksumUrl: string } {
  if (!entry.url || !entry.checksumUrl) throw new Error(`${entry.name} is not downloadable (it has no URL in ${REGISTRY_FILE})`);
  if (!mirror) return { url: entry.url, checksumUrl: entry.checksumUrl };
  const base = mirror.endsWith("/") ? mirror : `${mirror}/`;
  const file = (u: string) => path.posix.basename(new URL(u).pathname);
  return { url: new URL(file(entry.url), base).toString(), checksumUrl: new URL(file(entry.checksumUrl), base).toString() };
}
