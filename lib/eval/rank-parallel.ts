/**
 * Full-ranking evaluation of a factor model with the kernel (rank-kernel.ts) on one or more threads: the calling
 * thread writes the inputs once into one shared memory, then it and `threads - 1` pooled workers (rank-threads.ts)
 * claim blocks of users from it until none is left (rank-shard.ts), and the per-user outputs are copied out.
 * Nothing is copied per block and no score leaves the wasm memory.
 *
 * The calling thread never waits for a worker to start: it begins at once, and workers that are still starting
 * when every block is taken just find nothing to do. So a cold pool costs little more than one thread would.
 */
import * as os from "os";
import type { Factors } from "../models/recommender";
import type { UserItemSets } from "./mask";
import { PANEL, TILE, sharedMemory } from "./rank-kernel";
import { CONTROL, copyPerUser, rankLayout, rankViews, type RankSpec } from "./rank-layout";
import { readError, runShard, userPlaceholder } from "./rank-shard";
import { memoryInUse, onDisposeEvaluationThreads, rankThreads } from "./rank-threads";
import type { PerUserValues } from "./report";

export interface KernelRun {
  factors: Factors;
  numUsers: number;
  numItems: number;
  /** The evaluated users, in report order. */
  cases: Int32Array;
  relevant: UserItemSets;
  masked: UserItemSets;
  popularity: Int32Array;
  k: number;
  threads: number;
  /** Users per claimed block; default DEFAULT_BLOCK. */
  blockSize?: number;
  /** For error messages: raw user ids. */
  userIds: readonly string[];
  /** Tests: one worker takes a block and dies with this message. */
  crashForTest?: string;
}

/** Users per block a thread claims: small enough to share well between threads (16 x 3,706 items ~ 0.3 ms). */
export const DEFAULT_BLOCK = 16;

/**
 * Threads for `threads: "auto"`: one for small evaluations (a worker's hand-off costs more than it saves), else
 * every core, or RECSYS_EVAL_THREADS when set (the experiment pool sets 1 in its worker processes, which already
 * use the cores).
 */
export function autoThreads(cases: number, numItems: number, dim: number): number {
  const fromEnv = Number(process.env.RECSYS_EVAL_THREADS);
  const cores = Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return cases * numItems * dim >= AUTO_THREADS_ABOVE ? Math.max(1, cores) : 1;
}

/** Multiply-adds of an evaluation above which "auto" uses every core (see README, Performance). */
const AUTO_THREADS_ABOVE = 2e8;

/** Where the time of a kernel evaluation went, in seconds. */
export interface KernelTimings {
  /** Writing the inputs into the shared memory (and allocating it). */
  setup: number;
  /** Computing scores (the kernel's products), summed over threads. */
  products: number;
  /** Ranking, top-k lists and per-user metrics, summed over threads. */
  ranking: number;
  /** The calling thread waiting for workers to finish their last blocks, plus reading the outputs back. */
  waiting: number;
  /** Busy seconds of each thread that took part (slot order; 0 for a worker that found nothing left). */
  threadBusy: number[];
}

export async function rankWithKernel(run: KernelRun): Promise<{ perUser: PerUserValues; lists: Int32Array; timings: KernelTimings }> {
  const t0 = performance.now();
  const { factors: f, numUsers, numItems, cases, relevant, masked, k } = run;
  const threads = Math.max(1, Math.floor(run.threads));
  const blockSize = Math.ceil((run.blockSize ?? DEFAULT_BLOCK) / TILE) * TILE;
  let maxRelevant = 1;
  for (let u = 0; u < numUsers; u++) maxRelevant = Math.max(maxRelevant, relevant.indptr[u + 1]! - relevant.indptr[u]!);
  const spec: RankSpec = {
    numUsers,
    numItems,
    dim: f.dim,
    hasBias: !!f.itemBias,
    cases: cases.length,
    relevantNnz: relevant.indices.length,
    maskedNnz: masked.indices.length,
    maxRelevant,
    k,
    threads,
    blockSize,
  };
  const L = rankLayout(spec);
  const memory = memoryFor(L);
  try {
    const v = rankViews(memory.buffer, L, spec);
    writeInputs(run, L, v);
    const numBlocks = Math.ceil(cases.length / blockSize);
    const ctl = v.control;
    Atomics.store(ctl, CONTROL.stopAt, cases.length);

    const t1 = performance.now();
    let t2 = t1;
    const work = async () => {
      runShard(memory, spec, 0);
      t2 = performance.now();
      await allFinished(ctl, numBlocks);
    };
    try {
      if (threads === 1) await work();
      else {
        const pool = rankThreads();
        pool.ensure(threads - 1);
        const task = (slot: number) => ({ type: "rank" as const, memory, spec, slot, crash: slot === 1 ? run.crashForTest : undefined });
        await pool.during(threads - 1, task, async () => {
          await work();
          // Their timings are written after their last block; and the memory can then be reused at once.
          await pool.settled(memory);
        });
      }
    } finally {
      // A dead worker never finishes its block: release the wait.
      Atomics.store(ctl, CONTROL.finished, numBlocks);
      Atomics.notify(ctl, CONTROL.finished);
    }
    return collect(run, L, v, memory, t0, t1, t2);
  } finally {
    release(memory);
  }
}

