import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateSampled } from "../../lib/eval/sampled";
import { close, MatrixModel, pairs } from "./helpers";

/** 2 users x 6 items. Scores u0: .5 .5 .9 .1 .3 .2   u1: .1 .2 .3 .4 .5 .6 */
function world() {
  const matrix = Float32Array.from([0.5, 0.5, 0.9, 0.1, 0.3, 0.2, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  return new MatrixModel(2, 6, matrix);
}

test("sampled protocol: rank among 1 + m candidates, pessimistic ties, labelled as paper reproduction", async () => {
  const model = world();
  const test_ = pairs(2, 6, [
    [0, 0],
    [1, 5],
  ]);
  // u0 held-out item 0 (.5) vs negatives 1 (.5, tie), 3 (.1), 4 (.3): the tie goes first -> rank 2.
  // u1 held-out item 5 (.6) vs negatives 0, 2, 3 (.1, .3, .4) -> rank 1.
  const negatives = Int32Array.from([1, 3, 4, 0, 2, 3]);
  const r = await evaluateSampled(model, test_, { negatives, k: 1 });
  assert.equal(r.protocol, "sampled (paper reproduction: 1 held-out + 3 sampled negatives)");
  assert.deepEqual(Array.from(r.perUser.rank), [2, 1]);
  assert.deepEqual(Array.from(r.perUser.numCandidates), [4, 4]);
  assert.deepEqual(Array.from(r.perUser.hr), [0, 1]); // k = 1
  assert.equal(r.metrics.hr, 0.5);
  // NDCG@2 would be (1/log2(3) + 1) / 2; at k = 1 it is (0 + 1) / 2.
  assert.equal(r.metrics.ndcg, 0.5);
  // AUC: u0 has 1 of 3 negatives above -> 2/3; u1 none -> 1. Mean 0.833333.
  close(r.metrics.auc, (2 / 3 + 1) / 2, 1e-12, "auc");
  assert.equal(r.usersEvaluated, 2);
  assert.equal(r.usersSkipped, 0);
  assert.equal(r.casesEvaluated, 2);
  assert.equal(r.metrics.coverage, undefined); // lists over 100 candidates mean nothing for the catalogue
  const r2 = await evaluateSampled(model, test_, { negatives, k: 2, blockSize: 1 });
  close(r2.metrics.ndcg, (1 / Math.log2(3) + 1) / 2, 1e-12, "ndcg@2"); // (0.630930 + 1) / 2 = 0.815465
});

test("sampled protocol checks its candidates and NaN scores", async () => {
  const model = world();
  const test_ = pairs(2, 6, [
    [0, 0],
    [1, 5],
  ]);
  await assert.rejects(evaluateSampled(model, test_, { negatives: Int32Array.from([1, 2, 3]) }), /negatives has 3 entries for 2 test interactions/);
  await assert.rejects(
    evaluateSampled(model, test_, { negatives: Int32Array.from([0, 1]) }),
    /negatives of test row 0 \(user 0\) contain its held-out item 0/,
  );
  await assert.rejects(evaluateSampled(model, test_, { negatives: Int32Array.from([1, 6]) }), /negatives\[1\] = 6 is outside \[0, 6\)/);
  const broken = new MatrixModel(2, 6, Float32Array.from([0.5, NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  await assert.rejects(evaluateSampled(broken, test_, { negatives: Int32Array.from([1, 2]) }), /user 0 \(index 0\): the model scored item 1 as NaN/);
});
