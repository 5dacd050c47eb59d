import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { expectedEngine, ROOT, runNotebook } from "./helpers";

type Output = { output_type: string; data?: Record<string, unknown>; text?: string[] };
interface Measurement { kind: string; width: string; recall: number; msPerQuery: number; isExact: boolean }

test("04-two-tower-faiss runs in quick mode: indexes agree with exact search, HNSW recall is high, serving excludes seen items, cold start beats random", () => {
  const res = runNotebook(path.join(ROOT, "notebooks", "04-two-tower-faiss.ipynb"));
  assert.equal(res.ok, true, res.log);
  if (expectedEngine()) assert.equal(res.engine, expectedEngine());
  const r = res.recorded as {
    backend: string; dataset: string; twoTowerHr: number; popularHr: number; flatSameTop10: number | null;
    hnswlibRecallDefault: number | null; hnswlibRecallNarrow: number | null; measurements: Measurement[];
    liveCount: number; liveSeenRecommended: number; coldStart: { hitRate: number; baseRate: number; lift: number };
    "exercise:04-smallest-ef": { passed: boolean }; "exercise:04-exact-agrees": { passed: boolean };
    "exercise:04-key-item-feature": { passed: boolean };
  };
  assert.equal(r.backend, "wasm");
  assert.equal(r.dataset, "synthetic");
  // The model learned (measured 0.32 vs MostPopular 0.03 on the quick world).
  assert.ok(r.twoTowerHr > 2 * r.popularHr && r.twoTowerHr > 0.15, `Two-Tower HR@10 ${r.twoTowerHr} vs MostPopular ${r.popularHr}`);
  // FAISS Flat returns the exact index's top-10 (FAISS is built in CI and here).
  assert.equal(r.flatSameTop10, 1);
  // hnswlib at its default efSearch 128, on the real users' vectors: measured 1.000; floor with margin.
  assert.ok(r.hnswlibRecallDefault !== null && r.hnswlibRecallDefault >= 0.95, `hnswlib recall@10 ${r.hnswlibRecallDefault}`);
  // Exact kinds have recall 1; approximate ones gain recall with width (each kind's widest >= its narrowest).
  for (const m of r.measurements.filter((x) => x.isExact)) assert.equal(m.recall, 1, `${m.kind}`);
  for (const kind of ["faiss-ivf", "faiss-hnsw", "hnswlib"]) {
    const own = r.measurements.filter((m) => m.kind === kind);
    assert.ok(own.length >= 2, `${kind} measured at ${own.length} widths`);
    assert.ok(own[own.length - 1]!.recall >= own[0]!.recall, `${kind}: ${JSON.stringify(own)}`);
  }
  assert.ok(r.measurements.some((m) => m.kind === "pgvector" && m.recall >= 0.9), "pgvector measured");
  assert.ok(r.measurements.every((m) => m.msPerQuery > 0));
  // Live serving: ten recommendations, none already seen.
  assert.equal(r.liveCount, 10);
  assert.equal(r.liveSeenRecommended, 0);
  // Cold start from features: the audience of new items beats random users (measured lift 2.1).
  assert.ok(r.coldStart.lift > 1.3, JSON.stringify(r.coldStart));
  // The committed exercises are unsolved.
  assert.equal(r["exercise:04-smallest-ef"].passed, false);
  assert.equal(r["exercise:04-exact-agrees"].passed, false);
  assert.equal(r["exercise:04-key-item-feature"].passed, false);

  const executed = JSON.parse(fs.readFileSync(res.output, "utf8")) as { cells: { metadata?: { tags?: string[] }; outputs?: Output[] }[] };
  const key = executed.cells.filter((c) => c.metadata?.tags?.includes("key-plot"));
  assert.equal(key.length, 1);
  assert.ok(key[0]!.outputs!.some((o) => o.data?.["image/png"]), "the key plot has a PNG");
  const text = executed.cells.flatMap((c) => c.outputs ?? []).flatMap((o) => (o.output_type === "stream" ? o.text ?? [] : [])).join("");
  assert.match(text, /dataset: synthetic/);
  assert.match(text, /tensors left: 0/);
});
