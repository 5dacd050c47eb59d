import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { expectedEngine, ROOT, runNotebook } from "./helpers";

type Output = { output_type: string; data?: Record<string, unknown>; text?: string[] };

test("01-embeddings runs in quick mode, learns the two tastes, trains MF with live progress and shows its charts", () => {
  const res = runNotebook(path.join(ROOT, "notebooks", "01-embeddings.ipynb"));
  assert.equal(res.ok, true, res.log);
  if (expectedEngine()) assert.equal(res.engine, expectedEngine());
  const r = res.recorded as { finalLoss: number; firstLoss: number; accuracy: number; mfHr: number; popularHr: number; mfLosses: number[] };
  assert.ok(r.firstLoss > 0.6 && r.firstLoss < 0.8, `initial loss ${r.firstLoss} should be near ln 2`);
  assert.ok(r.finalLoss < r.firstLoss / 10, `loss ${r.firstLoss} -> ${r.finalLoss}`);
  assert.equal(r.accuracy, 1);
  // MF's training loss falls every epoch, and it ranks far better than chance (HR@10 of a random ranking ~ 0.01).
  assert.ok(r.mfLosses.every((l, i) => i === 0 || l < r.mfLosses[i - 1]!), JSON.stringify(r.mfLosses));
  assert.ok(r.mfHr > 0.1 && r.popularHr > 0.1, `MF ${r.mfHr}, MostPopular ${r.popularHr}`);

  const executed = JSON.parse(fs.readFileSync(res.output, "utf8")) as { cells: { outputs?: Output[] }[] };
  const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
  // Three charts, each as PNG (renders everywhere) plus interactive HTML.
  const charts = outputs.filter((o) => o.data?.["image/png"]);
  assert.equal(charts.length, 3);
  for (const c of charts) assert.ok(c.data!["text/html"], "interactive HTML representation");
  // fit's live progress line is an updating display, left on its final state; one permanent line per epoch.
  const live = outputs.filter((o) => o.output_type === "display_data" && o.data?.["text/plain"] && !o.data["image/png"]);
  assert.equal(live.length, 1);
  assert.match(String(live[0]!.data!["text/plain"]), /^done: 3 epochs in/);
  const epochLines = outputs.flatMap((o) => (o.output_type === "stream" ? o.text ?? [] : [])).join("").match(/^epoch \d+\/3 loss/gm);
  assert.equal(epochLines?.length, 3);
});
