/**
 * What every thread of a full-ranking evaluation runs, the calling thread and the workers alike: claim the next
 * block of cases (an atomic counter in the shared memory, so a slower or later thread simply takes fewer blocks),
 * score it 4 users at a time with the kernel, rank each row in place and write that user's metrics and top-k list
 * into the shared outputs. The per-user values come from the same functions as the single-threaded evaluator
 * (rankRelevant, recordCase, listPopularity), and each case is written by exactly one thread, so the results do
 * not depend on how many threads ran or which one took which block.
 *
 * Errors: a thread that fails on case c lowers `stopAt` to c and leaves its message in its scratch slot; the
 * others stop before any case >= stopAt. Blocks are claimed in order, so every case before c is still ranked,
 * and the error reported (the lowest case's) is the one the single-threaded evaluator would have thrown.
 */
import { listPopularity } from "./catalog";
import { rankRelevant } from "./ranking";
import { PANEL, TILE, rankKernel } from "./rank-kernel";
import { CONTROL, ERROR_BYTES, rankLayout, rankViews, type RankSpec } from "./rank-layout";
import { recordCase } from "./report";

/**
 * Errors name users by index here (threads do not have the id maps); the calling thread puts the id back
 * (rankWithKernel in rank-parallel.ts).
 */
export const userPlaceholder = (u: number): string => `user #${u}#`;

/** Run one thread's share of the evaluation whose memory and spec are given; `slot` is this thread's scratch. */
export function runShard(memory: { buffer: ArrayBufferLike }, spec: RankSpec, slot: number): void {
  const L = rankLayout(spec);
  const v = rankViews(memory.buffer, L, spec);
  const ctl = v.control;
  const scratch = L.threads[slot]!;
  const numBlocks = Math.ceil(spec.cases / spec.blockSize);
  const started = performance.now();
  let products = 0;
  let current = -1;
  try {
    const kernel = rankKernel(spec.dim, memory);
    const { numItems: n, k, blockSize } = spec;
    const f32 = v.f32;
    const i32 = v.i32;
    const { cases, relIndptr, relIndices, maskIndptr, maskIndices, popularity, perUser, lists } = v;
    const ranks = new Float64Array(Math.max(1, spec.maxRelevant));
    const rel = new Float64Array(ranks.length);
    const diff = new Int32Array(ranks.length + 1);
    const one = ranks.subarray(0, 1);
    const res = scratch.res >> 2;
    for (;;) {
      const b = Atomics.add(ctl, CONTROL.next, 1);
      if (b >= numBlocks) break;
      current = -1;
      try {
        const end = Math.min(spec.cases, (b + 1) * blockSize);
        for (let tile = b * blockSize; tile < end; tile += TILE) {
          if (tile >= Atomics.load(ctl, CONTROL.stopAt)) break;
          const t0 = performance.now();
          kernel.score4(L.userRows + tile * spec.dim * 4, L.panels, L.numPanels, scratch.rows, L.rowStride);
          if (spec.hasBias) for (let r = 0; r < TILE; r++) kernel.addBias(scratch.rows + r * L.rowStride, L.numPanels * (PANEL / 4), L.bias);
          products += performance.now() - t0;
          for (let r = 0, c = tile; r < TILE && c < end; r++, c++) {
            current = c;
            const row = scratch.rows + r * L.rowStride;
            const u = cases[c]!;
            const r0 = relIndptr[u]!;
            const r1 = relIndptr[u + 1]!;
            const m0 = maskIndptr[u]!;
            const m1 = maskIndptr[u + 1]!;
            const tag = c + 1;
            kernel.stampMask(L.maskIndices + m0 * 4, m1 - m0, scratch.stamp, tag);
            let caseRanks: Float64Array;
            if (r1 - r0 === 1) {
              // One held-out item (leave-one-out): its pessimistic rank is the kernel's count.
              kernel.countAtLeast(row, n, f32[(row >> 2) + relIndices[r0]!]!, L.maskIndices + m0 * 4, m1 - m0, scratch.res);
              if (i32[res + 1]) rankRelevant(f32, row >> 2, n, relIndices.subarray(r0, r1), maskIndices.subarray(m0, m1), one, rel, diff, userPlaceholder(u));
              one[0] = i32[res]!;
              caseRanks = one;
            } else {
              caseRanks = ranks.subarray(0, r1 - r0);
              rankRelevant(f32, row >> 2, n, relIndices.subarray(r0, r1), maskIndices.subarray(m0, m1), caseRanks, rel, diff, userPlaceholder(u));
            }
            recordCase(perUser, c, u, caseRanks, n - (m1 - m0), k);
            kernel.topK(row, n, scratch.stamp, tag, k, scratch.topItems, scratch.topScores, scratch.res);
            const found = i32[res + 2]!;
            const at = c * k;
            for (let j = 0; j < k; j++) lists[at + j] = j < found ? i32[(scratch.topItems >> 2) + j]! : -1;
            perUser.popularity![c] = listPopularity(lists.subarray(at, at + k), popularity);
          }
        }
      } catch (err) {
        // The next blocks start beyond stopAt now: this thread only counts them off.
        recordError(v, ctl, scratch.error, current, err);
      }
      finish(ctl);
    }
  } catch (err) {
    // Could not start (e.g. no kernel here): stop everyone, and count off the blocks nobody else takes.
    recordError(v, ctl, scratch.error, -1, err);
    while (Atomics.add(ctl, CONTROL.next, 1) < numBlocks) finish(ctl);
  }
  const timing = new Float64Array(memory.buffer, scratch.timing, 2);
  timing[0] = (performance.now() - started) / 1000;
  timing[1] = products / 1000;
}

function finish(ctl: Int32Array): void {
  Atomics.add(ctl, CONTROL.finished, 1);
  Atomics.notify(ctl, CONTROL.finished);
}

/** Lower stopAt to `c` (-1: not tied to a case, stops everything) and leave the message in this thread's slot. */
function recordError(v: { i32: Int32Array; u8: Uint8Array }, ctl: Int32Array, slot: number, c: number, err: unknown): void {
  for (;;) {
    const seen = Atomics.load(ctl, CONTROL.stopAt);
    const want = Math.max(0, c);
    if (seen <= want || Atomics.compareExchange(ctl, CONTROL.stopAt, seen, want) === seen) break;
  }
  const bytes = new TextEncoder().encode(err instanceof Error ? err.message : String(err)).subarray(0, ERROR_BYTES);
  v.u8.set(bytes, slot + 8);
  v.i32[(slot >> 2) + 1] = bytes.length;
  Atomics.store(v.i32, slot >> 2, c + 2); // 0 = no error; c + 2 so that c = -1 is stored as 1
}

/** The error a thread left in its slot, if any: its case (-1 if not tied to one) and message. */
export function readError(buffer: ArrayBufferLike, slot: number): { case: number; message: string } | undefined {
  const i32 = new Int32Array(buffer, slot, 2);
  const mark = Atomics.load(i32, 0);
  if (mark === 0) return undefined;
  const bytes = new Uint8Array(buffer, slot + 8, i32[1]!).slice(); // TextDecoder refuses shared views
  return { case: mark - 2, message: new TextDecoder().decode(bytes) };
}
