/**
 * Helpers for notebooks (and scripts) that must also run as tests:
 * - quick mode (RECSYS_QUICK=1, set by the notebook tests) shrinks data and epochs;
 * - `record(name, value)` saves a value for the tests to assert (RECSYS_RECORD_FILE, set by the runner).
 */
import * as fs from "fs";

/** True when RECSYS_QUICK is set to 1/true: notebooks run on small data with few epochs. */
export function isQuick(): boolean {
  return /^(1|true|yes)$/i.test(process.env.RECSYS_QUICK ?? "");
}

/** The parameters of a notebook: `full` normally, with `quick` overrides in quick mode. Prints which it uses. */
export function notebookParams<T extends object>(full: T, quick: Partial<T>): T {
  const params = isQuick() ? { ...full, ...quick } : { ...full };
  console.log(`${isQuick() ? "quick mode (RECSYS_QUICK=1)" : "full mode"}: ${JSON.stringify(params)}`);
  return params;
}

/**
 * Record a named value (anything JSON-serialisable) for the notebook tests, which read the file back and assert
 * on it. Without RECSYS_RECORD_FILE it does nothing. Each call rewrites the whole JSON object atomically.
 */
export function record(name: string, value: unknown): void {
  const file = process.env.RECSYS_RECORD_FILE;
  if (!file) return;
  let current: Record<string, unknown> = {};
  if (fs.existsSync(file)) current = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  current[name] = value;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(current, null, 2) + "\n");
  fs.renameSync(tmp, file);
}
