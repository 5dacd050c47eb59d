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

test("toImplicit keeps everything or the pairs whose latest rating reaches the threshold, and drops ratings", () => {
  const x = make();
  assert.equal(x.toImplicit().length, 5);
  const liked = x.toImplicit(4);
  // (user 0, item 2) was rated 2 at t=5 and 5 at t=10: its latest rating passes, so both its rows stay (a split
  // merges them); (0, 1) is rated 4; the others fall below.
  assert.deepEqual(Array.from(liked.items), [2, 1, 2]);
  assert.equal(liked.ratings, undefined);
  assert.deepEqual(Array.from(liked.timestamps!), [10, 30, 5]);
  // Re-rated from 5 down to 1: the pair is no longer liked, whatever its earlier rating.
  const rerated = new Interactions({ ...columns(x), ratings: Float32Array.of(1, 3, 4, 1, 5) });
  assert.deepEqual(Array.from(rerated.toImplicit(4).items), [1]);
  assert.throws(() => liked.toImplicit(4), /a rating threshold was given but these interactions have no ratings/);
});

function columns(x: Interactions) {
  return { users: x.users, items: x.items, timestamps: x.timestamps, numUsers: x.numUsers, numItems: x.numItems, userIds: x.userIds, itemIds: x.itemIds };
}

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

test("deduplicate handles more pairs than a JavaScript Map can hold (ml-20m and ml-25m have over 2^24 rows)", () => {
  // 2^24 + 2 distinct pairs and one repeat at the end; a Map keyed by pair throws "Map maximum size exceeded".
  const n = (1 << 24) + 3;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  for (let r = 0; r < n - 1; r++) {
    users[r] = r >>> 10;
    items[r] = r & 1023;
  }
  users[n - 1] = 5; // repeats row 5 * 1024 + 7
  items[n - 1] = 7;
  const x = new Interactions({ users, items, numUsers: (n >>> 10) + 1, numItems: 1024 });
  const d = x.deduplicate();
  assert.equal(d.length, n - 1);
  assert.equal(d.users[5 * 1024 + 7], 5); // the earlier row of the pair is gone: the next pair moved up
  assert.equal(d.items[5 * 1024 + 7], 8);
  assert.equal(d.users[n - 2], 5);
  assert.equal(d.items[n - 2], 7);
});
