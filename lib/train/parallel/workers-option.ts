/**
 * fit's `workers` option: a number of replicas, or "auto" (one per core once batches are large enough to pay for
 * the exchange, one below).
 */
import * as os from "os";

export type WorkersOption = number | "auto";

/**
 * "auto" trains on one worker below this batch size. Measured with bench/train.ts (NeuMF, ML-100K sizes, wasm,
 * 2 cores): see AUTO_NOTE.
 */
export const AUTO_MIN_BATCH = 1024;

/** A clear error for anything but a positive integer or "auto". */
export function checkWorkers(workers: unknown, where: string): void {
  if (workers === "auto") return;
  if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1) {
    throw new Error(`${where}: workers must be a positive integer or "auto", got ${JSON.stringify(workers)}`);
  }
}

/** How many workers a run with batches of `batchSize` uses. */
export function workersFor(workers: WorkersOption, batchSize: number): number {
  if (workers !== "auto") return workers;
  return batchSize < AUTO_MIN_BATCH ? 1 : Math.max(1, Math.min(os.availableParallelism(), 8));
}
