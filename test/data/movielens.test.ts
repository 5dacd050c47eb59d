import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { multiHot, type CategoricalFeature, type NumericFeature, type SetFeature, type TextFeature } from "../../lib/data/features";
import { loadCsv } from "../../lib/data/csv";
import { readMovieLens } from "../../lib/data/movielens";
import { DataFileError } from "../../lib/data/parse";
import { FIXTURES, tmpDir } from "./helpers";

const cat = (c: unknown, r: number) => {
  const f = c as CategoricalFeature;
  return f.vocabulary[f.codes[r]!];
};
const set = (c: unknown, r: number) => {
  const f = c as SetFeature;
  return Array.from(f.indices.subarray(f.indptr[r]!, f.indptr[r + 1]!), (k) => f.vocabulary[k]);
};

test("ml-100k: u.data rows in file order, ids sorted numerically, ratings and timestamps", () => {
  const d = readMovieLens(path.join(FIXTURES, "ml-100k"), "ml-100k");
  const x = d.interactions;
  assert.deepEqual(x.userIds, ["1", "2", "3", "10"]); // 10 after 3: numeric, not string order
  assert.deepEqual(x.itemIds, ["1", "2", "3", "4", "12"]);
  assert.equal(x.length, 10);
  // First rows of u.data: 1 1 5 100 / 2 1 4 50 / 1 2 3 200 / 10 3 3 400
  assert.deepEqual(Array.from(x.users.subarray(0, 4)), [0, 1, 0, 3]);
  assert.deepEqual(Array.from(x.items.subarray(0, 4)), [0, 0, 1, 2]);
  assert.deepEqual(Array.from(x.ratings!.subarray(0, 4)), [5, 4, 3, 3]);
  assert.deepEqual(Array.from(x.timestamps!.subarray(0, 4)), [100, 50, 200, 400]);
});

test("ml-100k: user and item features are aligned with the dense indices; u.item is read as Latin-1", () => {
  const d = readMovieLens(path.join(FIXTURES, "ml-100k"), "ml-100k");
  const u = d.userFeatures!.columns;
  assert.equal(d.userFeatures!.size, 4); // user 99 of u.user has no ratings: outside the index space
  assert.deepEqual(Array.from((u.age as NumericFeature).values), [24, 53, 23, 53]);
  assert.deepEqual([0, 1, 2, 3].map((r) => cat(u.gender, r)), ["M", "F", "M", "M"]);
  assert.deepEqual([0, 1, 2, 3].map((r) => cat(u.occupation, r)), ["technician", "other", "writer", "lawyer"]);
  const it = d.itemFeatures!.columns;
  assert.equal(d.itemFeatures!.size, 5); // item 13 is never rated
  assert.deepEqual((it.title as TextFeature).values, ["Toy Story (1995)", "Misérables, Les (1995)", "unknown", "Lone Star", "Usual Suspects, The (1995)"]);
  // Year from the title, else from the release date, else unknown (NaN).
  assert.deepEqual(Array.from((it.year as NumericFeature).values), [1995, 1995, NaN, 1996, 1995]);
  assert.deepEqual(set(it.genres, 0), ["Animation", "Children's", "Comedy"]);
  assert.deepEqual(set(it.genres, 4), ["Crime", "Thriller"]);
  assert.deepEqual(set(it.titleTokens, 1), ["misérables"]);
  assert.deepEqual(set(it.titleTokens, 4), ["suspects", "usual"]);
  const hot = multiHot(it.genres as SetFeature);
  assert.equal(hot.length, 5 * 19);
  assert.deepEqual(Array.from(hot.subarray(0, 19)).flatMap((v, g) => (v ? [g] : [])), [3, 4, 5]);
});

test("ml-1m: '::' files, age and occupation codes, Latin-1 movies.dat with ':' in titles", () => {
  const d = readMovieLens(path.join(FIXTURES, "ml-1m"), "ml-1m");
  const x = d.interactions;
  assert.deepEqual(x.userIds, ["1", "2", "5"]);
  assert.deepEqual(x.itemIds, ["661", "1193", "3408"]); // 9999 in movies.dat is never rated
  assert.equal(x.length, 7);
  assert.deepEqual(Array.from(x.timestamps!.subarray(0, 2)), [978300760, 978302109]);
  const u = d.userFeatures!.columns;
  assert.deepEqual(Array.from((u.age as NumericFeature).values), [1, 56, 25]);
  assert.deepEqual([0, 1, 2].map((r) => cat(u.ageGroup, r)), ["1", "56", "25"]);
  assert.deepEqual([0, 1, 2].map((r) => cat(u.occupation, r)), ["K-12 student", "self-employed", "writer"]);
  const it = d.itemFeatures!.columns;
  assert.equal((it.title as TextFeature).values[2], "Café: Au Lait (1993)");
  assert.deepEqual(set(it.genres, 0), ["Animation", "Children's", "Musical"]);
  assert.deepEqual(Array.from((it.year as NumericFeature).values), [1996, 1975, 1993]);
});

