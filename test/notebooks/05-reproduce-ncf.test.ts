import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { expectedEngine, ROOT, runNotebook } from "./helpers";

type Output = { output_type: string; data?: Record<string, unknown>; text?: string[] };
type Row = { model: string; sampled: { hr: number; ndcg: number }; full: { hr: number; ndcg: number } };
type Order = { changed: boolean; sampled: string[]; full: string[]; swapped: [string, string][]; sentence: string };

test("05-reproduce-ncf runs in quick mode: the sampled protocol flatters every model; orders compared from the numbers; exercises unsolved", () => {
  const res = runNotebook(path.join(ROOT, "notebooks", "05-reproduce-ncf.ipynb"));
  assert.equal(res.ok, true, res.log);
  if (expectedEngine()) assert.equal(res.engine, expectedEngine());
  const r = res.recorded as { dataset: string; rows: Row[]; hrRatios: number[]; order: { hr: Order; ndcg: Order }; tensorsLeft: number };
  // Quick mode (and CI, which has no MovieLens files) runs on the synthetic world.
  assert.equal(r.dataset, "synthetic");
  // Both protocols recorded for the four models of the paper.
  assert.deepEqual(r.rows.map((x) => x.model), ["MF", "GMF", "MLP", "NeuMF"]);
  for (const x of r.rows) {
    for (const v of [x.sampled.hr, x.sampled.ndcg, x.full.hr, x.full.ndcg]) assert.ok(v >= 0 && v <= 1, JSON.stringify(x));
    // Every model learned something under full ranking (chance is 10 / 1000 items)...
    assert.ok(x.full.hr > 0.05, JSON.stringify(x));
    // ...and the sampled protocol is far more optimistic than full ranking (about 3x here).
    assert.ok(x.sampled.hr > 2 * x.full.hr, JSON.stringify(x));
    assert.ok(x.sampled.ndcg > 2 * x.full.ndcg, JSON.stringify(x));
  }
  // Whether the order changes is computed from the numbers (either way), and consistent with them.
  for (const o of [r.order.hr, r.order.ndcg]) {
    assert.equal(typeof o.changed, "boolean");
    assert.equal(o.changed, o.swapped.length > 0);
    assert.equal(o.changed, o.sampled.join() !== o.full.join());
  }
  const byHr = (p: "sampled" | "full") => [...r.rows].sort((a, b) => b[p].hr - a[p].hr).map((x) => x.model);
  assert.deepEqual(r.order.hr.full, byHr("full"));
  assert.deepEqual(r.order.hr.sampled, byHr("sampled"));
  assert.equal(r.tensorsLeft, 0);
  // The committed exercises are unsolved: every check ran and said "not yet".
  for (const id of ["05-popular-gap", "05-pretrain", "05-more-negatives"]) {
    assert.deepEqual((res.recorded[`exercise:${id}`] as { passed: boolean } | undefined)?.passed, false, id);
  }
  // The key plot is there (PNG + interactive HTML), and the dataset that ran is named in the output.
  const executed = JSON.parse(fs.readFileSync(res.output, "utf8")) as { cells: { metadata?: { tags?: string[] }; outputs?: Output[] }[] };
  const key = executed.cells.filter((c) => c.metadata?.tags?.includes("key-plot"));
  assert.equal(key.length, 1);
  assert.ok(key[0]!.outputs?.some((o) => o.data?.["image/png"] && o.data["text/html"]));
  const text = executed.cells.flatMap((c) => c.outputs ?? []).flatMap((o) => (o.output_type === "stream" ? o.text ?? [] : [])).join("");
  assert.match(text, /dataset: synthetic \(quick mode\)/);
});
