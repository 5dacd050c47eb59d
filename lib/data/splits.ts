/**
 * Train/test splits. Every split returns Interactions in the same index space as its input (same numUsers,
 * numItems and id maps), so a model trained on `train` scores `test` ids directly.
 *
 * "Latest" always means the largest timestamp, ties broken by position in the source: the later row is the later
 * event. Without timestamps, the row order alone decides. Rows of train, validation and test keep their source
 * order, except leave-one-out test sets, which are ordered by user (one row per user).
 *
 * Users with fewer interactions than a split needs stay entirely in train and are counted in `skippedUsers`;
 * nothing is dropped silently.
 *
 * Repeated (user, item) pairs (a re-rating, a second click) are merged to their latest row before splitting, by
 * default: otherwise an earlier row of a held-out pair stays in train, the model has seen the answer, and the
 * metrics are inflated. The merged rows are counted in `mergedDuplicates`; `duplicates: "keep"` opts out.
 */
import { type Interactions, rowsByUser } from "./interactions";
import type { Rng } from "../random";

export { rowsByUser };

export interface Split {
  train: Interactions;
  test: Interactions;
  /** Present after carveValidation: carved from the training rows. */
  validation?: Interactions;
  /** Users left entirely in train because they had fewer than minInteractions interactions. */
  skippedUsers: number;
  /** After carveValidation: users of train that were too small to give a validation row. */
  validationSkippedUsers?: number;
  /** Time split: distinct users / items of test without any training interaction (cold start). */
  coldUsers?: number;
  coldItems?: number;
  /** Time split with dropCold: test rows removed because their user or item is cold. */
  droppedColdRows?: number;
  /**
   * Rows merged into a later row of the same (user, item) pair before splitting (see DuplicateOptions); 0 when
   * there were none or with duplicates: "keep". After carveValidation: the split's count plus those merged in train.
   */
  mergedDuplicates: number;
}

/** What a split does with repeated (user, item) pairs. Every split takes this option. */
export interface DuplicateOptions {
  /**
   * "latest" (default): first keep only the latest row of each (user, item) pair (largest timestamp; on a tie the
   * later row; its rating with it) and count the others in `mergedDuplicates`, so that a held-out item cannot also
   * sit in train. "keep": split the rows as they are, repeats and all (for logs where a repeat is an event you mean
   * to predict; then train and test may share pairs).
   */
  duplicates?: "latest" | "keep";
}

/** Applies the duplicates option: the rows to split and how many were merged away. */
function mergeDuplicates(data: Interactions, options: DuplicateOptions, where: string): { data: Interactions; merged: number } {
  const policy = options.duplicates ?? "latest";
  if (policy !== "latest" && policy !== "keep") {
    throw new Error(`${where}: duplicates must be "latest" (default) or "keep", got ${JSON.stringify(policy)}`);
  }
  if (policy === "keep") return { data, merged: 0 };
  const unique = data.deduplicate();
  return { data: unique, merged: data.length - unique.length };
}

export interface LeaveOneOutOptions extends DuplicateOptions {
  /** Users with fewer interactions keep them all in train. Default 2 (at least one stays in train). */
  minInteractions?: number;
  /** "latest" (default): hold out the latest interaction; "random": a random one (needs rng). */
  pick?: "latest" | "random";
  rng?: Rng;
}

/**
 * Leave-one-out: for each user with at least minInteractions interactions, the latest one (largest timestamp; on a
 * tie, the row that comes later in the source) goes to test, the rest to train. Test rows are ordered by user.
 */