test("ml-latest-small layout: CSV with header, CRLF, quoted titles with commas and doubled quotes, UTF-8", () => {
  const d = readMovieLens(path.join(FIXTURES, "ml-latest-small"), "ml-csv", "ml-latest-small");
  const x = d.interactions;
  assert.equal(d.name, "ml-latest-small");
  assert.deepEqual(x.userIds, ["1", "2", "7"]);
  assert.deepEqual(x.itemIds, ["1", "3", "6", "50"]);
  assert.deepEqual(Array.from(x.ratings!), [4, 4.5, 2.5, 3, 0.5, 5]);
  assert.equal(d.userFeatures, undefined);
  const it = d.itemFeatures!.columns;
  assert.deepEqual((it.title as TextFeature).values, [
    "Toy Story (1995)",
    "Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)",
    'Movie "Quoted" Title (2001)',
    "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
  ]);
  assert.deepEqual(set(it.genres, 1), ["Action", "Western"]);
  assert.deepEqual(set(it.genres, 2), []); // "(no genres listed)"
  assert.deepEqual(Array.from((it.year as NumericFeature).values), [1995, 1966, 2001, 2001]);
});

test("only the ratings file is required; side features are absent without their files", () => {
  const dir = tmpDir();
  fs.copyFileSync(path.join(FIXTURES, "ml-100k", "u.data"), path.join(dir, "u.data"));
  const d = readMovieLens(dir, "ml-100k");
  assert.equal(d.interactions.length, 10);
  assert.equal(d.userFeatures, undefined);
  assert.equal(d.itemFeatures, undefined);
  assert.throws(() => readMovieLens(tmpDir(), "ml-1m"), /ratings\.dat does not exist; the folder must hold the unpacked ml-1m files/);
});

test("a malformed line is an error naming the file and the 1-based line", () => {
  const dir = tmpDir();
  const good = fs.readFileSync(path.join(FIXTURES, "ml-100k", "u.data"), "latin1").split("\n");
  fs.writeFileSync(path.join(dir, "u.data"), [...good.slice(0, 2), "7\t3\t4", ...good.slice(2)].join("\n"));
  assert.throws(() => readMovieLens(dir, "ml-100k"), (err: Error) => {
    assert.match(err.message, new RegExp(`${path.join(dir, "u.data").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3: expected 4 fields separated by "\\\\t" but found 3`));
    return true;
  });
  fs.writeFileSync(path.join(dir, "u.data"), [...good.slice(0, 4), "7\t3\tfive\t100", ...good.slice(4)].join("\n"));
  assert.throws(() => readMovieLens(dir, "ml-100k"), /u\.data:5: rating "five" is not a number/);
  const ml1m = tmpDir();
  fs.writeFileSync(path.join(ml1m, "ratings.dat"), "1::2::3::4\n1::2::3\n");
  assert.throws(() => readMovieLens(ml1m, "ml-1m"), /ratings\.dat:2: expected 4 fields separated by "::" but found 3/);
});

/** A temporary copy of a fixture folder whose ratings file has `line` inserted so that it becomes line `at` (1-based). */
function withLine(fixture: string, ratingsFile: string, at: number, line: string): string {
  const dir = tmpDir();
  for (const f of fs.readdirSync(path.join(FIXTURES, fixture))) fs.copyFileSync(path.join(FIXTURES, fixture, f), path.join(dir, f));
  const eol = fixture === "ml-latest-small" ? "\r\n" : "\n";
  const lines = fs.readFileSync(path.join(dir, ratingsFile), "latin1").split(eol);
  lines.splice(at - 1, 0, line);
  fs.writeFileSync(path.join(dir, ratingsFile), lines.join(eol), "latin1");
  return dir;
}

