import { test } from "node:test";
import assert from "node:assert/strict";
import { pessimisticRanks, topK } from "../../lib/eval/ranking";
import { Rng } from "../../lib/random";

test("one held-out item: rank = 1 + candidates scoring >= it (pessimistic ties), masked items do not count", () => {
  const row = [0.5, 0.9, 0.5, 0.1, 0.5];
  // Item 0 scores 0.5; items 1 (0.9), 2 (0.5) and 4 (0.5) are >= 0.5 -> rank 4 (the ties go before it).
  assert.deepEqual(Array.from(pessimisticRanks(row, [0])), [4]);
  // Masking item 1 removes one candidate above it -> rank 3.
  assert.deepEqual(Array.from(pessimisticRanks(row, [0], [1])), [3]);
  // Item 3 (0.1) has all 4 others above it -> rank 5 = last.
  assert.deepEqual(Array.from(pessimisticRanks(row, [3])), [5]);
});

test("a constant scorer ranks the held-out item last, never first", () => {
  const row = new Float32Array(100); // all zeros
  assert.deepEqual(Array.from(pessimisticRanks(row, [0])), [100]);
  assert.deepEqual(Array.from(pessimisticRanks(row, [57], [1, 2, 3])), [97]); // 100 - 3 masked candidates
});

test("several relevant items: the j-th best has rank j + irrelevant candidates scoring >= it", () => {
  // Scores: item 0: 3, 1: 1, 2: 2, 3: 2, 4: 5 (masked), 5: 2. Relevant: items 1 and 2.
  // Pessimistic order: 0 (3), 3 (2), 5 (2), then relevant 2 (2) -> rank 4, then relevant 1 (1) -> rank 5.
  const row = [3, 1, 2, 2, 5, 2];
  assert.deepEqual(Array.from(pessimisticRanks(row, [1, 2], [4])), [4, 5]);
  // Relevant items tied with each other and with one irrelevant item: [1, 1, 1], relevant 0 and 2 -> ranks 2, 3.
  assert.deepEqual(Array.from(pessimisticRanks([1, 1, 1], [0, 2])), [2, 3]);
});

test("NaN scores are an error naming the row; a relevant item cannot be masked", () => {
  assert.throws(() => pessimisticRanks([0.1, NaN, 0.3], [0], [], "user 7"), /user 7: the model scored item 1 as NaN/);
  assert.throws(() => pessimisticRanks([NaN, 0.2, 0.3], [0], [], "user 7"), /user 7: the model scored item 0 as NaN/);
  assert.throws(() => pessimisticRanks([0.1, NaN, 0.3, 0.4], [0, 2], [], "user 8"), /user 8: the model scored item 1 as NaN/);
  assert.throws(() => pessimisticRanks([1, 2, 3], [1], [1]), /item 1 is both relevant and masked; a held-out item must stay a candidate/);
  assert.throws(() => pessimisticRanks([1, 2, 3], [1, 1]), /relevant item 1 is listed twice/);
  assert.throws(() => pessimisticRanks([1, 2, 3], [3]), /relevant item 3 is outside \[0, 3\)/);
});

test("+Infinity and -Infinity are legal scores (their sum is NaN, but no score is)", () => {
  const row = Float32Array.from([Infinity, -Infinity, 0.5, 0.5]);
  assert.deepEqual(Array.from(pessimisticRanks(row, [2])), [3]); // Infinity and the tie at 0.5 go first
  assert.deepEqual(Array.from(pessimisticRanks(row, [1, 2])), [3, 4]);
  assert.deepEqual(Array.from(topK(row, 4).items), [0, 2, 3, 1]);
});

/** Reference: sort all candidates by score descending, irrelevant before relevant on ties, and read positions. */
function referenceRanks(row: ArrayLike<number>, relevant: number[], masked: number[]): number[] {
  const rel = new Set(relevant);
  const cands = Array.from({ length: row.length }, (_, i) => i).filter((i) => !masked.includes(i));
  cands.sort((a, b) => row[b]! - row[a]! || Number(rel.has(a)) - Number(rel.has(b)));
  return cands.flatMap((item, pos) => (rel.has(item) ? [pos + 1] : []));
}

test("counting ranks equal a brute-force sort on random rows with many ties", () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 300; trial++) {
    const n = 1 + rng.int(40);
    // Few distinct levels -> plenty of ties.
    const row = Float32Array.from({ length: n }, () => rng.int(5) / 4);
    const perm = Array.from(rng.permutation(n));
    const numRel = 1 + rng.int(Math.min(n, 6));
    const relevant = perm.slice(0, numRel);
    const masked = perm.slice(numRel, numRel + rng.int(n - numRel + 1));
    const ours = Array.from(pessimisticRanks(row, relevant, masked));
    assert.deepEqual(ours, referenceRanks(row, relevant, masked), `trial ${trial}: row ${Array.from(row)} rel ${relevant} masked ${masked}`);
  }
});

test("topK: highest scores first, ties by lower index, excluded items skipped, fewer than k when short", () => {
  const row = [0.2, 0.9, 0.5, 0.9, 0.1];
  assert.deepEqual(Array.from(topK(row, 3).items), [1, 3, 2]); // 0.9 (item 1 before item 3), 0.5
  assert.deepEqual(Array.from(topK(row, 3).scores), [0.9, 0.9, 0.5]);
  assert.deepEqual(Array.from(topK(row, 3, [1]).items), [3, 2, 0]);
  assert.deepEqual(Array.from(topK(row, 10, [4]).items), [1, 3, 2, 0]); // only 4 candidates
  assert.deepEqual(Array.from(topK([7, 7, 7, 7], 2).items), [0, 1]);
  assert.throws(() => topK(row, 0), /k must be a positive integer, got 0/);
  assert.throws(() => topK([1, NaN], 1, [], ), /scored item 1 as NaN/);
});

test("topK equals a full sort on random rows with ties", () => {
  const rng = new Rng(12);
  for (let trial = 0; trial < 300; trial++) {
    const n = 1 + rng.int(60);
    const row = Float32Array.from({ length: n }, () => rng.int(8));
    const exclude = Array.from(rng.permutation(n)).slice(0, rng.int(n));
    const k = 1 + rng.int(12);
    const expected = Array.from({ length: n }, (_, i) => i)
      .filter((i) => !exclude.includes(i))
      .sort((a, b) => row[b]! - row[a]! || a - b)
      .slice(0, k);
    assert.deepEqual(Array.from(topK(row, k, exclude).items), expected, `trial ${trial}`);
  }
});
