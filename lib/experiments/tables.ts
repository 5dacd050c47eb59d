/**
 * An experiment's tables as danfojs DataFrames (the tidy results, the summary over seeds, the paired tests), and
 * written to a folder as CSV and JSON. danfojs is loaded on first use: it is large and only tables need it.
 */
import * as fs from "fs";
import * as path from "path";
import type { DataFrame } from "danfojs-node";
import type { ExperimentResult } from "./experiment";

type Danfo = typeof import("danfojs-node");
let danfo: Danfo | undefined;
function dfd(): Danfo {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (danfo ??= require("danfojs-node") as Danfo);
}

/** Records (objects with the same keys) as a DataFrame with those columns, in that order. */
function frame(rows: readonly object[], columns: readonly string[]): DataFrame {
  if (!rows.length) throw new Error("no rows: an experiment without runs has no table");
  return new (dfd().DataFrame)(rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c] as string | number | boolean)), { columns: [...columns] });
}

const COLUMNS = {
  results: ["model", "configuration", "seed", "metric", "value", "trainSeconds", "examplesPerSecond", "epochs"],
  summary: ["model", "metric", "n", "mean", "sd", "low", "high"],
  comparisons: ["model", "reference", "metric", "n", "meanDifference", "low", "high", "t", "p", "significant"],
} as const;

/** One row per run and metric: model, configuration, seed, metric, value, trainSeconds, examplesPerSecond, epochs. */
export function resultsFrame(result: Pick<ExperimentResult, "table">): DataFrame {
  return frame(result.table, COLUMNS.results);
}

/** One row per model and metric: n, mean, sd and the 95% interval over seeds. */
export function summaryFrame(result: Pick<ExperimentResult, "summary">): DataFrame {
  return frame(result.summary, COLUMNS.summary);
}

/** One row per model and metric (ndcg, hr): the paired test over users against the reference model. */
export function comparisonsFrame(result: Pick<ExperimentResult, "comparisons">): DataFrame {
  return frame(result.comparisons, COLUMNS.comparisons);
}

/**
 * Write results.csv/.json (tidy), summary.csv/.json, comparisons.csv/.json and runs.json (every run with its
 * learning curve and per-user values) into `dir`; each file is written beside its target and renamed into place.
 * Returns the paths written.
 */
export function writeTables(result: ExperimentResult, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    const file = path.join(dir, name);
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    written.push(file);
  };
  const d = dfd();
  const tables = [
    ["results", result.table, resultsFrame],
    ["summary", result.summary, summaryFrame],
    ["comparisons", result.comparisons, comparisonsFrame],
  ] as const;
  for (const [name, rows, toFrame] of tables) {
    // A table without rows (e.g. no paired tests with one model) is its header alone.
    put(`${name}.csv`, rows.length ? (d.toCSV(toFrame(result as ExperimentResult)) as string) : COLUMNS[name].join(",") + "\n");
    put(`${name}.json`, JSON.stringify(rows, null, 1) + "\n");
  }
  put("runs.json", JSON.stringify(result.runs, null, 1) + "\n");
  return written;
}
