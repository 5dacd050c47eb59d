/**
 * Bounded top-k selection for many rows at once, on typed arrays: one min-heap of `depth` (score, position) entries
 * per row, fed block by block, so a full ranking never holds more than a block of scores. Ties keep the lower
 * position (the order of a stable sort), so the result equals sorting every score.
 */
export class RowTopK {
  readonly scores: Float32Array;
  readonly positions: Int32Array;
  private readonly sizes: Int32Array;

  constructor(
    readonly rows: number,
    readonly depth: number,
  ) {
    this.scores = new Float32Array(rows * depth);
    this.positions = new Int32Array(rows * depth);
    this.sizes = new Int32Array(rows);
  }

  /**
   * Offers row r the scores `block[offset .. offset + count)`, which belong to positions `first .. first + count`.
   * Positions must arrive in increasing order across calls (a later equal score then loses the tie).
   */
  offer(r: number, block: Float32Array, offset: number, count: number, first: number): void {
    const depth = this.depth;
    const base = r * depth;
    const hs = this.scores;
    const hp = this.positions;
    let size = this.sizes[r]!;
    let j = 0;
    // Fill the heap, then only scores above its root (the worst kept) get in.
    for (; j < count && size < depth; j++) {
      siftUp(hs, hp, base, size, block[offset + j]!, first + j);
      size++;
    }
    const end = offset + count;
    for (let i = firstAbove(block, offset + j, end, size ? hs[base]! : -Infinity); i < end; i = firstAbove(block, i + 1, end, hs[base]!)) {
      siftDown(hs, hp, base, depth, block[i]!, first + i - offset);
    }
    this.sizes[r] = size;
  }

  /** Row r's entries, best first: [score, position] pairs written to the given arrays; returns how many. */
  sorted(r: number, scoresOut: Float32Array, positionsOut: Int32Array): number {
    const size = this.sizes[r]!;
    const base = r * this.depth;
    const order = Array.from({ length: size }, (_, i) => base + i);
    const hs = this.scores;
    const hp = this.positions;
    order.sort((a, b) => hs[b]! - hs[a]! || hp[a]! - hp[b]!);
    for (let i = 0; i < size; i++) {
      scoresOut[i] = hs[order[i]!]!;
      positionsOut[i] = hp[order[i]!]!;
    }
    return size;
  }
}

/** The first index in [from, to) whose score beats `worst`, or `to`: the hot loop, kept tiny so it optimises well. */
function firstAbove(block: Float32Array, from: number, to: number, worst: number): number {
  let i = from;
  while (i < to && !(block[i]! > worst)) i++;
  return i;
}

/** a is worse than b: a lower score, or an equal score at a later position. */
function worse(sa: number, pa: number, sb: number, pb: number): boolean {
  return sa < sb || (sa === sb && pa > pb);
}

function siftUp(hs: Float32Array, hp: Int32Array, base: number, at: number, s: number, p: number): void {
  let i = at;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!worse(s, p, hs[base + parent]!, hp[base + parent]!)) break;
    hs[base + i] = hs[base + parent]!;
    hp[base + i] = hp[base + parent]!;
    i = parent;
  }
  hs[base + i] = s;
  hp[base + i] = p;
}

/** Replaces the root with (s, p) and restores the heap. */
function siftDown(hs: Float32Array, hp: Int32Array, base: number, size: number, s: number, p: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const r = l + 1;
    let c = l;
    if (r < size && worse(hs[base + r]!, hp[base + r]!, hs[base + l]!, hp[base + l]!)) c = r;
    if (!worse(hs[base + c]!, hp[base + c]!, s, p)) break;
    hs[base + i] = hs[base + c]!;
    hp[base + i] = hp[base + c]!;
    i = c;
  }
  hs[base + i] = s;
  hp[base + i] = p;
}
