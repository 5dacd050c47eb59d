import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { UsageError } from "../../lib/commands/args";
import { run } from "../../lib/commands/data";
import { FIXTURES, captureStdout, tmpDir } from "./helpers";

const stats = async (argv: string[]) => JSON.parse(await captureStdout(() => run(argv)));

test("data stats on the synthetic world needs no files and prints one JSON object", async () => {
  const s = await stats(["stats", "--dataset", "synthetic", "--users", "120", "--items", "150", "--per-user", "10", "--data-seed", "3"]);
  assert.equal(s.dataset, "synthetic");
  assert.equal(s.users, 120);
  assert.equal(s.items, 150);
  assert.equal(s.density, Number((s.interactions / (120 * 150)).toPrecision(4)));
  assert.ok(s.interactionsPerUser.min >= 5 && s.interactionsPerUser.min <= s.interactionsPerUser.median && s.interactionsPerUser.median <= s.interactionsPerUser.max);
  assert.deepEqual(s.userFeatures.map((f: { name: string }) => f.name), ["age", "gender", "occupation"]);
  assert.deepEqual(s.itemFeatures.map((f: { name: string }) => f.name), ["title", "year", "genres", "titleTokens"]);
  assert.match(s.source, /seed=3/);
});

test("data stats on a MovieLens folder: counts, per-user distribution, ratings, time span and side features", async () => {
  const s = await stats(["stats", "--dataset", "ml-100k", "--data-dir", path.join(FIXTURES, "ml-100k"), "--offline"]);
  assert.equal(s.users, 4);
  assert.equal(s.items, 5);
  assert.equal(s.interactions, 10);
  assert.deepEqual(s.published, { users: 943, items: 1682, interactions: 100000, matches: false }); // a fixture, not the real folder
  assert.deepEqual(s.interactionsPerUser, { min: 1, median: 3, mean: 2.5, max: 3 });
  assert.deepEqual(s.ratings.values, { 1: 1, 2: 2, 3: 2, 4: 3, 5: 2 });
  assert.equal(s.timestamps.first, new Date(10_000).toISOString());
  assert.deepEqual(s.userFeatures.find((f: { name: string }) => f.name === "occupation"), { name: "occupation", kind: "categorical", vocabulary: 4, missing: 0 });
  assert.deepEqual(s.itemFeatures.find((f: { name: string }) => f.name === "year"), { name: "year", kind: "numeric", missing: 1 });
  const implicit = await stats(["stats", "--dataset", "ml-100k", "--data-dir", path.join(FIXTURES, "ml-100k"), "--min-rating", "4"]);
  assert.equal(implicit.interactions, 5);
  assert.equal(implicit.ratings, null);
});

test("data stats on the real MovieLens-100K: 943 users, 1682 items, 100000 interactions", { skip: !fs.existsSync("/work/shared/datasets/ml-100k/u.data") && "no local copy" }, async () => {
  const s = await stats(["stats", "--dataset", "ml-100k", "--data-dir", "/work/shared/datasets/ml-100k"]);
  assert.equal(s.users, 943);
  assert.equal(s.items, 1682);
  assert.equal(s.interactions, 100000);
  assert.deepEqual(s.interactionsPerUser, { min: 20, median: 65, mean: 106.0445, max: 737 });
  assert.deepEqual(s.published, { users: 943, items: 1682, interactions: 100000, matches: true });
});

test("data stats on any CSV with --dataset csv", async () => {
  const file = path.join(tmpDir(), "clicks.csv");
  fs.writeFileSync(file, "who,what\na,x\na,y\nb,x\n");
  const s = await stats(["stats", "--dataset", "csv", "--file", file, "--user-column", "who", "--item-column", "what"]);
  assert.equal(s.users, 2);
  assert.equal(s.items, 2);
  assert.equal(s.ratings, null);
  assert.equal(s.repeatedPairs, 0);
});

test("data stats counts rows that repeat an earlier (user, item) pair: what a split merges", async () => {
  const file = path.join(tmpDir(), "clicks.csv");
  // (a, x) three times and (b, y) twice: 3 rows repeat an earlier pair.
  fs.writeFileSync(file, "who,what\na,x\na,y\na,x\nb,y\na,x\nb,y\nb,x\n");
  const s = await stats(["stats", "--dataset", "csv", "--file", file, "--user-column", "who", "--item-column", "what"]);
  assert.equal(s.interactions, 7);
  assert.equal(s.repeatedPairs, 3);
  const fixture = await stats(["stats", "--dataset", "ml-100k", "--data-dir", path.join(FIXTURES, "ml-100k"), "--offline"]);
  assert.equal(fixture.repeatedPairs, 0);
});

test("usage errors: missing subcommand, unknown dataset, options of another dataset, missing files offline", async () => {
  await assert.rejects(run([]), (e: Error) => e instanceof UsageError && /expected a subcommand, one of: stats/.test(e.message));
  await assert.rejects(run(["stats", "--dataset", "ml-10m"]), /unknown dataset 'ml-10m'\. Valid: ml-100k, ml-1m, ml-latest-small, ml-20m, ml-25m, synthetic, csv/);
  await assert.rejects(run(["stats", "--dataset", "ml-100k", "--users", "5"]), /--users apply to --dataset synthetic only/);
  await assert.rejects(run(["stats", "--dataset", "csv", "--file", "x.csv"]), /--dataset csv needs --file, --user-column and --item-column/);
  const empty = tmpDir();
  await assert.rejects(run(["stats", "--dataset", "ml-1m", "--data-dir", empty, "--offline"]), (e: Error) => {
    assert.ok(e.message.includes(`${path.join(empty, "ratings.dat")} does not exist and downloading is off. Download https://files.grouplens.org/datasets/movielens/ml-1m.zip`));
    return true;
  });
});
