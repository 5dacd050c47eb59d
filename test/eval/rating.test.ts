import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateRatings } from "../../lib/eval/rating";
import { close, MatrixModel, pairs } from "./helpers";

test("RMSE and MAE over all test ratings, plus per-user values", async () => {
  // Predictions: u0 row 3 4 5, u1 row 1 2 3 (3 users: u2 has no test ratings).
  const model = new MatrixModel(3, 3, Float32Array.from([3, 4, 5, 1, 2, 3, 0, 0, 0]));
  const test_ = pairs(
    3,
    3,
    [
      [0, 0],
      [0, 2],
      [1, 1],
    ],
    [2, 5, 4],
  );
  const r = await evaluateRatings(model, test_, { blockSize: 2 });
  // errors: 3 - 2 = 1, 5 - 5 = 0, 2 - 4 = -2
  assert.deepEqual(Array.from(r.errors), [1, 0, -2]);
  close(r.rmse, Math.sqrt(5 / 3), 1e-12, "rmse"); // sqrt((1 + 0 + 4) / 3) = 1.290994
  assert.equal(r.mae, 1); // (1 + 0 + 2) / 3
  assert.equal(r.count, 3);
  assert.deepEqual(Array.from(r.perUser.users), [0, 1]);
  // u0: sqrt((1 + 0) / 2) = 0.707107, MAE 0.5; u1: 2, 2
  close(r.perUser.rmse[0]!, Math.SQRT1_2, 1e-12, "u0 rmse");
  assert.deepEqual(Array.from(r.perUser.mae), [0.5, 2]);
  assert.equal(r.perUser.rmse[1], 2);
  assert.deepEqual(Array.from(r.perUser.count), [2, 1]);
  assert.equal(r.usersSkipped, 1);
});

test("rating prediction needs ratings and finite predictions", async () => {
  const model = new MatrixModel(1, 2, Float32Array.from([NaN, 1]));
  await assert.rejects(evaluateRatings(model, pairs(1, 2, [[0, 1]])), /have no ratings; rating prediction needs explicit feedback/);
  await assert.rejects(evaluateRatings(model, pairs(1, 2, [[0, 0]], [3])), /user 0 \(index 0\): the model predicted NaN for item 0/);
});