export function leaveOneOut(raw: Interactions, options: LeaveOneOutOptions = {}): Split {
  const minInteractions = options.minInteractions ?? 2;
  checkMin(minInteractions, 2, "leaveOneOut");
  const pick = options.pick ?? "latest";
  if (pick === "random" && !options.rng) throw new Error("leaveOneOut: pick 'random' needs an rng (e.g. new Rng(seed).derive('split'))");
  const { data, merged } = mergeDuplicates(raw, options, "leaveOneOut");
  const counts = data.userCounts();
  const chosen = new Int32Array(data.numUsers).fill(-1);
  if (pick === "latest") {
    const ts = data.timestamps;
    for (let r = 0; r < data.length; r++) {
      const u = data.users[r]!;
      const best = chosen[u]!;
      // >= : a later row with the same timestamp wins the tie.
      if (best < 0 || !ts || ts[r]! >= ts[best]!) chosen[u] = r;
    }
  } else {
    // Reservoir sampling of one row per user: uniform, one pass, in row order (deterministic for a given rng).
    const seen = new Int32Array(data.numUsers);
    for (let r = 0; r < data.length; r++) {
      const u = data.users[r]!;
      seen[u]!++;
      if (options.rng!.int(seen[u]!) === 0) chosen[u] = r;
    }
  }
  const isTest = new Uint8Array(data.length);
  const testRows: number[] = [];
  let skippedUsers = 0;
  for (let u = 0; u < data.numUsers; u++) {
    if (counts[u] === 0) continue;
    if (counts[u]! < minInteractions) {
      skippedUsers++;
      continue;
    }
    isTest[chosen[u]!] = 1;
    testRows.push(chosen[u]!);
  }
  return { train: data.select(rowsWhere(isTest, 0)), test: data.select(Int32Array.from(testRows)), skippedUsers, mergedDuplicates: merged };
}

export interface RatioSplitOptions extends DuplicateOptions {
  /** Share of each eligible user's interactions that goes to test. Default 0.2. */
  testFraction?: number;
  /** "random" (default; needs rng): a random subset per user; "time": each user's latest interactions. */
  by?: "random" | "time";
  rng?: Rng;
  /** Users with fewer interactions keep them all in train. Default 2. */
  minInteractions?: number;
}

/**
 * Per-user ratio split: an eligible user with n interactions puts round(n * testFraction) of them in test, but at
 * least 1 and at most n - 1, chosen at random or as their latest (ties: later row).
 */
export function ratioSplit(raw: Interactions, options: RatioSplitOptions = {}): Split {
  const fraction = options.testFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`ratioSplit: testFraction must be in (0, 1), got ${fraction}`);
  const by = options.by ?? "random";
  if (by === "random" && !options.rng) throw new Error("ratioSplit: by 'random' needs an rng (e.g. new Rng(seed).derive('split')), or use by: 'time'");
  const minInteractions = options.minInteractions ?? 2;
  checkMin(minInteractions, 2, "ratioSplit");
  const { data, merged } = mergeDuplicates(raw, options, "ratioSplit");
  const { indptr, rows } = rowsByUser(data);
  const isTest = new Uint8Array(data.length);
  let skippedUsers = 0;
  for (let u = 0; u < data.numUsers; u++) {
    const mine = rows.subarray(indptr[u]!, indptr[u + 1]!);
    const n = mine.length;
    if (n === 0) continue;
    if (n < minInteractions) {
      skippedUsers++;
      continue;
    }
    const k = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
    if (by === "time") {
      sortByTime(mine, data.timestamps);
      for (let j = n - k; j < n; j++) isTest[mine[j]!] = 1;
    } else {
      // Partial Fisher-Yates: the first k of a random permutation of the user's rows.
      const copy = Int32Array.from(mine);
      for (let j = 0; j < k; j++) {
        const s = j + options.rng!.int(n - j);
        const t = copy[j]!;
        copy[j] = copy[s]!;
        copy[s] = t;
        isTest[copy[j]!] = 1;
      }
    }
  }
  return { train: data.select(rowsWhere(isTest, 0)), test: data.select(rowsWhere(isTest, 1)), skippedUsers, mergedDuplicates: merged };
}

export interface TimeSplitOptions extends DuplicateOptions {
  /** Share of all interactions, the latest ones, that goes to test. Default 0.2 (ignored when cutoff is given). */
  testFraction?: number;
  /** Alternatively: interactions with timestamp >= cutoff (seconds) go to test. */
  cutoff?: number;
  /** Remove test rows whose user or item has no training interaction (reported in droppedColdRows). Default false. */
  dropCold?: boolean;
}

/**
 * Global time split: one moment divides the past (train) from the future (test), as in deployment. Rows are ordered
 * by (timestamp, source row). Users and items first seen after the cut are cold; they are counted (coldUsers,
 * coldItems) and kept unless dropCold. skippedUsers is 0: no user is treated specially.
 */
