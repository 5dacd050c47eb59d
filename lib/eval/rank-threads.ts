/**
 * The worker threads of full-ranking evaluation: one pool per process, started lazily (the first evaluation that
 * asks for more than one thread), grown on demand, reused across evaluations (a worker costs ~30 ms to start from
 * dist/, more under tsx), unref'd while idle so it never keeps a process alive, and ended by
 * `disposeEvaluationThreads()`. A worker that dies fails the evaluation in progress and takes the whole pool down
 * with it (the next evaluation starts a new one): no thread is left behind.
 *
 * The entry works from sources and from dist/ (lib/worker-thread.ts).
 */
import * as path from "path";
import type { Worker } from "node:worker_threads";
import { startThread } from "../worker-thread";
import type { WorkerMessage } from "./rank-worker";

const entry = path.join(__dirname, `rank-worker${path.extname(__filename)}`);

export class RankThreads {
  private workers: Worker[] = [];
  /** Rejecters of the evaluations in progress (several may run at once; a dead worker fails them all). */
  private readonly failed = new Set<(err: Error) => void>();
  /** Tasks sent and not yet done, per memory: a memory is reused only when none are left. */
  private readonly pending = new Map<object, number>();
  /** The memories of the tasks each worker has been sent and not finished, in order. */
  private readonly sentTo = new Map<Worker, object[]>();
  /** Workers that have started (loaded their code). */
  private readonly ready = new Set<Worker>();
  private readonly waiters = new Set<() => void>();

  get size(): number {
    return this.workers.length;
  }

  /** At least n workers (started now if missing; they join evaluations as soon as they are up). */
  ensure(n: number): void {
    while (this.workers.length < n) {
      const w = startThread(entry);
      w.unref();
      const die = (why: string) => {
        if (!this.workers.includes(w)) return;
        const err = new Error(`full-ranking evaluation: worker thread ${w.threadId} ${why}; the evaluation stopped and its threads were ended`);
        const fail = [...this.failed];
        void this.dispose();
        for (const f of fail) f(err);
      };
      w.on("error", (err) => die(`failed: ${err.message}`));
      w.on("message", (m: { type: string }) => {
        if (m.type === "ready") this.ready.add(w);
        if (m.type !== "done") return;
        const memory = this.sentTo.get(w)?.shift();
        if (memory) this.pending.set(memory, this.pending.get(memory)! - 1);
        for (const check of [...this.waiters]) check();
      });
      w.on("exit", (code) => die(`exited (code ${code})`));
      this.workers.push(w);
    }
  }

  /**
   * Hand an evaluation to the first `n` workers (scratch slots 1..n) and keep them referenced until `done`
   * settles; `done` rejects if a worker dies first.
   */
  async during<T>(n: number, send: (slot: number) => WorkerMessage & { type: "rank" }, work: () => Promise<T>): Promise<T> {
    const used = this.workers.slice(0, n);
    let reject!: (err: Error) => void;
    const crashed = new Promise<never>((_, r) => (reject = r));
    this.failed.add(reject);
    try {
      used.forEach((w, i) => {
        w.ref();
        const task = send(i + 1);
        w.postMessage(task);
        this.pending.set(task.memory, (this.pending.get(task.memory) ?? 0) + 1);
        const sent = this.sentTo.get(w) ?? [];
        sent.push(task.memory);
        this.sentTo.set(w, sent);
      });
      return await Promise.race([work(), crashed]);
    } finally {
      this.failed.delete(reject);
      for (const w of used) w.unref();
    }
  }

  /**
   * Resolves when every worker that had started by now is done with `memory` (each is then past its last block:
   * this takes microseconds). Workers still starting are not waited for; they will find nothing left to do.
   */
  settled(memory: object): Promise<void> {
    const started = [...this.ready];
    return new Promise((resolve) => {
      const check = () => {
        if (started.some((w) => this.workers.includes(w) && this.sentTo.get(w)?.includes(memory))) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** True while a worker may still read or write `memory` (a task sent to it is not done). */
  inUse(memory: object): boolean {
    return (this.pending.get(memory) ?? 0) > 0;
  }

  /** End every worker; resolves when they have exited. */
  async dispose(): Promise<void> {
    const all = this.workers;
    this.workers = [];
    this.pending.clear();
    this.sentTo.clear();
    this.ready.clear();
    for (const check of [...this.waiters]) check();
    await Promise.all(all.map((w) => w.terminate()));
  }
}

let pool: RankThreads | undefined;

/** The process's pool (created on first use). */
export function rankThreads(): RankThreads {
  return (pool ??= new RankThreads());
}

/** End the worker threads of full-ranking evaluation (they are unref'd, so this is only needed to free them early). */
export async function disposeEvaluationThreads(): Promise<void> {
  const p = pool;
  pool = undefined;
  for (const release of onDispose) release();
  await p?.dispose();
}

const onDispose: (() => void)[] = [];

/** Run `release` when the threads are disposed (the evaluator drops its kept memory then). */
export function onDisposeEvaluationThreads(release: () => void): void {
  onDispose.push(release);
}

/** Whether a pooled worker may still use `memory`. */
export function memoryInUse(memory: object): boolean {
  return pool?.inUse(memory) ?? false;
}
