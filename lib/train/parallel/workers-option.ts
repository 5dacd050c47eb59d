/**
 * fit's `workers` option: a number of replicas, or "auto" (one per free core once batches are large enough to pay
 * for the exchange, one below).
 */
import * as os from "os";

export type WorkersOption = number | "auto";

/**
 * "auto" trains on one worker below this batch size. Measured with bench/train.ts (NeuMF, ML-100K sizes, wasm, this
 * project's shared 2-core machine; raw runs in /work/notes/bench-train-*.json): in the cleanest run (both threads
 * running, CPU/wall 1.6-1.85) 2 workers gave 0.51x / 0.71x / 0.73x / 0.95x of one worker at batch 256 / 1024 / 2048 /
 * 4096; on a loaded machine 0.2-0.7x. 2 workers never beat 1 here. Where a replica's step went at 4096: compute
 * 2.4 ms for its half batch (one worker alone does the whole batch in 3.1 ms: two busy threads slow each other
 * down by about half on these cores, and the dense Adam update and table gradients are repeated by every replica),
 * waiting 0.4-0.9 ms, gradient copies and sums 0.4-0.55 ms. The ratio climbs with the batch size, so "auto" starts
 * at 8192 (an extrapolation, not a measured crossover), and only with free cores (see workersFor).
 */
export const AUTO_MIN_BATCH = 8192;

/** A clear error for anything but a positive integer or "auto". */
export function checkWorkers(workers: unknown, where: string): void {
  if (workers === "auto") return;
  if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1) {
    throw new Error(`${where}: workers must be a positive integer or "auto", got ${JSON.stringify(workers)}`);
  }
}

/**
 * How many workers a run with batches of `batchSize` uses. "auto" also counts the cores other processes keep busy
 * (the 1-minute load average, less this process's own 1): a synchronous step waits for its slowest replica, and a
 * replica sharing its core with another busy process is slow (measured: on a machine whose two cores were already
 * loaded, 2 workers ran at half the speed of 1, and PyTorch's 2 threads at a tenth of its 1).
 */
export function workersFor(workers: WorkersOption, batchSize: number, load = os.loadavg()[0]!, cores = os.availableParallelism()): number {
  if (workers !== "auto") return workers;
  if (batchSize < AUTO_MIN_BATCH) return 1;
  const free = Math.floor(cores - Math.max(0, load - 1) + 1e-9);
  return Math.max(1, Math.min(free, 8));
}
