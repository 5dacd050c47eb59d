/** Tables of an experiment: danfojs DataFrames, CSV/JSON files, and the terminal summary. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { summarizeRuns, compareToReference, tidy, type ExperimentResult } from "../../lib/experiments/experiment";
import type { RunResult } from "../../lib/experiments/runs";
import { summaryTable } from "../../lib/experiments/summary-table";
import { resultsFrame, summaryFrame, writeTables } from "../../lib/experiments/tables";

/** Two models x two seeds over four users; B beats A by 0.1 NDCG for every user (a difference beyond noise). */
function constructed(): ExperimentResult {
  const run = (label: string, seed: number, ndcg: number[]): RunResult => ({
    id: `${label}-${seed}`,
    label,
    model: label.toLowerCase(),
    configuration: "{}",
    seed,
    metrics: { ndcg: ndcg.reduce((a, b) => a + b) / ndcg.length, hr: 0.5 + seed / 10 },
    perUser: { users: [0, 1, 2, 3], hr: [1, 0, 1, 0], ndcg },
    history: [{ epoch: 1, trainLoss: 0.5 }],
    trainSeconds: 2,
    examplesPerSecond: 1000,
    epochs: 1,
    seconds: 3,
  });
  const runs = [run("A", 0, [0.1, 0.2, 0.3, 0.4]), run("A", 1, [0.1, 0.2, 0.3, 0.5]), run("B", 0, [0.2, 0.3, 0.4, 0.5]), run("B", 1, [0.2, 0.3, 0.4, 0.6])];
  return { runs, table: tidy(runs), summary: summarizeRuns(runs), comparisons: compareToReference(runs, "A"), cached: 0, seconds: 1 };
}

test("the tidy table and the summary as danfojs DataFrames", () => {
  const r = constructed();
  const df = resultsFrame(r);
  assert.deepEqual(df.shape, [8, 8]);
  assert.deepEqual(df.columns, ["model", "configuration", "seed", "metric", "value", "trainSeconds", "examplesPerSecond", "epochs"]);
  const s = summaryFrame(r);
  assert.deepEqual(s.shape, [4, 7]);
  // B's NDCG over its seeds: 0.35 and 0.375.
  const b = r.summary.find((x) => x.model === "B" && x.metric === "ndcg")!;
  assert.ok(Math.abs(b.mean - 0.3625) < 1e-12 && b.n === 2);
});

test("writeTables writes CSV that danfojs reads back and JSON equal to the tables", async () => {
  const r = constructed();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tables-"));
  try {
    const files = writeTables(r, dir).map((f) => path.basename(f));
    assert.deepEqual(files.sort(), ["comparisons.csv", "comparisons.json", "results.csv", "results.json", "runs.json", "summary.csv", "summary.json"]);
    const dfd = require("danfojs-node") as typeof import("danfojs-node");
    const back = await dfd.readCSV(path.join(dir, "results.csv"));
    assert.deepEqual(back.shape, [8, 8]);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")), JSON.parse(JSON.stringify(r.summary)));
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "runs.json"), "utf8"))[0].history[0].trainLoss, 0.5, "learning curves are kept");
    assert.ok(!fs.readdirSync(dir).some((f) => f.includes(".tmp")), "no temporary files left");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the terminal table: mean ± sd, the best marked, the paired test against the reference", () => {
  const text = summaryTable(constructed(), { metrics: [["ndcg", "NDCG@10"], ["hr", "HR@10"]] });
  const lines = text.split("\n");
  assert.match(lines[0]!, /^model\s+NDCG@10\s+HR@10\s+NDCG vs A\s+train s\s+seeds$/);
  const a = lines.find((l) => l.startsWith("A "))!;
  const b = lines.find((l) => l.startsWith("B "))!;
  assert.match(b, /0\.3625 ± 0\.0177\*/, "B's NDCG is the best, marked");
  assert.doesNotMatch(a.split(/\s{2,}/)[1]!, /\*/, "A's NDCG is not");
  assert.match(a, /\(reference\)/);
  // B - A = +0.1 for every user (averaged over seeds): p < 1e-4.
  assert.match(b, /\+0\.1000 p=<1e-4/);
  // Both have the same HR mean (0.55): both marked.
  assert.equal(lines.filter((l) => /0\.5500 ± 0\.0707\*/.test(l)).length, 2);
});

test("the terminal table: one seed shows the value alone, without a '± 0' spread it did not measure", () => {
  const one = constructed();
  const runs = one.runs.filter((r) => r.seed === 0);
  const text = summaryTable({ runs, summary: summarizeRuns(runs), comparisons: compareToReference(runs, "A") }, { metrics: [["ndcg", "NDCG@10"]] });
  const b = text.split("\n").find((l) => l.startsWith("B "))!;
  assert.match(b, /\s0\.3500\*/);
  assert.doesNotMatch(text, /±/);
});
