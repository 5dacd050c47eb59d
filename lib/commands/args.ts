/**
 * Command-line options: `--name value`, `--name=value` and boolean `--flag`. Every command declares its options;
 * an unknown or misspelt option is an error that lists the valid ones (never silently ignored).
 */

export interface OptionSpec {
  /** Option name without the dashes, e.g. "data-dir". */
  name: string;
  /** "string" (default), "number", "integer" or "boolean" (a flag taking no value). */
  type?: "string" | "number" | "integer" | "boolean";
  /** One line of help. */
  help: string;
  /** Allowed values for a string option. */
  choices?: readonly string[];
}

export type ParsedOptions = Map<string, string | true>;

export class UsageError extends Error {}

/** Parse argv against the specs; positional arguments are returned separately. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): { options: ParsedOptions; positional: string[] } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const options: ParsedOptions = new Map();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) {
      throw new UsageError(`${command}: unknown option --${name}. Valid options: ${specs.map((s) => `--${s.name}`).join(", ")}`);
    }
    if (spec.type === "boolean") {
      if (eq >= 0) throw new UsageError(`${command}: --${name} is a flag and takes no value`);
      options.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${command}: --${name} needs a value (${spec.help})`);
      i++;
    }
    validate(spec, value, command);
    options.set(name, value);
  }
  return { options, positional };
}

function validate(spec: OptionSpec, value: string, command: string): void {
  if (spec.type === "number" && !Number.isFinite(Number(value))) {
    throw new UsageError(`${command}: --${spec.name} must be a number, got '${value}'`);
  }
  if (spec.type === "integer" && !/^-?\d+$/.test(value)) {
    throw new UsageError(`${command}: --${spec.name} must be an integer, got '${value}'`);
  }
  if (spec.choices && !spec.choices.includes(value)) {
    throw new UsageError(`${command}: --${spec.name} must be one of ${spec.choices.join(", ")}; got '${value}'`);
  }
}

export function getString(o: ParsedOptions, name: string): string | undefined;
export function getString(o: ParsedOptions, name: string, fallback: string): string;
export function getString(o: ParsedOptions, name: string, fallback?: string): string | undefined {
  const v = o.get(name);
  return typeof v === "string" ? v : fallback;
}

export function getNumber(o: ParsedOptions, name: string): number | undefined;
export function getNumber(o: ParsedOptions, name: string, fallback: number): number;
export function getNumber(o: ParsedOptions, name: string, fallback?: number): number | undefined {
  const v = o.get(name);
  return typeof v === "string" ? Number(v) : fallback;
}

/**
 * A usage error unless the numeric option, when given, passes `ok`; `rule` completes "--name must be ...", e.g.
 * "at least 1". Commands run these checks before starting a backend or loading a dataset, so a wrong value costs
 * nothing.
 */
export function checkNumber(o: ParsedOptions, command: string, name: string, ok: (v: number) => boolean, rule: string, why = ""): void {
  const v = getNumber(o, name);
  if (v !== undefined && !ok(v)) throw new UsageError(`${command}: --${name} must be ${rule}, got ${v}${why ? `: ${why}` : ""}`);
}

export function getFlag(o: ParsedOptions, name: string): boolean {
  return o.get(name) === true;
}

/** A usage text from the specs. */
export function usage(command: string, summary: string, specs: readonly OptionSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length + (s.type === "boolean" ? 0 : 6)), 10);
  const lines = specs.map((s) => {
    const left = `--${s.name}${s.type === "boolean" ? "" : " VALUE"}`;
    const choices = s.choices ? ` (${s.choices.join("|")})` : "";
    return `  ${left.padEnd(width + 4)}${s.help}${choices}`;
  });
  return [`Usage: recsys-lab ${command} [options]`, "", summary, "", "Options:", ...lines].join("\n");
}

/** Print one JSON object, the result of a command, on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}
