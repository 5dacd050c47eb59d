import { test } from "node:test";
import assert from "node:assert/strict";
import { userItemSets } from "../../lib/eval/mask";
import { pairs } from "./helpers";

test("userItemSets: distinct items per user, ascending, over several sources, minus `keep`", () => {
  const a = pairs(3, 6, [[0, 5], [0, 1], [0, 5], [1, 2], [2, 0]]);
  const b = pairs(3, 6, [[0, 3], [0, 0], [1, 2], [2, 4]]);
  const one = userItemSets([a]);
  assert.deepEqual(Array.from(one.indptr), [0, 2, 3, 4]);
  assert.deepEqual(Array.from(one.indices), [1, 5, 2, 0]);
  const both = userItemSets([a, b]); // user 0's row comes out of the merge as 1, 5, 3, 0 and must be sorted
  assert.deepEqual(Array.from(both.indptr), [0, 4, 5, 7]);
  assert.deepEqual(Array.from(both.indices), [0, 1, 3, 5, 2, 0, 4]);
  const kept = userItemSets([a, b], pairs(3, 6, [[0, 3], [2, 0]]).csr());
  assert.deepEqual(Array.from(kept.indices), [0, 1, 5, 2, 4]);
});
