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

/**
 * The parameters of a notebook: `full` normally, with `quick` overrides in quick mode, then the overrides in
 * RECSYS_PARAMS (a JSON object, e.g. '{"dataset":"ml-100k"}': run a notebook on other settings from the command line
 * without editing it). Prints which it uses.
 */
export function notebookParams<T extends object>(full: T, quick: Partial<T>): T {
  const overrides = paramOverrides(full);
  const params = { ...full, ...(isQuick() ? quick : {}), ...overrides };
  const mode = isQuick() ? "quick mode (RECSYS_QUICK=1)" : "full mode";
  console.log(`${mode}${Object.keys(overrides).length ? " with RECSYS_PARAMS" : ""}: ${JSON.stringify(params)}`);
  return params;
}

/** RECSYS_PARAMS as an object whose keys are all parameters of `full` (a typo is an error, not ignored). */
function paramOverrides<T extends object>(full: T): Partial<T> {
  const text = process.env.RECSYS_PARAMS;
  if (!text || !text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`RECSYS_PARAMS is not valid JSON (${(e as Error).message}): ${text}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`RECSYS_PARAMS must be a JSON object, got: ${text}`);
  const unknown = Object.keys(parsed).filter((k) => !(k in full));
  if (unknown.length) throw new Error(`RECSYS_PARAMS: unknown parameter(s) ${unknown.join(", ")}. This notebook's parameters: ${Object.keys(full).join(", ")}`);
  return parsed as Partial<T>;
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
