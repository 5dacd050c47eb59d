import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { Interactions } from "../../lib/data/interactions";
import { readMovieLens } from "../../lib/data/movielens";
import { carveValidation, globalTimeSplit, leaveOneOut, ratioSplit } from "../../lib/data/splits";
import { generateSynthetic } from "../../lib/data/synthetic";
import { Rng } from "../../lib/random";
import { FIXTURES, bytes } from "./helpers";

/** Raw "user item" pairs of some interactions, for readable assertions. */
const pairs = (x: Interactions) => Array.from(x.users, (u, r) => `${x.userIds[u]} ${x.itemIds[x.items[r]!]}`);

test("leave-one-out on the fixture: each user's latest row is held out, ties go to the later line, one-row users stay in train", () => {
  // u.data: 1 1 @100 / 2 1 @50 / 1 2 @200 / 10 3 @400 / 1 3 @200 / 2 4 @300 / 3 2 @10 / 10 1 @500 / 2 12 @100 / 10 12 @450
  const data = readMovieLens(path.join(FIXTURES, "ml-100k"), "ml-100k").interactions;
  const split = leaveOneOut(data);
  assert.deepEqual(pairs(split.test), ["1 3", "2 4", "10 1"]); // user 1: items 2 and 3 both @200, item 3 is on the later line
  assert.equal(split.skippedUsers, 1); // user 3 has one interaction
  assert.deepEqual(pairs(split.train), ["1 1", "2 1", "1 2", "10 3", "3 2", "2 12", "10 12"]); // source order kept
  assert.equal(split.train.numItems, data.numItems);
  assert.equal(split.test.userIds, data.userIds);
  assert.deepEqual(Array.from(split.test.ratings!), [4, 2, 4]);
  const strict = leaveOneOut(data, { minInteractions: 4 });
  assert.equal(strict.skippedUsers, 4);
  assert.equal(strict.test.length, 0);
  assert.throws(() => leaveOneOut(data, { minInteractions: 1 }), /minInteractions must be an integer >= 2, got 1/);
});

test("leave-one-out on a synthetic world: exactly one row per eligible user, the latest, and train + test = all rows", () => {
  const data = generateSynthetic({ numUsers: 200, numItems: 300, interactionsPerUser: 10 }).interactions;
  const { train, test, skippedUsers } = leaveOneOut(data);
  assert.equal(skippedUsers, 0);
  assert.equal(test.length, 200);
  assert.deepEqual(Array.from(test.users), Array.from({ length: 200 }, (_, u) => u)); // ordered by user
  assert.equal(train.length + test.length, data.length);
  const latest = new Float64Array(200).fill(-Infinity);
  for (let r = 0; r < train.length; r++) latest[train.users[r]!] = Math.max(latest[train.users[r]!]!, train.timestamps![r]!);
  for (let t = 0; t < test.length; t++) assert.ok(test.timestamps![t]! >= latest[test.users[t]!]!);
});

test("leave-one-out without timestamps holds out each user's last row; 'random' needs an rng and is reproducible", () => {
  const data = new Interactions({ users: Int32Array.of(0, 1, 0, 0, 1), items: Int32Array.of(0, 1, 2, 3, 4), numUsers: 2, numItems: 5 });
  assert.deepEqual(Array.from(leaveOneOut(data).test.items), [3, 4]);
  assert.throws(() => leaveOneOut(data, { pick: "random" }), /needs an rng/);
  const big = generateSynthetic({ numUsers: 100, numItems: 200, interactionsPerUser: 10 }).interactions;
  const a = leaveOneOut(big, { pick: "random", rng: new Rng(1) });
  const b = leaveOneOut(big, { pick: "random", rng: new Rng(1) });
  const c = leaveOneOut(big, { pick: "random", rng: new Rng(2) });
  assert.ok(bytes(a.test.items).equals(bytes(b.test.items)));
  assert.ok(!bytes(a.test.items).equals(bytes(c.test.items)));
});

