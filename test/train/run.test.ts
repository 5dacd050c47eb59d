/** trainRun: the end-to-end run behind `recsys-lab train`. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../lib/backend";
import { trainRun, makeModel } from "../../lib/train";
import { loadModel } from "../../lib/models";

test("trainRun trains, evaluates with both protocols, saves, and reports one JSON-ready object", async () => {
  await initBackend({ backend: "wasm" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-lab-run-"));
  try {
    const r = await trainRun({ dataset: "synthetic", model: "neumf", epochs: 2, batchSize: 1024, factors: 8, layers: [16, 8], seed: 3, save: dir, progress: false });
    assert.equal(r.model, "NeuMF");
    assert.equal(r.training.epochs, 2);
    assert.equal(r.history.length, 2);
    for (const v of [r.full.hr10, r.full.ndcg10, r.sampled.hr10, r.sampled.ndcg10]) assert.ok(v >= 0 && v <= 1);
    assert.ok(r.sampled.hr10 > r.full.hr10, "99 sampled candidates are easier than the full catalogue");
    assert.match(r.sampled.protocol, /sampled \(paper reproduction: 1 held-out \+ 99 sampled negatives\)/);
    assert.ok(r.examplesPerSecond > 0);
    JSON.parse(JSON.stringify(r));
    const loaded = await loadModel(dir);
    assert.deepEqual(loaded.getConfig(), r.config);
    loaded.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("makeModel maps the command's options; unknown models are named", () => {
  const m = makeModel("mf", 5, 6, { factors: 4, dropout: 0.1, l2: 1e-4, seed: 2 });
  const c = m.getConfig() as { factors: number; embeddingDropout: number; denseDropout: number; embeddingL2: number; seed: number };
  assert.deepEqual(
    { f: c.factors, e: c.embeddingDropout, d: c.denseDropout, l: c.embeddingL2, s: c.seed },
    { f: 4, e: 0.1, d: 0.1, l: 1e-4, s: 2 },
  );
  m.dispose();
  assert.throws(() => makeModel("wide" as never, 5, 6), /unknown model 'wide'. Valid: mf, gmf, mlp, neumf/);
});
