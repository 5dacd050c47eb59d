import { test } from "node:test";
import assert from "node:assert/strict";
import { Interactions } from "../../lib/data/interactions";

const make = () =>
  new Interactions({
    users: Int32Array.of(0, 1, 0, 2, 0),
    items: Int32Array.of(2, 0, 1, 2, 2),
    ratings: Float32Array.of(5, 3, 4, 1, 2),
    timestamps: Float64Array.of(10, 20, 30, 40, 5),
    numUsers: 3,
    numItems: 3,
    userIds: ["a", "b", "c"],
    itemIds: ["x", "y", "z"],
  });

test("construction checks lengths, ranges and finiteness with messages that name the entry", () => {
  assert.throws(() => new Interactions({ users: Int32Array.of(0, 1), items: Int32Array.of(0), numUsers: 2, numItems: 1 }), /users has 2 entries but items has 1/);
  assert.throws(() => new Interactions({ users: Int32Array.of(0, 3), items: Int32Array.of(0, 0), numUsers: 2, numItems: 1 }), /users\[1\] = 3 is outside \[0, 2\)/);
  assert.throws(() => new Interactions({ users: Int32Array.of(0), items: Int32Array.of(0), ratings: Float32Array.of(NaN), numUsers: 1, numItems: 1 }), /ratings\[0\] = NaN is not a finite number/);
  assert.throws(() => new Interactions({ users: Int32Array.of(0), items: Int32Array.of(0), numUsers: 1, numItems: 1, itemIds: ["a", "b"] }), /itemIds has 2 entries but numItems is 1/);
});

test("counts, density, CSR (ascending, duplicates kept), select, concat", () => {
  const x = make();
  assert.deepEqual(Array.from(x.userCounts()), [3, 1, 1]);
  assert.deepEqual(Array.from(x.itemCounts()), [1, 1, 3]);
  assert.equal(x.density, 5 / 9);
  const csr = x.csr();
  assert.deepEqual(Array.from(csr.indptr), [0, 3, 4, 5]);
  assert.deepEqual(Array.from(csr.indices), [1, 2, 2, 0, 2]);
  const picked = x.select(Int32Array.of(3, 0));
  assert.deepEqual(Array.from(picked.users), [2, 0]);
  assert.deepEqual(Array.from(picked.timestamps!), [40, 10]);
  assert.equal(picked.itemIds, x.itemIds);
  const both = Interactions.concat([picked, x]);
  assert.equal(both.length, 7);
  assert.deepEqual(Array.from(both.ratings!), [1, 5, 5, 3, 4, 1, 2]);
});

test("toImplicit keeps everything or the rows rated at least the threshold, and drops ratings", () => {
  const x = make();
  assert.equal(x.toImplicit().length, 5);
  const liked = x.toImplicit(4);
  assert.deepEqual(Array.from(liked.items), [2, 1]);
  assert.equal(liked.ratings, undefined);
  assert.deepEqual(Array.from(liked.timestamps!), [10, 30]);
  assert.throws(() => liked.toImplicit(4), /a rating threshold was given but these interactions have no ratings/);
});

test("deduplicate keeps the latest row of each pair (ties: the later row) in source order", () => {
  const x = make(); // user 0 has item 2 at t=10 and t=5: the row at t=10 stays
  const d = x.deduplicate();
  assert.deepEqual(Array.from(d.users), [0, 1, 0, 2]);
  assert.deepEqual(Array.from(d.ratings!), [5, 3, 4, 1]);
  const tie = new Interactions({ users: Int32Array.of(0, 0), items: Int32Array.of(1, 1), ratings: Float32Array.of(1, 2), timestamps: Float64Array.of(7, 7), numUsers: 1, numItems: 2 });
  assert.deepEqual(Array.from(tie.deduplicate().ratings!), [2]);
  const unique = tie.select(Int32Array.of(0));
  assert.equal(unique.deduplicate(), unique);
});
