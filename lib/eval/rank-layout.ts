/**
 * Where everything of one full-ranking evaluation lives in the one shared memory that the kernel (rank-kernel.ts)
 * and every thread work on: inputs written once by the calling thread (packed items, the evaluated users' rows in
 * case order, item bias, the relevant and masked CSRs, popularity), outputs written per case by whichever thread
 * ranks it (per-user metrics, top-k lists), and a scratch area per thread. Offsets are a pure function of the
 * sizes, so a worker derives the same layout from the same `RankSpec` and nothing else is sent.
 */
import { PANEL, TILE } from "./rank-kernel";
import type { PerUserValues } from "./report";

export interface RankSpec {
  numUsers: number;
  numItems: number;
  dim: number;
  hasBias: boolean;
  /** Evaluated users (cases). */
  cases: number;
  relevantNnz: number;
  maskedNnz: number;
  /** Most relevant items of one user (sizes the JavaScript rank scratch). */
  maxRelevant: number;
  k: number;
  /** Threads with a scratch slot (slot 0 is the calling thread). */
  threads: number;
  /** Cases per claimed block (a multiple of TILE). */
  blockSize: number;
}

/** Int32 slots of the control block. */
export const CONTROL = { next: 0, finished: 1, stopAt: 2 } as const;
/** Bytes of an error message a thread can leave (UTF-8, truncated beyond). */
export const ERROR_BYTES = 4096;

const METRICS = ["hr", "recall", "precision", "ndcg", "map", "mrr", "auc", "popularity"] as const;
const COUNTS = ["users", "rank", "numRelevant", "numCandidates"] as const;

export interface ThreadScratch {
  /** TILE score rows of `rowStride` bytes. */
  rows: number;
  stamp: number;
  topItems: number;
  topScores: number;
  /** 4 int32 results of the kernel's calls. */
  res: number;
  /** int32 case, int32 byte length, then the message. */
  error: number;
  /** float64 seconds: busy in this evaluation, of which computing scores (score4 + addBias). */
  timing: number;
}

export interface RankLayout {
  control: number;
  numPanels: number;
  panels: number;
  /** Rows of the evaluated users in case order, plus TILE - 1 zero rows so the last tile reads inside. */
  userRows: number;
  bias: number;
  cases: number;
  relIndptr: number;
  relIndices: number;
  maskIndptr: number;
  maskIndices: number;
  popularity: number;
  out: Record<(typeof COUNTS)[number] | (typeof METRICS)[number] | "lists", number>;
  rowStride: number;
  threads: ThreadScratch[];
  bytes: number;
}

export function rankLayout(s: RankSpec): RankLayout {
  let at = 0;
  // 64-byte aligned regions (SIMD loads and cache lines).
  const take = (bytes: number) => {
    const start = at;
    at += Math.ceil(bytes / 64) * 64;
    return start;
  };
  const numPanels = Math.ceil(s.numItems / PANEL);
  const rowStride = numPanels * PANEL * 4;
  const control = take(64);
  const panels = take(numPanels * s.dim * PANEL * 4);
  const userRows = take((s.cases + TILE - 1) * s.dim * 4);
  const bias = take(s.hasBias ? numPanels * PANEL * 8 : 0);
  const cases = take(s.cases * 4);
  const relIndptr = take((s.numUsers + 1) * 4);
  const relIndices = take(s.relevantNnz * 4);
  const maskIndptr = take((s.numUsers + 1) * 4);
  const maskIndices = take(s.maskedNnz * 4);
  const popularity = take(s.numItems * 4);
  const out = {} as RankLayout["out"];
  for (const name of COUNTS) out[name] = take(s.cases * 4);
  for (const name of METRICS) out[name] = take(s.cases * 8);
  out.lists = take(s.cases * s.k * 4);
  const threads: ThreadScratch[] = [];
  for (let t = 0; t < s.threads; t++) {
    threads.push({
      rows: take(TILE * rowStride),
      stamp: take(s.numItems * 4),
      topItems: take(s.k * 4),
      topScores: take(s.k * 4),
      res: take(16),
      error: take(8 + ERROR_BYTES),
      timing: take(16),
    });
  }
  return { control, numPanels, panels, userRows, bias, cases, relIndptr, relIndices, maskIndptr, maskIndices, popularity, out, rowStride, threads, bytes: at };
}

/** Typed-array views of a layout's regions on `buffer`. */
export function rankViews(buffer: ArrayBufferLike, L: RankLayout, s: RankSpec) {
  const i32 = (at: number, n: number) => new Int32Array(buffer, at, n);
  const f64 = (at: number, n: number) => new Float64Array(buffer, at, n);
  const perUser = {} as PerUserValues;
  for (const name of COUNTS) perUser[name] = i32(L.out[name], s.cases);
  for (const name of METRICS) perUser[name] = f64(L.out[name], s.cases);
  return {
    control: i32(L.control, 16),
    f32: new Float32Array(buffer),
    i32: new Int32Array(buffer),
    u8: new Uint8Array(buffer),
    cases: i32(L.cases, s.cases),
    relIndptr: i32(L.relIndptr, s.numUsers + 1),
    relIndices: i32(L.relIndices, s.relevantNnz),
    maskIndptr: i32(L.maskIndptr, s.numUsers + 1),
    maskIndices: i32(L.maskIndices, s.maskedNnz),
    popularity: i32(L.popularity, s.numItems),
    perUser,
    lists: i32(L.out.lists, s.cases * s.k),
  };
}


/** A plain (unshared) copy of the per-user values, for the report. */
export function copyPerUser(p: PerUserValues): PerUserValues {
  const out = {} as PerUserValues;
  for (const name of COUNTS) out[name] = p[name].slice();
  for (const name of METRICS) out[name] = p[name]!.slice();
  return out;
}