test("ratio split: round(n * fraction) per user, at least 1 and at most n - 1; 'time' takes each user's latest", () => {
  const data = generateSynthetic({ numUsers: 100, numItems: 200, interactionsPerUser: 12 }).interactions;
  const split = ratioSplit(data, { testFraction: 0.25, rng: new Rng(3) });
  const n = data.userCounts();
  const t = split.test.userCounts();
  for (let u = 0; u < 100; u++) assert.equal(t[u], Math.min(n[u]! - 1, Math.max(1, Math.round(n[u]! * 0.25))), `user ${u}`);
  assert.equal(split.train.length + split.test.length, data.length);
  const byTime = ratioSplit(data, { testFraction: 0.25, by: "time" });
  const lastTrain = new Float64Array(100).fill(-Infinity);
  for (let r = 0; r < byTime.train.length; r++) lastTrain[byTime.train.users[r]!] = Math.max(lastTrain[byTime.train.users[r]!]!, byTime.train.timestamps![r]!);
  for (let r = 0; r < byTime.test.length; r++) assert.ok(byTime.test.timestamps![r]! >= lastTrain[byTime.test.users[r]!]!);
  assert.throws(() => ratioSplit(data, {}), /by 'random' needs an rng/);
  assert.throws(() => ratioSplit(data, { testFraction: 1, by: "time" }), /testFraction must be in \(0, 1\), got 1/);
  // One-interaction users stay in train and are counted.
  const tiny = new Interactions({ users: Int32Array.of(0, 0, 0, 1), items: Int32Array.of(0, 1, 2, 0), numUsers: 2, numItems: 3 });
  const s = ratioSplit(tiny, { by: "time", testFraction: 0.5 });
  assert.equal(s.skippedUsers, 1);
  assert.deepEqual(Array.from(s.test.items), [1, 2]); // round(3 * 0.5) = 2 of user 0's 3 rows, the latest two
});

test("global time split: every test row is at or after every train row; cold users and items are counted or dropped", () => {
  // user 0 @1,2,3; user 1 @4,5; user 2 @6 on item 3, which nobody had before
  const data = new Interactions({
    users: Int32Array.of(0, 0, 0, 1, 1, 2),
    items: Int32Array.of(0, 1, 1, 0, 1, 3),
    timestamps: Float64Array.of(1, 2, 3, 4, 5, 6),
    numUsers: 3,
    numItems: 4,
  });
  const split = globalTimeSplit(data, { testFraction: 0.5 });
  assert.deepEqual(Array.from(split.test.timestamps!), [4, 5, 6]);
  assert.equal(split.coldUsers, 2); // users 1 and 2 have nothing in train
  assert.equal(split.coldItems, 1); // item 3
  // This log repeats (user 0, item 1) @2 and @3; "keep" splits the raw rows, so item 1 is in train @2.
  const dropped = globalTimeSplit(data, { cutoff: 3, dropCold: true, duplicates: "keep" });
  assert.deepEqual(Array.from(dropped.test.timestamps!), [3]);
  assert.equal(dropped.droppedColdRows, 3);
  // By default the pair is merged to its row @3, so item 1 has no training row and that test row is cold too.
  const merged = globalTimeSplit(data, { cutoff: 3, dropCold: true });
  assert.equal(merged.mergedDuplicates, 1);
  assert.equal(merged.test.length, 0);
  assert.equal(merged.droppedColdRows, 4);
  assert.throws(() => globalTimeSplit(new Interactions({ users: Int32Array.of(0), items: Int32Array.of(0), numUsers: 1, numItems: 1 })), /no timestamps; use ratioSplit or leaveOneOut/);
  const synthetic = generateSynthetic({ numUsers: 100, numItems: 200, interactionsPerUser: 10 }).interactions;
  const s = globalTimeSplit(synthetic);
  const maxTrain = Math.max(...s.train.timestamps!);
  assert.ok(Math.min(...s.test.timestamps!) >= maxTrain);
  assert.equal(s.test.length, Math.round(synthetic.length * 0.2));
});

test("carveValidation takes a validation set out of train, leaving test untouched", () => {
  const data = generateSynthetic({ numUsers: 100, numItems: 200, interactionsPerUser: 10 }).interactions;
  const split = carveValidation(leaveOneOut(data), { method: "leave-one-out" });
  assert.equal(split.validation!.length, 100);
  assert.equal(split.train.length + split.validation!.length + split.test.length, data.length);
  assert.equal(split.validationSkippedUsers, 0);
  const again = leaveOneOut(data);
  assert.ok(bytes(split.test.items).equals(bytes(again.test.items)));
  const ratio = carveValidation(ratioSplit(data, { rng: new Rng(1) }), { method: "ratio", testFraction: 0.1, rng: new Rng(2) });
  assert.ok(ratio.validation!.length > 0 && ratio.validation!.length < ratio.train.length);
});

test("same seed: byte-identical splits; different seed: different", () => {
  const data = generateSynthetic({ numUsers: 100, numItems: 200, interactionsPerUser: 10 }).interactions;
  const a = ratioSplit(data, { rng: new Rng(9).derive("split") });
  const b = ratioSplit(data, { rng: new Rng(9).derive("split") });
  const c = ratioSplit(data, { rng: new Rng(10).derive("split") });
  assert.ok(bytes(a.test.items).equals(bytes(b.test.items)) && bytes(a.train.users).equals(bytes(b.train.users)));
  assert.ok(!bytes(a.test.items).equals(bytes(c.test.items)));
});

