/**
 * fit's `workers` option: a number of replicas, or "auto" (one per free core once batches are large enough to pay
 * for the exchange, one below).
 */
import * as os from "os";

export type WorkersOption = number | "auto";

/**
 * "auto" trains on one worker below this batch size. From bench/train.ts (NeuMF, ML-100K sizes, wasm, this project's
 * shared 2-core machine, raw runs in /work/notes/bench-train-*.json): 2 workers never beat 1 in any run here. At
 * batch 256, with both threads running (CPU/wall 1.9), 2 workers gave 0.53x of one: each replica's half-batch step
 * cost as much as the whole batch's (0.5 ms: a NeuMF step at this size is its fixed part, the dense Adam update and
 * table gradients that every replica repeats), plus 0.3-0.4 ms of gradient copies and sums. At 1024-4096 other jobs
 * held the second core in every run (CPU/wall of the two threads about 1.0) and 2 workers gave 0.3-0.7x. The
 * per-step figures (fixed part ~0.5 ms, ~0.9 us per example, exchange ~0.35 ms) put the break-even near 2048 on
 * idle cores, so "auto" starts at 4096, and only with free cores (see workersFor). Not a measured crossover.
 */
export const AUTO_MIN_BATCH = 4096;

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
