/**
 * NCF's fast scoreAll (the first MLP layer split into a user part and an item part, ncf.ts) against the pair path
 * it replaces (Model.scoreAll: the whole network per (user, item) pair), on random weights: every class, odd
 * sizes, several chunks of users, repeated and unordered users, with and without dropout configured.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { GMF, MLP, NeuMF } from "../../lib/models";
import { Model } from "../../lib/models/model";
import { Rng } from "../../lib/random";

before(async () => {
  await initBackend();
});

/** Every weight replaced by N(0, 0.5²): biases and output weights matter and relus cut in both directions. */
function randomise(model: Model, seed: number): void {
  const rng = new Rng(seed);
  const weights = model.getWeights();
  for (const w of weights.values()) for (let k = 0; k < w.values.length; k++) w.values[k] = 0.5 * rng.normal();
  model.setWeights(weights);
}

/** The pair path: the base class's scoreAll, one network pass per (user, item) pair. */
const pairPath = (model: Model, users: Int32Array) => Model.prototype.scoreAll.call(model, users);

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let k = 0; k < actual.length; k++) {
    const err = Math.abs(actual[k]! - expected[k]!) / (1 + Math.abs(expected[k]!));
    if (!(err <= worst)) (worst = err), (at = k);
  }
  assert.ok(worst < 1e-5, `${what}: score ${at} is ${actual[at]}, the pair path gives ${expected[at]} (relative error ${worst})`);
}

const NUM_USERS = 57;
// 3001 items: the fast path takes 21 users per chunk (65536 rows / 3001), so 57 users make three chunks.
const NUM_ITEMS = 3001;
const dropout = { embeddingDropout: 0.3, denseDropout: 0.5 };

const cases: [string, (extra: object) => Model][] = [
  ["GMF", (extra) => new GMF({ numUsers: NUM_USERS, numItems: NUM_ITEMS, factors: 5, seed: 3, ...extra })],
  ["MLP", (extra) => new MLP({ numUsers: NUM_USERS, numItems: NUM_ITEMS, layers: [10, 6, 3], seed: 4, ...extra })],
  ["MLP with one layer", (extra) => new MLP({ numUsers: NUM_USERS, numItems: NUM_ITEMS, layers: [8, 4], seed: 5, ...extra })],
  ["NeuMF", (extra) => new NeuMF({ numUsers: NUM_USERS, numItems: NUM_ITEMS, factors: 7, layers: [12, 8, 4, 2], seed: 6, ...extra })],
  ["NeuMF (default sizes)", (extra) => new NeuMF({ numUsers: NUM_USERS, numItems: NUM_ITEMS, seed: 7, ...extra })],
];

for (const [name, make] of cases) {
  for (const withDropout of [false, true]) {
    test(`${name}${withDropout ? " with dropout configured" : ""}: fast scoreAll equals the pair path`, async () => {
      const model = make(withDropout ? dropout : {});
      randomise(model, 11);
      const users = Int32Array.from({ length: NUM_USERS }, (_, k) => (k * 17 + 5) % NUM_USERS);
      const expected = await pairPath(model, users);
      const before = tf.memory().numTensors;
      const actual = await model.scoreAll(users);
      assert.equal(tf.memory().numTensors, before, "no tensor left behind");
      assertClose(actual, expected, name);
      // A repeated user and a single user give the same rows.
      const some = Int32Array.of(3, 3, 0);
      const rows = await model.scoreAll(some);
      assertClose(rows.subarray(0, NUM_ITEMS), expected.subarray(users.indexOf(3) * NUM_ITEMS, (users.indexOf(3) + 1) * NUM_ITEMS), `${name}, user 3`);
      assertClose(rows.subarray(NUM_ITEMS, 2 * NUM_ITEMS), rows.subarray(0, NUM_ITEMS), `${name}, user 3 twice`);
      model.dispose();
    });
  }
}

test("fast scoreAll agrees with score() on the model's default initialisation", async () => {
  const model = new NeuMF({ numUsers: 5, numItems: 9, seed: 1 });
  const all = await model.scoreAll(Int32Array.of(4, 1));
  const pairs = await model.score(Int32Array.from({ length: 18 }, (_, k) => (k < 9 ? 4 : 1)), Int32Array.from({ length: 18 }, (_, k) => k % 9));
  assertClose(all, pairs, "NeuMF");
  model.dispose();
});

test("fast scoreAll: no users give no scores; an unknown user is an error naming it", async () => {
  const model = new MLP({ numUsers: 4, numItems: 6, seed: 2 });
  assert.equal((await model.scoreAll(new Int32Array(0))).length, 0);
  await assert.rejects(model.scoreAll(Int32Array.of(1, 4)), /MLP\.scoreAll: users\[1\] = 4 is outside \[0, 4\)/);
  model.dispose();
});
