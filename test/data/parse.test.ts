import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { detectDelimiter, readDelimited } from "../../lib/data/parse";
import { tmpDir } from "./helpers";

function rows(text: string | Buffer, options: { delimiter: string; quotes?: boolean; chunkSize?: number; encoding?: "utf8" | "latin1" }) {
  const file = path.join(tmpDir(), "f.txt");
  fs.writeFileSync(file, text);
  const out: { line: number; fields: string[] }[] = [];
  readDelimited(file, options, (row) => out.push({ line: row.line, fields: row.texts() }));
  return out;
}

test("quoted fields hold delimiters, doubled quotes and line breaks; line numbers count physical lines", () => {
  const text = 'id,title,genres\r\n1,"Good, the Bad",Western\r\n\r\n2,"Say ""hi""",Comedy\n3,"two\nlines",Drama\n4,plain,\n';
  const expected = [
    { line: 1, fields: ["id", "title", "genres"] },
    { line: 2, fields: ["1", "Good, the Bad", "Western"] },
    { line: 4, fields: ["2", 'Say "hi"', "Comedy"] },
    { line: 5, fields: ["3", "two\nlines", "Drama"] },
    { line: 7, fields: ["4", "plain", ""] },
  ];
  assert.deepEqual(rows(text, { delimiter: "," }), expected);
  // Every chunk size splits records, quotes, CRLF pairs and escapes at a different place: same result.
  for (let chunkSize = 1; chunkSize <= 12; chunkSize++) assert.deepEqual(rows(text, { delimiter: ",", chunkSize }), expected, `chunkSize ${chunkSize}`);
});

test("multi-character delimiters ('::') keep single ':' inside fields, also across chunk boundaries", () => {
  const text = "1::Star Wars: Episode IV (1977)::Action|Sci-Fi\n2::Alien (1979)::Horror";
  const expected = [
    { line: 1, fields: ["1", "Star Wars: Episode IV (1977)", "Action|Sci-Fi"] },
    { line: 2, fields: ["2", "Alien (1979)", "Horror"] },
  ];
  for (const chunkSize of [1, 2, 3, 5, 7, 64]) assert.deepEqual(rows(text, { delimiter: "::", quotes: false, chunkSize }), expected);
});

test("with quotes off a '\"' is an ordinary character (MovieLens .dat titles)", () => {
  assert.deepEqual(rows('7|"Brothers" (1990)|x\n', { delimiter: "|", quotes: false }), [{ line: 1, fields: ["7", '"Brothers" (1990)', "x"] }]);
});

test("Latin-1 files decode to the right characters", () => {
  const out = rows(Buffer.from("2|Misérables, Les (1995)\n", "latin1"), { delimiter: "|", quotes: false, encoding: "latin1" });
  assert.equal(out[0]!.fields[1], "Misérables, Les (1995)");
});

test("Row.number equals Number() for decimals and rejects what is not a number", () => {
  const values = ["4", "4.5", "0.1", "-3.25", "1e3", " 7 ", "+2", "123456789012345", "3.14159265358979", "", "abc", "0x1f", "4.5.1", "1,5"];
  const file = path.join(tmpDir(), "n.txt");
  fs.writeFileSync(file, values.join("\n").replace(/^$/m, '""') + "\n");
  const got: number[] = [];
  readDelimited(file, { delimiter: "\t" }, (row) => got.push(row.number(0)));
  assert.deepEqual(got, [4, 4.5, 0.1, -3.25, 1000, 7, 2, 123456789012345, 3.14159265358979, NaN, NaN, NaN, NaN, NaN]);
});

test("an unterminated quote is an error naming the file and the line where the record starts", () => {
  const file = path.join(tmpDir(), "bad.csv");
  fs.writeFileSync(file, 'a,b\n1,2\n3,"oops\n4,5\n');
  assert.throws(() => readDelimited(file, { delimiter: "," }, () => {}), (err: Error) => {
    assert.match(err.message, /bad\.csv:3: a quoted field is never closed/);
    return true;
  });
  fs.writeFileSync(file, 'a,b\n1,"x"y\n');
  assert.throws(() => readDelimited(file, { delimiter: "," }, () => {}), /bad\.csv:2: unexpected character 'y' after a closing quote/);
});

test("detectDelimiter picks the separator of a header line", () => {
  assert.equal(detectDelimiter("user\titem\trating"), "\t");
  assert.equal(detectDelimiter("user,item,rating"), ",");
  assert.equal(detectDelimiter('"a;b",c,d'), ",");
  assert.equal(detectDelimiter("user;item"), ";");
  assert.equal(detectDelimiter("justone"), undefined);
});
