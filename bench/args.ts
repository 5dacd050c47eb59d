/** Command-line flags of the benchmarks: `--name value` and boolean `--name`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

export const flag = (name: string): boolean => process.argv.includes(`--${name}`);
