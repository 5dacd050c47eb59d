/**
 * Model configurations generated from one spec: an ablation grid (every combination of options x values, e.g.
 * dropout x L2, or batch sizes) and random draws from ranges for hyper-parameter search. A parameter is a model
 * option (factors, layers, embeddingDropout, l2, lambda, ...) or a training setting: epochs, batchSize, negatives,
 * loss, learningRate (the optimiser's). Labels name the values, e.g. "neumf embeddingDropout=0.2 denseL2=0.0001".
 */
import { Rng } from "../random";
import { labelOf, type ModelConfig } from "./runs";

/** Training settings a grid may vary; every other name is a model option. */
export const TRAINING_PARAMETERS = ["epochs", "batchSize", "negatives", "loss", "learningRate"] as const;

/** A range to draw from: uniform on [min, max], or log-uniform with `log`; rounded with `integer`. */
export interface Range {
  min: number;
  max: number;
  log?: boolean;
  integer?: boolean;
}

/** Each parameter's values (a list, tried in order) or a range (random search only). */
export type ParameterSpace = Record<string, readonly unknown[] | Range>;

function isRange(v: readonly unknown[] | Range): v is Range {
  return !Array.isArray(v);
}

/** The configuration `base` with `values` set (model options, or training settings by name). */
export function withParameters(base: ModelConfig, values: Record<string, unknown>): ModelConfig {
  const options = { ...(base.options ?? {}) };
  const training = { ...(base.training ?? {}) } as NonNullable<ModelConfig["training"]> & Record<string, unknown>;
  for (const [name, value] of Object.entries(values)) {
    if (name === "learningRate") training.optimizer = { ...(training.optimizer ?? {}), learningRate: value as number };
    else if ((TRAINING_PARAMETERS as readonly string[]).includes(name)) training[name] = value;
    else options[name] = value;
  }
  const suffix = Object.entries(values)
    .map(([name, value]) => `${name}=${formatValue(value)}`)
    .join(" ");
  return {
    ...base,
    label: suffix ? `${labelOf(base)} ${suffix}` : labelOf(base),
    ...(Object.keys(options).length ? { options } : {}),
    ...(Object.keys(training).length ? { training } : {}),
  };
}

/** Every combination of the listed values (the last parameter varies fastest). */
export function gridConfigs(base: ModelConfig, grid: Record<string, readonly unknown[]>): ModelConfig[] {
  const names = Object.keys(grid);
  for (const name of names) {
    const values = grid[name]!;
    if (!Array.isArray(values) || !values.length) throw new Error(`grid: '${name}' needs a non-empty list of values, got ${JSON.stringify(values)}`);
  }
  let combos: Record<string, unknown>[] = [{}];
  for (const name of names) combos = combos.flatMap((c) => grid[name]!.map((v) => ({ ...c, [name]: v })));
  return combos.map((c) => withParameters(base, c));
}

/** The number of configurations of a grid. */
export function gridSize(grid: Record<string, readonly unknown[]>): number {
  return Object.values(grid).reduce((n, values) => n * values.length, 1);
}

/** `count` distinct configurations drawn from the space (lists: a uniform choice; ranges: see Range), seeded. */
export function randomConfigs(base: ModelConfig, space: ParameterSpace, count: number, seed = 0): ModelConfig[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`random search: the budget must be a positive integer, got ${count}`);
  for (const [name, v] of Object.entries(space)) {
    if (isRange(v)) {
      if (!(Number.isFinite(v.min) && Number.isFinite(v.max) && v.min <= v.max)) throw new Error(`random search: '${name}' needs min <= max, got ${JSON.stringify(v)}`);
      if (v.log && !(v.min > 0)) throw new Error(`random search: '${name}' is log-uniform, so min must be > 0, got ${v.min}`);
    } else if (!v.length) throw new Error(`random search: '${name}' has no values`);
  }
  const rng = new Rng(seed).derive("random-search");
  const seen = new Set<string>();
  const out: ModelConfig[] = [];
  // A space of lists may hold fewer than `count` distinct points: stop when draws keep repeating.
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const values: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(space)) values[name] = isRange(v) ? draw(v, rng) : v[rng.int(v.length)];
    const key = JSON.stringify(values);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(withParameters(base, values));
  }
  return out;
}

function draw(r: Range, rng: Rng): number {
  const u = rng.next();
  const x = r.log ? Math.exp(Math.log(r.min) + u * (Math.log(r.max) - Math.log(r.min))) : r.min + u * (r.max - r.min);
  // Three significant digits: labels stay readable and nearby draws are the same configuration.
  return r.integer ? Math.round(x) : Number(x.toPrecision(3));
}

function formatValue(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return v.join(",");
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Parse "name=v1,v2,..." (a list) or "name=min:max[:log][:int]" (a range) as given on the command line. */
export function parseParameter(text: string): [string, readonly unknown[] | Range] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`'${text}' is not name=values (e.g. factors=16,32,64 or l2=1e-6:1e-2:log)`);
  const name = text.slice(0, eq);
  const body = text.slice(eq + 1);
  if (body.includes(":")) {
    const [min, max, ...flags] = body.split(":");
    const unknown = flags.filter((f) => f !== "log" && f !== "int");
    if (unknown.length) throw new Error(`'${text}': unknown range flag '${unknown[0]}' (use :log and/or :int)`);
    const range: Range = { min: Number(min), max: Number(max), ...(flags.includes("log") ? { log: true } : {}), ...(flags.includes("int") ? { integer: true } : {}) };
    if (!Number.isFinite(range.min) || !Number.isFinite(range.max)) throw new Error(`'${text}': min and max must be numbers`);
    return [name, range];
  }
  // Values separated by commas; "/" separates the elements of a list value (layers=64/32/16,32/16).
  const values = body.split(",").map((v) => (v.includes("/") ? v.split("/").map(parseScalar) : parseScalar(v)));
  return [name, values];
}

function parseScalar(v: string): unknown {
  if (v === "true") return true;
  if (v === "false") return false;
  const n = Number(v);
  return v !== "" && Number.isFinite(n) ? n : v;
}
