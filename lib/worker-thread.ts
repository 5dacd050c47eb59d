/**
 * Start a worker thread on a module of the kit: the compiled .js in dist/, or the .ts source when the kit runs
 * from sources under tsx (tests, benchmarks). Node 20 does not pass `--import tsx` on to a worker's entry file, so
 * a .ts entry is required through tsx's CommonJS hook. The worker gets this process's Node flags; when some are
 * refused in a worker (V8 and process-wide flags such as --max-old-space-size), only the flags that load code are
 * kept.
 */
import * as path from "path";
import { Worker, type WorkerOptions } from "node:worker_threads";

export function startThread(entry: string, options: WorkerOptions = {}): Worker {
  const make = (execArgv: string[]) =>
    path.extname(entry) === ".ts"
      ? new Worker(`require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(entry)});`, { ...options, execArgv, eval: true })
      : new Worker(entry, { ...options, execArgv });
  try {
    return make(process.execArgv);
  } catch (err) {
    if ((err as { code?: string }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw err;
    return make(loaderFlags(process.execArgv));
  }
}

/** The flags that load code (--import, --require, --loader, --conditions), with their values. */
export function loaderFlags(argv: readonly string[]): string[] {
  const takesValue = ["--import", "--require", "-r", "--loader", "--experimental-loader", "--conditions", "-C"];
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (takesValue.includes(a) && i + 1 < argv.length) out.push(a, argv[++i]!);
    else if (takesValue.some((f) => a.startsWith(`${f}=`))) out.push(a);
  }
  return out;
}
