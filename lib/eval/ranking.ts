/**
 * From one row of scores (a user x every item) to ranks and top-k lists, on typed arrays and without sorting
 * the row: ranks come from counting, top-k from a bounded heap.
 *
 * Tie policy (pessimistic): a relevant item is placed after every non-masked irrelevant candidate whose score
 * is greater than or EQUAL to its own, so a constant scorer ranks every held-out item last, never first. With
 * one relevant item t: rank = 1 + |{candidates c != t, not masked : score[c] >= score[t]}|. With several
 * relevant items, sorted by score descending (r_1 >= r_2 >= ...), the j-th one (j = 1, 2, ...) has
 * rank = j + |{irrelevant, non-masked c : score[c] >= r_j}|; the order among tied relevant items does not
 * change any metric because all of them have gain 1.
 *
 * Top-k lists (for coverage and popularity, and for showing recommendations) do not know which items are
 * relevant; they break ties by the lower item index, which is deterministic.
 *
 * NaN scores are an error: a NaN compares false with everything, so it would silently rank as neither above
 * nor below the held-out item.
 */

/**
 * Pessimistic 1-based ranks (ascending) of the `relevant` items among all items of `row` except `masked`.
 * `relevant` must be distinct; `masked` distinct and disjoint from `relevant` (evaluators guarantee both; this
 * function checks them). `context` names the row in error messages, e.g. "user 42".
 */
export function pessimisticRanks(
  row: ArrayLike<number>,
  relevant: ArrayLike<number>,
  masked: ArrayLike<number> = [],
  context = "row",
): Float64Array {
  const n = row.length;
  const role = new Uint8Array(n);
  for (let j = 0; j < relevant.length; j++) {
    const item = relevant[j]!;
    if (!(Number.isInteger(item) && item >= 0 && item < n)) throw new Error(`${context}: relevant item ${item} is outside [0, ${n})`);
    if (role[item]) throw new Error(`${context}: relevant item ${item} is listed twice; pass distinct items`);
    role[item] = 1;
  }
  for (let j = 0; j < masked.length; j++) {
    const item = masked[j]!;
    if (!(Number.isInteger(item) && item >= 0 && item < n)) throw new Error(`${context}: masked item ${item} is outside [0, ${n})`);
    if (role[item] === 1) {
      throw new Error(`${context}: item ${item} is both relevant and masked; a held-out item must stay a candidate (remove it from the mask)`);
    }
    if (role[item] === 2) throw new Error(`${context}: masked item ${item} is listed twice; pass distinct items`);
    role[item] = 2;
  }
  if (relevant.length === 0) throw new Error(`${context}: no relevant items; ranks are undefined (evaluators skip such users)`);
  const out = new Float64Array(relevant.length);
  rankRelevant(row, 0, n, relevant, masked, out, new Float64Array(relevant.length), new Int32Array(relevant.length + 1), context);
  return out;
}

/**
 * Unchecked core of `pessimisticRanks` for evaluators: the row is `scores[offset .. offset + n)`. Writes ascending
 * ranks into out[0 .. R) (R = relevant.length >= 1) using the scratch arrays `rel` (length >= R) and `diff`
 * (length >= R + 1). Throws on a NaN score, naming `context` and the item.
 */
export function rankRelevant(
  scores: ArrayLike<number>,
  offset: number,
  n: number,
  relevant: ArrayLike<number>,
  masked: ArrayLike<number>,
  out: Float64Array,
  rel: Float64Array,
  diff: Int32Array,
  context: string,
): void {
  const R = relevant.length;
  if (R === 1) {
    // The common leave-one-out case: one branch-free pass counting scores >= the held-out score. (A branch here
    // mispredicts about half the time on real scores; adding the comparison as a number ran ~3x faster.) The
    // running sum turns NaN if any score is NaN, which is looked into only then.
    const t = scores[offset + relevant[0]!]!;
    let ge = 0;
    let sum = 0;
    for (let j = offset, end = offset + n; j < end; j++) {
      const s = scores[j]!;
      ge += +(s >= t);
      sum += s;
    }
    if (sum !== sum) throwIfNaN(scores, offset, n, context);
    // `ge` counted the held-out item itself (t >= t); masked items are not candidates.
    ge--;
    for (let j = 0; j < masked.length; j++) ge -= +(scores[offset + masked[j]!]! >= t);
    out[0] = 1 + ge;
    return;
  }
  for (let j = 0; j < R; j++) rel[j] = scores[offset + relevant[j]!]!;
  const r = rel.subarray(0, R).sort().reverse(); // descending
  const min = r[R - 1]!;
  diff.fill(0, 0, R + 1);
  // A candidate with score s is placed above every relevant item whose score is <= s: the suffix of r starting at
  // the first such index p. diff[p]++ and a prefix sum give, for each relevant item, the candidates above it.
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const s = scores[offset + j]!;
    sum += s;
    if (s >= min) diff[firstAtMost(r, s)]!++;
  }
  if (sum !== sum) throwIfNaN(scores, offset, n, context);
  // The loop counted the relevant items and the masked items too; neither is an irrelevant candidate.
  for (let j = 0; j < R; j++) diff[firstAtMost(r, r[j]!)]!--;
  for (let j = 0; j < masked.length; j++) {
    const s = scores[offset + masked[j]!]!;
    if (s >= min) diff[firstAtMost(r, s)]!--;
  }
  let above = 0;
  for (let j = 0; j < R; j++) {
    above += diff[j]!;
    out[j] = j + 1 + above;
  }
}