/** The outputs of a finished evaluation (copied out of the shared memory), or the error of its lowest case. */
function collect(
  run: KernelRun,
  L: ReturnType<typeof rankLayout>,
  v: ReturnType<typeof rankViews>,
  memory: { buffer: SharedArrayBuffer },
  t0: number,
  t1: number,
  t2: number,
): { perUser: PerUserValues; lists: Int32Array; timings: KernelTimings } {
  const { cases } = run;
  let first: { case: number; message: string } | undefined;
  for (const t of L.threads) {
    const e = readError(memory.buffer, t.error);
    if (e && (!first || e.case < first.case)) first = e;
  }
  if (first) {
    const u = first.case >= 0 ? cases[first.case]! : -1;
    throw new Error(u >= 0 ? first.message.split(userPlaceholder(u)).join(`user ${run.userIds[u]} (index ${u})`) : first.message);
  }
  const result = { perUser: copyPerUser(v.perUser), lists: v.lists.slice() };
  const timing = L.threads.map((t) => new Float64Array(memory.buffer, t.timing, 2));
  const products = timing.reduce((s, t) => s + t[1]!, 0);
  const busy = timing.reduce((s, t) => s + t[0]!, 0);
  const timings = {
    setup: (t1 - t0) / 1000,
    products,
    ranking: busy - products,
    waiting: (performance.now() - t2) / 1000,
    threadBusy: timing.map((t) => t[0]!),
  };
  return { ...result, timings };
}

/**
 * The shared memory of one evaluation. The last one is kept and reused when it is large enough and no worker is
 * still on it: a fresh memory costs a page fault per 4 KiB touched, ~30 ms for the ~7 MB of an ML-1M evaluation
 * on this machine, more than the kernel's ranking. Reused, it is cleared where stale values would matter: the
 * control block and the threads' scratch (stamps are tagged with case numbers that repeat). Everything else is
 * rewritten (inputs) or written for every case (outputs); padding past the items and users only feeds score
 * columns and rows nobody reads. disposeEvaluationThreads() drops it.
 */
let kept: { memory: { buffer: SharedArrayBuffer }; bytes: number; busy: boolean } | undefined;
onDisposeEvaluationThreads(() => (kept = undefined));

/** A memory for layout L, marked busy until `release` (evaluations may run concurrently: each gets its own). */
function memoryFor(L: ReturnType<typeof rankLayout>): { buffer: SharedArrayBuffer } {
  if (kept && !kept.busy && kept.bytes >= L.bytes && !memoryInUse(kept.memory)) {
    kept.busy = true;
    const u8 = new Uint8Array(kept.memory.buffer);
    u8.fill(0, L.control, L.control + 64);
    for (const t of L.threads) u8.fill(0, t.rows, t.timing + 16);
    return kept.memory;
  }
  const pages = Math.ceil(L.bytes / 65536);
  kept = { memory: sharedMemory(pages), bytes: pages * 65536, busy: true };
  return kept.memory;
}

function release(memory: object): void {
  if (kept?.memory === memory) kept.busy = false;
}

function writeInputs(run: KernelRun, L: ReturnType<typeof rankLayout>, v: ReturnType<typeof rankViews>): void {
  const { factors: f, numItems, cases } = run;
  const { dim } = f;
  // Items in panels of 8: panel p holds, for each d, the d-th values of items 8p .. 8p + 7 (zeros past the end).
  const panels = v.f32.subarray(L.panels >> 2, (L.panels >> 2) + L.numPanels * dim * PANEL);
  const items = f.items;
  for (let p = 0, o = 0; p < L.numPanels; p++) {
    const first = p * PANEL;
    const count = Math.min(PANEL, numItems - first);
    for (let d = 0; d < dim; d++, o += PANEL) for (let l = 0; l < count; l++) panels[o + l] = items[(first + l) * dim + d]!;
  }
  const rows = v.f32.subarray(L.userRows >> 2);
  for (let c = 0; c < cases.length; c++) rows.set(f.users.subarray(cases[c]! * dim, (cases[c]! + 1) * dim), c * dim);
  if (f.itemBias) new Float64Array(v.f32.buffer, L.bias, numItems).set(f.itemBias);
  v.cases.set(cases);
  v.relIndptr.set(run.relevant.indptr);
  v.relIndices.set(run.relevant.indices);
  v.maskIndptr.set(run.masked.indptr);
  v.maskIndices.set(run.masked.indices);
  v.popularity.set(run.popularity);
}

type WaitAsync = (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string };

async function allFinished(ctl: Int32Array, total: number): Promise<void> {
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  for (;;) {
    const done = Atomics.load(ctl, CONTROL.finished);
    if (done >= total) return;
    const w = waitAsync(ctl, CONTROL.finished, done);
    if (w.async) await w.value;
  }
}
