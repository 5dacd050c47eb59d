// Every worked solution in notebooks/solutions/ executes in quick mode and every exercise check it runs passes:
// the checks accept a right answer (each notebook's own test shows what its unsolved exercises record).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { expectedEngine, ROOT, runNotebook } from "./helpers";

const dir = path.join(ROOT, "notebooks", "solutions");
const solutions = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort() : [];

for (const file of solutions) {
  test(`solutions/${file}: runs, and every exercise check passes`, () => {
    const res = runNotebook(path.join(dir, file));
    assert.equal(res.ok, true, res.log);
    if (expectedEngine()) assert.equal(res.engine, expectedEngine());
    const checks = Object.entries(res.recorded).filter(([k]) => k.startsWith("exercise:"));
    assert.ok(checks.length >= 2, `${file} checks ${checks.length} exercises; each notebook has two or three`);
    for (const [name, verdict] of checks) assert.equal((verdict as { passed: boolean }).passed, true, `${name}: ${JSON.stringify(verdict)}`);
  });
}
