import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { loadCsv } from "../../lib/data/csv";
import { tmpDir } from "./helpers";

function file(name: string, text: string): string {
  const f = path.join(tmpDir(), name);
  fs.writeFileSync(f, text);
  return f;
}

test("loadCsv: columns by header name, delimiter detected, string ids, ISO dates as timestamps", () => {
  const f = file("events.tsv", "when\tcustomer\tproduct\tstars\n" +
    "2024-01-02T00:00:00Z\tbob\tp-9\t4\n2024-01-01T00:00:00Z\talice\tp-1\t5\n1704240000\talice\tp-9\t3\n");
  const d = loadCsv(f, { user: "customer", item: "product", rating: "stars", timestamp: "when" });
  const x = d.interactions;
  assert.equal(d.name, "events.tsv");
  assert.deepEqual(x.userIds, ["alice", "bob"]);
  assert.deepEqual(x.itemIds, ["p-1", "p-9"]);
  assert.deepEqual(Array.from(x.users), [1, 0, 0]);
  assert.deepEqual(Array.from(x.items), [1, 0, 1]);
  assert.deepEqual(Array.from(x.ratings!), [4, 5, 3]);
  assert.deepEqual(Array.from(x.timestamps!), [1704153600, 1704067200, 1704240000]);
});

test("loadCsv: implicit data without rating or timestamp; explicit delimiter; ids '7' and '07' stay distinct", () => {
  const f = file("clicks.csv", "u;i\n7;a\n07;a\n7;b\n");
  const d = loadCsv(f, { user: "u", item: "i", delimiter: ";" });
  assert.equal(d.interactions.ratings, undefined);
  assert.equal(d.interactions.timestamps, undefined);
  assert.deepEqual(d.interactions.userIds, ["7", "07"]);
});

test("loadCsv: a missing column names the file, line 1, the header's columns and the option to fix", () => {
  const f = file("r.csv", "userId,movieId,rating\n1,2,3\n");
  assert.throws(() => loadCsv(f, { user: "userId", item: "itemId" }), (err: Error) => {
    assert.match(err.message, /r\.csv:1: no column named 'itemId' for the items; the header has: userId, movieId, rating\. Pass one of these with --item-column/);
    return true;
  });
});

test("loadCsv: a non-numeric rating and a short row name their line", () => {
  const f = file("r.csv", "userId,movieId,rating\n1,2,3\n1,3,4.5\n2,2,good\n");
  assert.throws(() => loadCsv(f, { user: "userId", item: "movieId", rating: "rating" }), /r\.csv:4: rating "good" is not a number; fix this line or choose another rating column/);
  const g = file("s.csv", "userId,movieId,rating\n1,2,3\n\n1,3\n");
  assert.throws(() => loadCsv(g, { user: "userId", item: "movieId", rating: "rating" }), /s\.csv:4: expected 3 fields separated by "," but found 2/);
  const h = file("t.csv", "u,i,t\n1,2,yesterday-ish\n");
  assert.throws(() => loadCsv(h, { user: "u", item: "i", timestamp: "t" }), /t\.csv:2: timestamp "yesterday-ish" is neither a number/);
});

test("loadCsv: empty files, header-only files, undetectable delimiters and misspelt options are clear errors", () => {
  assert.throws(() => loadCsv(file("e.csv", ""), { user: "u", item: "i" }), /e\.csv:1: cannot tell the delimiter/);
  assert.throws(() => loadCsv(file("h.csv", "u,i\n"), { user: "u", item: "i" }), /h\.csv:2: the file has no interactions/);
  assert.throws(() => loadCsv(file("o.csv", "u,i\n1,2\n"), { user: "u", item: "i", ratng: "r" } as never), /loadCsv: unknown option 'ratng'\. Valid options: user, item, rating/);
  assert.throws(() => loadCsv("/nonexistent/x.csv", { user: "u", item: "i", delimiter: "," }), /cannot open \/nonexistent\/x\.csv: ENOENT; check the path/);
  assert.throws(() => loadCsv("/nonexistent/x.csv", { user: "u", item: "i" }), /cannot open \/nonexistent\/x\.csv: ENOENT; check the path/);
});
