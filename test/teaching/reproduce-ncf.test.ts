/** teaching/reproduce-ncf: paper options, model orders under two protocols, the table, data fallback, a tiny end-to-end run. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../lib/backend";
import { generateSynthetic } from "../../lib/data";
import { MostPopular } from "../../lib/models/baselines";
import {
  compareOrders,
  disposeRuns,
  evaluateProtocols,
  hasDatasetFiles,
  loadReproductionData,
  modelOrder,
  ncfPaperOptions,
  protocolRow,
  protocolTable,
  trainNcfModels,
  type ProtocolRow,
} from "../../lib/teaching/reproduce-ncf";

const row = (model: string, sampledHr: number, fullHr: number): ProtocolRow => ({
  model,
  sampled: { hr: sampledHr, ndcg: sampledHr / 2 },
  full: { hr: fullHr, ndcg: fullHr / 2 },
});

test("ncfPaperOptions: f predictive factors -> MF/GMF f factors, MLP tower [4f, 2f, f] (paper: factor 8 is 32 -> 16 -> 8)", () => {
  assert.deepEqual(ncfPaperOptions(8), { mf: { factors: 8 }, gmf: { factors: 8 }, mlp: { layers: [32, 16, 8] }, neumf: { factors: 8, layers: [32, 16, 8] } });
  assert.throws(() => ncfPaperOptions(0), /factors must be a positive integer, got 0/);
});

test("modelOrder and compareOrders: same order, and a hand-worked swap with Kendall's tau", () => {
  const same = [row("A", 0.6, 0.2), row("B", 0.5, 0.1), row("C", 0.4, 0.05)];
  assert.deepEqual(modelOrder(same, "sampled"), ["A", "B", "C"]);
  const s = compareOrders(same);
  assert.equal(s.changed, false);
  assert.equal(s.kendallTau, 1);
  assert.match(s.sentence, /both protocols order the models the same way: A > B > C/);
  // B beats A under sampled, A beats B under full: one of three pairs swapped, tau = (2 - 1) / 3.
  const swap = [row("A", 0.5, 0.2), row("B", 0.6, 0.1), row("C", 0.4, 0.05)];
  const c = compareOrders(swap);
  assert.equal(c.changed, true);
  assert.deepEqual(c.sampled, ["B", "A", "C"]);
  assert.deepEqual(c.full, ["A", "B", "C"]);
  assert.deepEqual(c.swapped, [["B", "A"]]);
  assert.ok(Math.abs(c.kendallTau - 1 / 3) < 1e-12);
  assert.match(c.sentence, /1 of 3 pairs swapped: B\/A/);
  assert.throws(() => compareOrders([row("A", 1, 1)]), /at least two models/);
});

test("protocolTable: one line per model, the ratio, the published numbers where the paper has the model", () => {
  const t = protocolTable([row("MF", 0.4, 0.1), row("MLP", 0.3, 0.1)], { dataset: "ml-100k" });
  assert.match(t, /\*\*ml-100k\*\*: sampled = paper reproduction \(1 held-out \+ 99 sampled negatives\)/);
  assert.match(t, /\| MF \| 0\.400 \| 0\.200 \| 0\.100 \| 0\.050 \| 4\.0× \| — \|/);
  assert.match(t, /\| MLP \| 0\.300 \| 0\.150 \| 0\.100 \| 0\.050 \| 3\.0× \| 0\.692 \/ 0\.425 \|/);
  assert.match(t, /\| NeuMF \(pretrained\) \| \| \| \| \| \| 0\.726 \/ 0\.445 \|/);
  assert.throws(() => protocolRow("X", { full: { hr: 1, ndcg: 1 } }), /no ranking metrics under both protocols/);
});

test("loadReproductionData falls back to the synthetic world without files and says so; never downloads", async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "nb05-"));
  try {
    assert.equal(hasDatasetFiles("ml-1m", empty), false);
    const r = await loadReproductionData({ dataset: "ml-1m", dataDir: empty, syntheticOptions: { numUsers: 50, numItems: 120, interactionsPerUser: 8 } });
    assert.equal(r.dataset.name, "synthetic");
    assert.match(r.note, /^dataset: synthetic \(no files for ml-1m, ml-100k\), 50 users x 120 items/);
    assert.match(r.note, /NOT the paper's dataset/);
    const q = await loadReproductionData({ dataset: "ml-100k", dataDir: empty, synthetic: true, syntheticOptions: { numUsers: 50, numItems: 120, interactionsPerUser: 8 } });
    assert.match(q.note, /^dataset: synthetic \(quick mode\)/);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test("trainNcfModels + evaluateProtocols: both protocols for every model; MostPopular's numbers match its own evaluation", async () => {
  await initBackend({ backend: "wasm" });
  const world = generateSynthetic({ numUsers: 150, numItems: 400, interactionsPerUser: 15, seed: 3 });
  const lines: string[] = [];
  const { runs, rows, split } = await trainNcfModels(world, { factors: 4, epochs: 1, seed: 1, models: ["mf", "gmf"], log: (l) => lines.push(l) });
  try {
    assert.deepEqual(rows.map((r) => r.model), ["MF", "GMF"]);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^MF: 1 epochs in [\d.]+ s \(last train loss [\d.]+\); HR@10 sampled [\d.]+, full [\d.]+$/);
    for (const r of rows) {
      for (const v of [r.sampled.hr, r.sampled.ndcg, r.full.hr, r.full.ndcg]) assert.ok(v >= 0 && v <= 1, JSON.stringify(r));
      // The same model re-evaluated on the same split and seed gives the run's numbers exactly.
      const again = await evaluateProtocols(runs[r.model]!.model, split, { seed: 1, label: r.model });
      assert.deepEqual(again, r);
    }
    const pop = await evaluateProtocols(new MostPopular(split.train), split, { seed: 1 });
    assert.equal(pop.model, "MostPopular");
    assert.ok(pop.sampled.hr > pop.full.hr, JSON.stringify(pop));
    const wider = await evaluateProtocols(new MostPopular(split.train), split, { seed: 1, sampledNegatives: 150 });
    assert.ok(wider.sampled.hr < pop.sampled.hr && wider.full.hr === pop.full.hr, JSON.stringify([pop, wider]));
  } finally {
    disposeRuns(runs);
  }
});