/** Asserts that reading throws a DataFileError for `file` at `line` with exactly `problem`. */
function assertBadLine(read: () => unknown, file: string, line: number, problem: string): void {
  assert.throws(read, (err: Error) => {
    assert.ok(err instanceof DataFileError, `${err.name}: ${err.message}`);
    assert.equal(err.file, file);
    assert.equal(err.line, line);
    assert.equal(err.message, `${file}:${line}: ${problem}`);
    return true;
  });
}

test("a rating outside ml-100k's and ml-1m's scale (whole stars 1-5) is an error naming the file, line and value", () => {
  const dir = withLine("ml-100k", "u.data", 7, "1\t4\t99\t100");
  assertBadLine(() => readMovieLens(dir, "ml-100k"), path.join(dir, "u.data"), 7, "rating 99 is outside ml-100k's scale 1-5 (whole stars); fix or remove this line");
  for (const bad of ["0", "3.5", "6", "-1"]) {
    const d = withLine("ml-100k", "u.data", 2, `1\t4\t${bad}\t100`);
    assertBadLine(() => readMovieLens(d, "ml-100k"), path.join(d, "u.data"), 2, `rating ${bad} is outside ml-100k's scale 1-5 (whole stars); fix or remove this line`);
  }
  const ml1m = withLine("ml-1m", "ratings.dat", 3, "1::3408::4.5::978300800");
  assertBadLine(() => readMovieLens(ml1m, "ml-1m"), path.join(ml1m, "ratings.dat"), 3, "rating 4.5 is outside ml-1m's scale 1-5 (whole stars); fix or remove this line");
  const zero = withLine("ml-1m", "ratings.dat", 8, "5::661::0::978300800"); // the last line
  assertBadLine(() => readMovieLens(zero, "ml-1m"), path.join(zero, "ratings.dat"), 8, "rating 0 is outside ml-1m's scale 1-5 (whole stars); fix or remove this line");
});

test("a rating outside the CSV releases' scale (0.5-5 in half stars) is an error naming the file, line, value and dataset", () => {
  // ratings.csv: the header is line 1; the fixture already holds 0.5 and 5.0, the ends of the scale.
  for (const bad of ["4.3", "0", "0.0", "5.5", "10"]) {
    const dir = withLine("ml-latest-small", "ratings.csv", 4, `1,6,${bad},964982800`);
    assertBadLine(
      () => readMovieLens(dir, "ml-csv", "ml-latest-small"),
      path.join(dir, "ratings.csv"),
      4,
      `rating ${bad} is outside ml-latest-small's scale 0.5-5 (half stars); fix or remove this line`,
    );
  }
  const ml25m = withLine("ml-latest-small", "ratings.csv", 2, "1,6,7,964982800");
  assert.throws(() => readMovieLens(ml25m, "ml-csv", "ml-25m"), /ratings\.csv:2: rating 7 is outside ml-25m's scale 0\.5-5 \(half stars\)/);
  // Valid ratings of every step still load.
  const fine = withLine("ml-latest-small", "ratings.csv", 2, "1,6,1.5,964982800");
  assert.deepEqual(Array.from(readMovieLens(fine, "ml-csv", "ml-latest-small").interactions.ratings!), [1.5, 4, 4.5, 2.5, 3, 0.5, 5]);
});

test("a generic CSV has no publisher's scale: any finite rating loads", () => {
  const file = path.join(tmpDir(), "scores.csv");
  fs.writeFileSync(file, "u,i,score\na,x,99\nb,x,-2.25\n");
  assert.deepEqual(Array.from(loadCsv(file, { user: "u", item: "i", rating: "score" }).interactions.ratings!), [99, -2.25]);
});

test("the real MovieLens-100K, when present, has 943 users, 1682 items, 100000 ratings and Latin-1 titles", { skip: !fs.existsSync("/work/shared/datasets/ml-100k/u.data") && "no local copy" }, () => {
  const d = readMovieLens("/work/shared/datasets/ml-100k", "ml-100k");
  assert.equal(d.interactions.numUsers, 943);
  assert.equal(d.interactions.numItems, 1682);
  assert.equal(d.interactions.length, 100000);
  const titles = (d.itemFeatures!.columns.title as TextFeature).values;
  assert.ok(titles.includes("Misérables, Les (1995)"));
  assert.equal(d.userFeatures!.size, 943);
});
