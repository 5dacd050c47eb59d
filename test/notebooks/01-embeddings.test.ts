import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { expectedEngine, ROOT, runNotebook } from "./helpers";

test("01-embeddings runs in quick mode, learns the two tastes and shows its charts", () => {
  const res = runNotebook(path.join(ROOT, "notebooks", "01-embeddings.ipynb"));
  assert.equal(res.ok, true, res.log);
  if (expectedEngine()) assert.equal(res.engine, expectedEngine());
  const r = res.recorded as { finalLoss: number; firstLoss: number; accuracy: number; backend: string };
  assert.ok(r.firstLoss > 0.6 && r.firstLoss < 0.8, `initial loss ${r.firstLoss} should be near ln 2`);
  assert.ok(r.finalLoss < r.firstLoss / 10, `loss ${r.firstLoss} -> ${r.finalLoss}`);
  assert.equal(r.accuracy, 1);
  // Both charts were displayed as PNG (renders everywhere) plus interactive HTML.
  const executed = JSON.parse(fs.readFileSync(res.output, "utf8")) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
  const displays = executed.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data);
  assert.equal(displays.length, 2);
  for (const d of displays) {
    assert.ok(typeof d.data!["image/png"] === "string" || Array.isArray(d.data!["image/png"]), "PNG representation");
    assert.ok(d.data!["text/html"], "interactive HTML representation");
  }
});
