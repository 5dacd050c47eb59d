import { test } from "node:test";
import assert from "node:assert/strict";
import { RowTopK } from "../../lib/retrieval/top-k";

function best(top: RowTopK, r: number): [number[], number[]] {
  const s = new Float32Array(top.depth);
  const p = new Int32Array(top.depth);
  const n = top.sorted(r, s, p);
  return [Array.from(s.subarray(0, n)), Array.from(p.subarray(0, n))];
}

test("RowTopK keeps each row's best 3, ties to the lower position, across blocks", () => {
  const top = new RowTopK(2, 3);
  // Row 0 over positions 0..5 in two blocks: scores 1 5 2 | 5 0 4 -> 5@1, 5@3, 4@5.
  top.offer(0, new Float32Array([1, 5, 2]), 0, 3, 0);
  top.offer(0, new Float32Array([9, 9, 5, 0, 4]), 2, 3, 3);
  // Row 1: all equal -> the first three positions.
  top.offer(1, new Float32Array([7, 7, 7, 7, 7]), 0, 5, 0);
  assert.deepEqual(best(top, 0), [[5, 5, 4], [1, 3, 5]]);
  assert.deepEqual(best(top, 1), [[7, 7, 7], [0, 1, 2]]);
});

test("RowTopK with fewer scores than its depth returns them all, sorted", () => {
  const top = new RowTopK(1, 4);
  top.offer(0, new Float32Array([-1, 3]), 0, 2, 10);
  assert.deepEqual(best(top, 0), [[3, -1], [11, 10]]);
});