/** First index p of the descending array r with r[p] <= s (r.length if none). Binary search. */
function firstAtMost(r: Float64Array, s: number): number {
  let lo = 0;
  let hi = r.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (r[mid]! <= s) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Throws naming the first NaN score of the row, if there is one. Called when a row's sum is NaN, which can also
 * come from +Infinity and -Infinity together (legal scores): then nothing is thrown.
 */
function throwIfNaN(scores: ArrayLike<number>, offset: number, n: number, context: string): void {
  for (let j = 0; j < n; j++) {
    const s = scores[offset + j]!;
    if (s !== s) throw nanError(context, j);
  }
}

function nanError(context: string, item: number): Error {
  return new Error(`${context}: the model scored item ${item} as NaN; check the model's parameters (a diverged training run?) before evaluating`);
}

/** The k best items of one row, best first. */
export interface TopK {
  /** Item indices, best first; min(k, candidates) of them. */
  items: Int32Array;
  /** Their scores (float64, so the heap compares exactly the values it was given). */
  scores: Float64Array;
}

/**
 * The k highest-scoring items of `row` (ties: lower item index first), leaving out `exclude`. A bounded heap:
 * O(n + m log k) for n items of which m enter the heap, without sorting the row. Fewer than k items come back
 * when fewer than k candidates exist.
 */
export function topK(row: ArrayLike<number>, k: number, exclude: ArrayLike<number> = []): TopK {
  if (!Number.isInteger(k) || k < 1) throw new Error(`topK: k must be a positive integer, got ${k}`);
  const n = row.length;
  const stamp = new Int32Array(n);
  for (let j = 0; j < exclude.length; j++) {
    const item = exclude[j]!;
    if (!(Number.isInteger(item) && item >= 0 && item < n)) throw new Error(`topK: excluded item ${item} is outside [0, ${n})`);
    stamp[item] = 1;
  }
  const items = new Int32Array(k);
  const scores = new Float64Array(k);
  const count = selectTopK(row, 0, n, k, stamp, 1, items, scores, 0, "topK");
  return { items: items.slice(0, count), scores: scores.slice(0, count) };
}

/**
 * Unchecked core of `topK` for evaluators: selects from scores[offset .. offset + n), skipping items j with
 * stamp[j] === tag, into items/outScores[at .. at + k) best first; unused slots get item -1 and score NaN.
 * Returns how many were filled. Throws on NaN.
 */
export function selectTopK(
  scores: ArrayLike<number>,
  offset: number,
  n: number,
  k: number,
  stamp: Int32Array,
  tag: number,
  items: Int32Array,
  outScores: Float64Array,
  at: number,
  context: string,
): number {
  // Min-heap on (score, -index) stored in the output slots [at, at + size): the root is the worst kept item.
  let size = 0;
  let sum = 0;
  let j = 0;
  for (; j < n && size < k; j++) {
    const s = scores[offset + j]!;
    sum += s;
    if (stamp[j] === tag) continue;
    siftUp(items, outScores, at, size, j, s);
    size++;
  }
  // Once full, almost every item fails `s > worst`: a predictable branch, and a sum for the NaN check.
  // Items arrive in ascending index order, so an equal score loses to the kept one (ties: lower index first).
  let worst = size ? outScores[at]! : Infinity;
  for (; j < n; j++) {
    const s = scores[offset + j]!;
    sum += s;
    if (s > worst && stamp[j] !== tag) {
      siftDown(items, outScores, at, k, j, s);
      worst = outScores[at]!;
    }
  }
  if (sum !== sum) throwIfNaN(scores, offset, n, context);
  // Pop the worst to the back: the slots end up best first.
  for (let end = size - 1; end > 0; end--) {
    const item = items[at + end]!;
    const s = outScores[at + end]!;
    items[at + end] = items[at]!;
    outScores[at + end] = outScores[at]!;
    siftDown(items, outScores, at, end, item, s);
  }
  for (let j = size; j < k; j++) {
    items[at + j] = -1;
    outScores[at + j] = NaN;
  }
  return size;
}

/** a is worse than b: lower score, or equal score and higher index. */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

function siftUp(items: Int32Array, scores: Float64Array, at: number, size: number, item: number, s: number): void {
  let pos = size;
  while (pos > 0) {
    const parent = (pos - 1) >> 1;
    const ps = scores[at + parent]!;
    const pi = items[at + parent]!;
    if (!worse(s, item, ps, pi)) break;
    items[at + pos] = pi;
    scores[at + pos] = ps;
    pos = parent;
  }
  items[at + pos] = item;
  scores[at + pos] = s;
}

/** Replace the root by (item, s) and restore the heap over [at, at + size). */
function siftDown(items: Int32Array, scores: Float64Array, at: number, size: number, item: number, s: number): void {
  let pos = 0;
  for (;;) {
    let child = 2 * pos + 1;
    if (child >= size) break;
    const right = child + 1;
    if (right < size && worse(scores[at + right]!, items[at + right]!, scores[at + child]!, items[at + child]!)) child = right;
    const cs = scores[at + child]!;
    const ci = items[at + child]!;
    if (!worse(cs, ci, s, item)) break;
    items[at + pos] = ci;
    scores[at + pos] = cs;
    pos = child;
  }
  items[at + pos] = item;
  scores[at + pos] = s;
}
