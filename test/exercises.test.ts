import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkExercise, exerciseResult } from "../lib/exercises";

test("checkExercise says what is wrong, records the verdict, and never throws on a wrong answer", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ex-")), "record.json");
  const before = process.env.RECSYS_RECORD_FILE;
  process.env.RECSYS_RECORD_FILE = file;
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => lines.push(s);
  try {
    assert.equal(checkExercise("demo", [[true, "fine"], [false, "MF is still below NeuMF"]], { hint: "look at the world" }), undefined, "nothing for a notebook cell to print");
    checkExercise("demo-2", [[1 + 1 === 2, "arithmetic"]], { success: "MF wins." });
    assert.deepEqual(exerciseResult("demo", [[false, "wrong"]]), { id: "demo", passed: false, problems: ["wrong"] });
  } finally {
    console.log = log;
    if (before === undefined) delete process.env.RECSYS_RECORD_FILE;
    else process.env.RECSYS_RECORD_FILE = before;
  }
  assert.deepEqual(lines, ["✗ demo: not yet.\n  - MF is still below NeuMF\n  hint: look at the world", "✓ demo-2: correct. MF wins."]);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), { "exercise:demo": { passed: false, problems: ["MF is still below NeuMF"] }, "exercise:demo-2": { passed: true, problems: [] } });
  assert.throws(() => checkExercise("empty", []), /no requirements/);
});
