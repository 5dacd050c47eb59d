// `recsys-lab compare` as a user runs it (compiled): the table, the JSON, the files in --out, the plots, the cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PNG } from "pngjs";
import { findChromium } from "../../lib/viz/png";

const ROOT = path.join(__dirname, "..", "..");
const TINY = ["--dataset", "synthetic", "--users", "100", "--items", "300", "--per-user", "15"];
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, "dist", "cli.js"), ...args], { encoding: "utf8", env: { ...process.env, RECSYS_BACKEND: "wasm" }, timeout: 240_000 });
const png = findChromium() !== null || process.env.RECSYS_REQUIRE_CHROMIUM === "1";

test("compare prints the table, writes tables and plots, and a second run takes every run from the cache", () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "compare-")), "results");
  const args = ["compare", ...TINY, "--models", "pop,ease,ials,mf,truth", "--seeds", "0,1", "--epochs", "2", "--workers", "2", "--out", out, ...(png ? [] : ["--no-plots"])];
  const r = cli(...args);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.match(lines[0]!, /synthetic, leave-one-out, full ranking .* 10 runs \(0 from the cache\)/);
  const header = lines.find((l) => l.startsWith("model "))!;
  assert.match(header, /NDCG@10 +HR@10 +Recall@10 +MRR@10 +coverage +NDCG vs MF +train s +seeds/);
  for (const model of ["MostPopular", "EASE", "iALS", "MF", "ground truth"]) assert.ok(lines.some((l) => l.startsWith(model + " ")), `${model} row in\n${r.stdout}`);
  // The ground truth is the ceiling: its NDCG is the column's best.
  assert.match(lines.find((l) => l.startsWith("ground truth "))!, /^ground truth\s+\S+ ± \S+\*/);
  assert.match(r.stderr, /run 10\/10/, "grid progress on stderr");
  const files = fs.readdirSync(out).sort();
  for (const f of ["results.csv", "results.json", "summary.csv", "summary.json", "comparisons.csv", "runs.json", "cache"]) assert.ok(files.includes(f), `${f} in ${files}`);
  const results = JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8")) as { model: string; seed: number; metric: string }[];
  assert.equal(new Set(results.map((x) => `${x.model}/${x.seed}`)).size, 10);
  if (png) {
    for (const f of ["metrics.png", "metrics.html", "learning-curves.png", "learning-curves.html"]) assert.ok(files.includes(f), `${f} in ${files}`);
    const image = PNG.sync.read(fs.readFileSync(path.join(out, "metrics.png")));
    let nonWhite = 0;
    for (let i = 0; i < image.data.length; i += 4) if (image.data[i]! < 240 || image.data[i + 1]! < 240 || image.data[i + 2]! < 240) nonWhite++;
    assert.ok(nonWhite > 2000, `metrics.png looks blank (${nonWhite} non-white pixels)`);
  }

  // Again with --json: all ten runs come from the cache, with the same summary.
  const again = cli(...args, "--json", "--no-plots");
  assert.equal(again.status, 0, again.stderr);
  const j = JSON.parse(again.stdout);
  assert.match(again.stderr, /10 of 10 runs found/);
  const mf = j.summary.find((s: { model: string; metric: string }) => s.model === "MF" && s.metric === "ndcg");
  assert.equal(mf.n, 2);
  assert.ok(j.comparisons.every((c: { reference: string }) => c.reference === "MF"));
});

test("compare names the option at fault", () => {
  const bad = (args: string[], pattern: RegExp) => {
    const r = cli("compare", ...TINY, ...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, pattern);
  };
  bad(["--models", "pop,svd"], /unknown model 'svd' in --models/);
  bad(["--seeds", "0,x"], /--seeds takes integers, got 'x'/);
  bad(["--models", "pop,mf", "--reference", "ease"], /--reference 'ease' is not among --models/);
  bad(["--budget", "3"], /--budget applies with --tune only/);
});
