/**
 * Grids that outgrow one machine: runs go onto a BullMQ queue in Redis, `recsys-lab worker --queue redis://...`
 * processes on any number of machines take them one at a time and return their results, and the coordinator
 * assembles the same table as a local grid. Jobs are keyed by the run's cache id, so a run is queued at most once;
 * a worker killed mid-run loses its job's lock and BullMQ hands the job to another worker (stall detection).
 *
 * Workers load datasets from their own disks: a DatasetSpec names the dataset (and data folder), not its contents.
 */
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import { initBackend } from "../backend";
import type { Dataset } from "../data/dataset";
import { canonical, executeRun, loadDatasetSpec, type DatasetSpec, type RunResult, type RunSpec } from "./runs";

export const QUEUE_NAME = "recsys-lab-runs";

/** BullMQ's connection options from a redis:// URL. */
export function connectionOf(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`queue: '${url}' is not a URL; use redis://host:port`);
  }
  if (u.protocol !== "redis:") throw new Error(`queue: '${url}' is not a redis:// URL`);
  return { host: u.hostname || "127.0.0.1", port: Number(u.port || 6379), ...(u.password ? { password: decodeURIComponent(u.password) } : {}), maxRetriesPerRequest: null };
}

export interface QueueTimings {
  /** How long a worker's lock on a running job lasts (renewed while the event loop runs). Default 60 s. */
  lockMs?: number;
  /** How often workers look for stalled jobs (whose lock expired: a dead worker). Default 15 s. */
  stalledIntervalMs?: number;
}

/** How long the coordinator waits for Redis before it gives up (ioredis keeps retrying meanwhile). */
export interface QueueWaits {
  /** To reach Redis at the start. Default 10 s. */
  connectMs?: number;
  /** For Redis to answer during the run (a server that went away). Default 60 s. */
  lostMs?: number;
  /** Between looks at the jobs' states. Default 250 ms. */
  pollMs?: number;
}

/** `promise`, or the error of `fail()` once `ms` have passed. */
function withDeadline<T>(promise: Promise<T>, ms: number, fail: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(fail()), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Put `jobs` on the queue and wait for all their results (already-finished jobs are taken as they are). Waits as
 * long as the workers take; gives up with an error naming the URL when Redis cannot be reached (`waits`).
 */
export async function runOnQueue(url: string, jobs: { id: string; spec: RunSpec }[], onResult: (r: RunResult) => void, waits: QueueWaits = {}): Promise<void> {
  const { connectMs = 10_000, lostMs = 60_000, pollMs = 250 } = waits;
  const queue = new Queue(QUEUE_NAME, { connection: connectionOf(url) });
  // ioredis retries on its own and reports each failed attempt here; the deadlines below decide when to give up.
  let lastError = "";
  queue.on("error", (e: Error) => void (lastError = e.message));
  const unreachable = (what: string, ms: number) => () =>
    new Error(`queue: ${what} Redis at ${url} for ${ms / 1000} s${lastError ? ` (${lastError})` : ""}; is redis-server running there, and is the URL right?`);
  const answer = <T>(p: Promise<T>) => withDeadline(p, lostMs, unreachable("no answer from", lostMs));
  try {
    await withDeadline(queue.waitUntilReady(), connectMs, unreachable("could not reach", connectMs));
    await answer(queue.addBulk(jobs.map((j) => ({ name: "run", data: { spec: j.spec }, opts: { jobId: j.id, attempts: 3, removeOnComplete: false, removeOnFail: false } }))));
    const pending = new Set(jobs.map((j) => j.id));
    while (pending.size) {
      for (const id of [...pending]) {
        // The state first, then the job: a job read before it completes carries no return value even when its
        // state, read a moment later, says completed.
        const state = await answer(queue.getJobState(id));
        if (state === "unknown") throw new Error(`queue: job ${id} disappeared from ${url}`);
        if (state !== "completed" && state !== "failed") continue;
        const job = await answer(queue.getJob(id));
        if (!job) throw new Error(`queue: job ${id} disappeared from ${url}`);
        if (state === "completed") {
          pending.delete(id);
          onResult(job.returnvalue as RunResult);
        } else if (state === "failed") {
          throw new Error(`queue: run ${id} failed after ${job.attemptsMade} attempts: ${job.failedReason}`);
        }
      }
      if (pending.size) await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    // Without a server, close() can wait on the reconnecting client forever: then drop the connection (not awaited:
    // its promise can stay pending too) and go on.
    await withDeadline(queue.close(), 2000, () => new Error("close")).catch(() => void queue.disconnect().catch(() => {}));
  }
}

/**
 * Serve the queue in this process until stopped: one run at a time (a run uses the whole core). Returns a handle
 * whose close() stops taking jobs and waits for the current one.
 */
export async function startQueueWorker(url: string, timings: QueueTimings = {}, log: (line: string) => void = () => {}): Promise<{ close(): Promise<void> }> {
  await initBackend({ verbose: false });
  const datasets = new Map<string, Promise<Dataset>>();
  const datasetOf = (spec: DatasetSpec) => {
    const key = canonical(spec);
    let d = datasets.get(key);
    if (!d) datasets.set(key, (d = loadDatasetSpec(spec)));
    return d;
  };
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job<{ spec: RunSpec }>) => {
      const t0 = performance.now();
      const result = await executeRun(job.data.spec, await datasetOf(job.data.spec.dataset), job.id!);
      log(`run ${job.id} (${result.label}, seed ${result.seed}) done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return result;
    },
    {
      connection: connectionOf(url),
      concurrency: 1,
      lockDuration: timings.lockMs ?? 60000,
      stalledInterval: timings.stalledIntervalMs ?? 15000,
      maxStalledCount: 3,
    },
  );
  worker.on("failed", (job, err) => log(`run ${job?.id} failed: ${err.message}`));
  // A worker outlives Redis restarts (ioredis reconnects): say once per kind of trouble, not once per retry.
  let trouble = "";
  worker.on("error", (e: Error) => {
    if (e.message !== trouble) log(`cannot reach Redis at ${url} (${(trouble = e.message)}); retrying`);
  });
  await worker.waitUntilReady();
  return { close: () => worker.close() };
}
