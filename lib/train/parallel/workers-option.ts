/**
 * fit's `workers` option: a number of replicas, or "auto" (one per free core once batches are large enough to pay
 * for the exchange, one below).
 */
import * as os from "os";

export type WorkersOption = number | "auto";

/**
 * "auto" trains on one worker below this batch size. Measured with bench/train.ts (NeuMF, ML-100K sizes, wasm, this
 * project's 2-core machine, nothing else running), with the first MLP layer factored per distinct user and item
 * (lib/models/factored-input.ts), which makes one worker's large batches much cheaper: 2 workers against 1 gave
 * 0.43-0.50x at batch 256, 0.64-0.66x at 1024, 0.59-0.77x at 4096, 0.73-1.06x at 8192, 0.82-1.07x at 16384 (three
 * runs each, four at 16384), then 1.26x at 32768 and 1.33x at 65536 (one run). Below the crossover a replica's half
 * batch costs nearly what the whole batch costs one worker (fixed per-kernel costs; every replica repeats the dense
 * Adam update and the first layer's distinct rows, which half a batch barely reduces), plus 0.04-1.8 ms waiting at the
 * barrier (3.4 ms at 65536) and 0.3-0.8 ms copying and summing gradients per step. On a machine already loaded by other processes
 * 2 workers ran at 0.2-0.7x of one, hence the free-core count in workersFor.
 */
export const AUTO_MIN_BATCH = 32768;

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
