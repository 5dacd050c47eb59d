import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { expectedEngine, ROOT, runNotebook } from "./helpers";

type Output = { output_type: string; data?: Record<string, unknown>; text?: string[] };
interface Similarity { points: { size: number; width: number; rmse: number }[]; dotRmse: number; zeroRmse: number }

test("02-linear-vs-nonlinear runs in quick mode: MF wins the linear world, the Two-Tower the non-linear one, an MLP learns a dot product slowly", () => {
  const res = runNotebook(path.join(ROOT, "notebooks", "02-linear-vs-nonlinear.ipynb"));
  assert.equal(res.ok, true, res.log);
  if (expectedEngine()) assert.equal(res.engine, expectedEngine());
  const r = res.recorded as Record<string, number> & { similarity: Similarity };
  const at = (name: string) => {
    assert.equal(typeof r[name], "number", `recorded ${name}`);
    return r[name]!;
  };
  // Linear world: the dot product is the right model; MF is at least as good as NeuMF.
  assert.ok(at("linear:MF") >= at("linear:NeuMF"), `linear: MF ${r["linear:MF"]} vs NeuMF ${r["linear:NeuMF"]}`);
  // Non-linear world: the model that reads the features beats MF by a clear margin (quick run: 0.263 vs 0.196).
  // NeuMF (ids only) does not beat MF here (0.097): see the notebook's prose, which is printed from the values.
  assert.ok(at("non-linear:Two-Tower") > 1.15 * at("non-linear:MF"), `non-linear: Two-Tower ${r["non-linear:Two-Tower"]} vs MF ${r["non-linear:MF"]}`);
  // The ground truth is the ceiling on both worlds.
  for (const w of ["linear", "non-linear"]) for (const m of ["MF", "NeuMF", "Two-Tower"]) assert.ok(at(`${w}:ground truth`) > at(`${w}:${m}`), `${w}: ${m} above the ceiling`);

  // Learned similarity: error falls with data size and stays above the dot product's (the noise floor).
  const s = r.similarity;
  const curve = s.points.filter((p) => p.width === s.points[0]!.width);
  assert.ok(curve.length >= 3, JSON.stringify(s.points));
  for (let i = 1; i < curve.length; i++) assert.ok(curve[i]!.rmse < curve[i - 1]!.rmse, `RMSE rises from ${curve[i - 1]!.size} to ${curve[i]!.size} pairs: ${JSON.stringify(curve)}`);
  assert.ok(curve[0]!.rmse > 3 * s.dotRmse, `smallest set: MLP ${curve[0]!.rmse} vs dot product ${s.dotRmse}`);
  assert.ok(Math.abs(s.dotRmse - 0.1) < 0.02 && s.zeroRmse > 0.8, JSON.stringify(s));

  // The committed exercises are unsolved: their checks run and say "not yet".
  for (const id of ["02-mf-beats-two-tower", "02-halve-mlp-error"]) assert.equal((res.recorded[`exercise:${id}`] as { passed: boolean } | undefined)?.passed, false, id);

  // Two charts (PNG + interactive HTML), the key plot tagged for the README.
  const executed = JSON.parse(fs.readFileSync(res.output, "utf8")) as { cells: { metadata: { tags?: string[] }; outputs?: Output[] }[] };
  const charts = executed.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data?.["image/png"]);
  assert.equal(charts.length, 2);
  const key = executed.cells.filter((c) => c.metadata.tags?.includes("key-plot"));
  assert.equal(key.length, 1);
  assert.ok(key[0]!.outputs?.some((o) => o.data?.["image/png"]), "the key plot cell shows a PNG");
  // It says which dataset ran.
  const text = executed.cells.flatMap((c) => c.outputs ?? []).flatMap((o) => o.text ?? []).join("");
  assert.match(text, /non-linear world = dataset synthetic \(/);
});