/**
 * A log with repeats, as a CSV export of clicks or re-ratings has them:
 * user a: x @10, y @20, x @30 (a's latest item, x, was also seen earlier), z @25;
 * user b: y @5, z @6, z @6 (an exact repeat: the tie goes to the later row), x @1.
 */
function repeatedLog(): Interactions {
  return new Interactions({
    users: Int32Array.of(0, 0, 1, 0, 1, 1, 0, 1),
    items: Int32Array.of(0, 1, 1, 0, 2, 2, 2, 0),
    ratings: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8),
    timestamps: Float64Array.of(10, 20, 5, 30, 6, 6, 25, 1),
    numUsers: 2,
    numItems: 3,
    userIds: ["a", "b"],
    itemIds: ["x", "y", "z"],
  });
}

test("leave-one-out merges repeated (user, item) pairs to the latest first: the held-out item is not also in train", () => {
  const data = repeatedLog();
  const split = leaveOneOut(data);
  assert.deepEqual(pairs(split.test), ["a x", "b z"]);
  assert.deepEqual(Array.from(split.test.ratings!), [4, 6]); // the latest row of each pair, its rating with it
  assert.ok(!pairs(split.train).includes("a x"), pairs(split.train).join(", "));
  assert.ok(!pairs(split.train).includes("b z"), pairs(split.train).join(", "));
  assert.deepEqual(pairs(split.train), ["a y", "b y", "a z", "b x"]); // source order kept
  assert.equal(split.mergedDuplicates, 2); // a's x @10 and b's first z @6
  assert.equal(split.train.length + split.test.length + split.mergedDuplicates, data.length);
  // Data without repeats: nothing merged, and the count says so.
  assert.equal(leaveOneOut(readMovieLens(path.join(FIXTURES, "ml-100k"), "ml-100k").interactions).mergedDuplicates, 0);
});

test("duplicates: 'keep' splits the rows as they are (the old behaviour, repeats and all)", () => {
  const data = repeatedLog();
  const kept = leaveOneOut(data, { duplicates: "keep" });
  assert.deepEqual(pairs(kept.test), ["a x", "b z"]);
  assert.deepEqual(pairs(kept.train), ["a x", "a y", "b y", "b z", "a z", "b x"]); // the held-out pairs are in train too
  assert.equal(kept.mergedDuplicates, 0);
  assert.equal(kept.train.length + kept.test.length, data.length);
  assert.throws(() => leaveOneOut(data, { duplicates: "first" as "keep" }), /leaveOneOut: duplicates must be "latest" \(default\) or "keep", got "first"/);
});

test("ratio, time and validation splits merge repeats too, and report how many rows they merged", () => {
  const data = repeatedLog();
  const ratio = ratioSplit(data, { by: "time", testFraction: 0.5 });
  assert.equal(ratio.mergedDuplicates, 2);
  assert.deepEqual(pairs(ratio.test), ["b y", "a x", "b z", "a z"]); // each user's latest two of three distinct items
  assert.deepEqual(pairs(ratio.train), ["a y", "b x"]);
  assert.equal(ratioSplit(data, { by: "time", testFraction: 0.5, duplicates: "keep" }).mergedDuplicates, 0);
  const random = ratioSplit(data, { rng: new Rng(4) });
  assert.equal(random.mergedDuplicates, 2);
  assert.equal(random.train.length + random.test.length, data.length - 2);

  const time = globalTimeSplit(data, { cutoff: 25 });
  assert.equal(time.mergedDuplicates, 2);
  assert.deepEqual(pairs(time.test), ["a x", "a z"]); // a's x @30 and z @25; a's x @10 is merged away, not left in train
  assert.deepEqual(pairs(time.train), ["a y", "b y", "b z", "b x"]);
  const timeKept = globalTimeSplit(data, { cutoff: 25, duplicates: "keep" });
  assert.deepEqual(pairs(timeKept.train), ["a x", "a y", "b y", "b z", "b z", "b x"]);
  assert.equal(timeKept.mergedDuplicates, 0);

  // Validation is carved from training rows: repeats left there (by an outer 'keep') are merged and added to the count.
  const carved = carveValidation(timeKept, { method: "leave-one-out" });
  assert.equal(carved.mergedDuplicates, 1); // b's two z rows @6 in train
  assert.deepEqual(pairs(carved.validation!), ["a y", "b z"]);
  assert.deepEqual(pairs(carved.train), ["a x", "b y", "b x"]);
  assert.deepEqual(pairs(carveValidation(timeKept, { method: "leave-one-out", duplicates: "keep" }).train), ["a x", "b y", "b z", "b x"]);
  const clean = carveValidation(leaveOneOut(data), { method: "leave-one-out" });
  assert.equal(clean.mergedDuplicates, 2); // the outer split's merges; nothing left to merge in train
  assert.equal(clean.train.length + clean.validation!.length + clean.test.length + clean.mergedDuplicates, data.length);
});