export function globalTimeSplit(raw: Interactions, options: TimeSplitOptions = {}): Split {
  if (!raw.timestamps) throw new Error("globalTimeSplit: these interactions have no timestamps; use ratioSplit or leaveOneOut instead");
  const fraction = options.testFraction ?? 0.2;
  if (options.cutoff === undefined && !(fraction > 0 && fraction < 1)) {
    throw new Error(`globalTimeSplit: testFraction must be in (0, 1), got ${fraction}`);
  }
  const { data, merged } = mergeDuplicates(raw, options, "globalTimeSplit");
  const ts = data.timestamps!;
  const isTest = new Uint8Array(data.length);
  if (options.cutoff !== undefined) {
    for (let r = 0; r < data.length; r++) if (ts[r]! >= options.cutoff) isTest[r] = 1;
  } else {
    const order = Int32Array.from({ length: data.length }, (_, r) => r);
    sortByTime(order, ts);
    const k = Math.round(data.length * fraction);
    for (let j = data.length - k; j < data.length; j++) isTest[order[j]!] = 1;
  }
  const seenUser = new Uint8Array(data.numUsers);
  const seenItem = new Uint8Array(data.numItems);
  for (let r = 0; r < data.length; r++) {
    if (!isTest[r]) {
      seenUser[data.users[r]!] = 1;
      seenItem[data.items[r]!] = 1;
    }
  }
  const coldUser = new Uint8Array(data.numUsers);
  const coldItem = new Uint8Array(data.numItems);
  let droppedColdRows = 0;
  for (let r = 0; r < data.length; r++) {
    if (!isTest[r]) continue;
    const cu = !seenUser[data.users[r]!];
    const ci = !seenItem[data.items[r]!];
    if (cu) coldUser[data.users[r]!] = 1;
    if (ci) coldItem[data.items[r]!] = 1;
    if (options.dropCold && (cu || ci)) {
      isTest[r] = 2;
      droppedColdRows++;
    }
  }
  return {
    train: data.select(rowsWhere(isTest, 0)),
    test: data.select(rowsWhere(isTest, 1)),
    skippedUsers: 0,
    coldUsers: coldUser.reduce((s, v) => s + v, 0),
    coldItems: coldItem.reduce((s, v) => s + v, 0),
    ...(options.dropCold ? { droppedColdRows } : {}),
    mergedDuplicates: merged,
  };
}

export type ValidationOptions =
  | ({ method: "leave-one-out" } & LeaveOneOutOptions)
  | ({ method: "ratio" } & RatioSplitOptions);

/**
 * Carves a validation set out of a split's training rows with leave-one-out or a ratio split (the test set is
 * untouched). Users too small for it are counted in validationSkippedUsers. Repeats left in train (a split made
 * with duplicates: "keep") are merged unless these options say "keep" too; they are added to mergedDuplicates.
 */
export function carveValidation(split: Split, options: ValidationOptions): Split {
  const inner = options.method === "leave-one-out" ? leaveOneOut(split.train, options) : ratioSplit(split.train, options);
  return {
    ...split,
    train: inner.train,
    validation: inner.test,
    validationSkippedUsers: inner.skippedUsers,
    mergedDuplicates: split.mergedDuplicates + inner.mergedDuplicates,
  };
}

/** Sorts row numbers in place by (timestamp, row); by row alone without timestamps. */
function sortByTime(rows: Int32Array, ts: Float64Array | undefined): void {
  if (ts) rows.sort((a, b) => ts[a]! - ts[b]! || a - b);
  else rows.sort();
}

function rowsWhere(flags: Uint8Array, value: number): Int32Array {
  let n = 0;
  for (let r = 0; r < flags.length; r++) if (flags[r] === value) n++;
  const out = new Int32Array(n);
  for (let r = 0, k = 0; r < flags.length; r++) if (flags[r] === value) out[k++] = r;
  return out;
}

function checkMin(v: number, least: number, where: string): void {
  if (!Number.isInteger(v) || v < least) throw new Error(`${where}: minInteractions must be an integer >= ${least}, got ${v}`);
}
