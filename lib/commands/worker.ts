/** `recsys-lab worker --queue redis://host:port`: execute runs from a grid's queue until stopped. */
import { startQueueWorker } from "../experiments/queue";
import { type OptionSpec, UsageError, getNumber, getString, parseArgs } from "./args";

export const summary = "Serve a distributed grid: take runs from a BullMQ queue in Redis (put there by 'compare --queue'), execute them one at a time, return the results.";

export const options: OptionSpec[] = [
  { name: "queue", help: "the Redis URL of the queue, e.g. redis://127.0.0.1:6379" },
  { name: "lock-seconds", type: "number", help: "how long a running job's lock lasts before it counts as stalled (default 60)" },
  { name: "stalled-seconds", type: "number", help: "how often to look for stalled jobs of dead workers (default 15)" },
];

export async function run(argv: string[]): Promise<void> {
  const { options: o, positional } = parseArgs(argv, options, "worker");
  if (positional.length) throw new UsageError(`worker: unexpected argument '${positional[0]}'; options start with --`);
  const url = getString(o, "queue");
  if (!url) throw new UsageError("worker: --queue redis://host:port is required");
  const lock = getNumber(o, "lock-seconds", 60);
  const stalled = getNumber(o, "stalled-seconds", 15);
  if (!(lock > 0) || !(stalled > 0)) throw new UsageError("worker: --lock-seconds and --stalled-seconds must be > 0");
  const log = (line: string) => process.stderr.write(`worker ${process.pid}: ${line}\n`);
  const handle = await startQueueWorker(url, { lockMs: lock * 1000, stalledIntervalMs: stalled * 1000 }, log);
  process.stdout.write(JSON.stringify({ worker: process.pid, queue: url }) + "\n");
  const stop = async () => {
    await handle.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await new Promise<never>(() => {});
}
