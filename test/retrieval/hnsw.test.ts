import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createIndex, describeIndexKinds, loadIndex, type VectorIndex } from "../../lib/retrieval";
import { HNSWLIB_DEFAULTS, loadHnswlib } from "../../lib/retrieval/hnsw";
import { Rng } from "../../lib/random";
import { bruteForce, clustered, indexContract, recallAt } from "./contract";

/** hnswlib-node is optional (compiled at install); a machine without a compiler skips, CI can require it. */
function available(t: TestContext): boolean {
  const { module, reason } = loadHnswlib();
  if (module) return true;
  assert.notEqual(process.env.RECSYS_REQUIRE_HNSWLIB, "1", reason);
  t.skip(reason);
  return false;
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "hnswlib-test-"));
}

/**
 * Items and queries drawn from one mixture (n + queries rows of clustered, split): queries that look like the items,
 * as in a trained model where user vectors point at item clusters. (Queries from another mixture, as the contract's
 * are, make inner-product graphs work much harder; the contract covers that case at n = 3000.)
 */
function mixture(n: number, queries: number, dim: number, seed: number): { vectors: Float32Array; queries: Float32Array } {
  const all = clustered(n + queries, dim, seed);
  return { vectors: all.slice(0, n * dim), queries: all.slice(n * dim) };
}

/** n items with ids 100, 101, ... and their vectors, added to a fresh index. */
async function filled(n: number, dim: number, options: Record<string, unknown> = {}, vectors = clustered(n, dim, 5)): Promise<{ index: VectorIndex; ids: Int32Array; vectors: Float32Array }> {
  const index = await createIndex("hnswlib", { dim, ...options });
  const ids = Int32Array.from({ length: n }, (_, i) => 100 + i);
  await index.add(ids, vectors);
  return { index, ids, vectors };
}

test("the hnswlib index keeps the index contract with its defaults (recall@10 >= 0.95 at n = 3000)", async (t) => {
  if (!available(t)) return;
  await indexContract((dim) => createIndex("hnswlib", { dim }), { exact: false, recall: 0.95 });
  assert.ok(describeIndexKinds().some((k) => k.kind === "hnswlib" && k.status === "available"));
});

test("reopening with a larger efSearch raises recall; without overrides the saved width is kept", async (t) => {
  if (!available(t)) return;
  const dim = 32;
  // A deliberately weak graph and width so that recall has room to grow.
  const data = mixture(4000, 100, dim, 6);
  const { index, ids, vectors } = await filled(4000, dim, { M: 4, efConstruction: 16, efSearch: 1 }, data.vectors);
  const queries = data.queries;
  const want = bruteForce(ids, vectors, queries, dim, 10);
  const narrow = recallAt((await index.search(queries, 10)).ids, 10, want);
  const dir = tmpDir();
  try {
    await index.save(dir);
    const same = await loadIndex(dir);
    assert.equal(recallAt((await same.search(queries, 10)).ids, 10, want), narrow, "reopened without overrides: same width, same answers");
    const wide = await loadIndex(dir, { efSearch: 256 });
    const wider = recallAt((await wide.search(queries, 10)).ids, 10, want);
    // Here 0.60 -> 0.91; margins leave room for another platform's level generator (std::default_random_engine).
    assert.ok(wider > narrow + 0.2 && wider >= 0.85, `efSearch 256 recall ${wider} vs efSearch 1 recall ${narrow}`);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8"));
    assert.deepEqual(manifest.settings, { M: 4, efConstruction: 16, efSearch: 1, seed: HNSWLIB_DEFAULTS.seed });
    await assert.rejects(loadIndex(dir, { M: 32 }), /'M' cannot change on reopening .* only efSearch can. Rebuild with createIndex/);
    await assert.rejects(loadIndex(dir, { efSearch: 0 }), /efSearch must be an integer in \[1, 65536\], got 0/);
    await Promise.all([same.close(), wide.close()]);
  } finally {
    await index.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("removal: removed ids never come back, slots are reused, removing everything leaves an empty but usable index", async (t) => {
  if (!available(t)) return;
  const dim = 16;
  const n = 2000;
  const data = mixture(n, 50, dim, 7);
  const { index, ids, vectors } = await filled(n, dim, {}, data.vectors);
  const queries = data.queries;
  const dir = tmpDir();
  try {
    // Remove every other item, then the rest still answer with a good recall and no removed id.
    const gone = ids.filter((_, i) => i % 2 === 0);
    await index.remove(gone);
    assert.equal(index.size(), n / 2);
    const keptIds = ids.filter((_, i) => i % 2 === 1);
    const kept = new Float32Array(keptIds.length * dim);
    keptIds.forEach((_, j) => kept.set(vectors.subarray((2 * j + 1) * dim, (2 * j + 2) * dim), j * dim));
    const got = await index.search(queries, 10);
    const removed = new Set(gone);
    for (const id of got.ids) assert.ok(id >= 0 && !removed.has(id), `removed or missing id ${id}`);
    assert.ok(recallAt(got.ids, 10, bruteForce(keptIds, kept, queries, dim, 10)) >= 0.95);

    // Removed ids can be added again (with new vectors); they fill the freed slots, so the saved graph does not grow.
    const fresh = mixture(gone.length, 0, dim, 8).vectors;
    await index.add(gone, fresh);
    assert.equal(index.size(), n);
    await index.save(dir);
    assert.equal(fs.statSync(path.join(dir, "labels.bin")).size, n * 4, "one label per slot, slots reused");
    const allIds = Int32Array.from([...keptIds, ...gone]);
    const allVectors = new Float32Array(n * dim);
    allVectors.set(kept);
    allVectors.set(fresh, kept.length);
    const reAdded = recallAt((await index.search(queries, 10)).ids, 10, bruteForce(allIds, allVectors, queries, dim, 10));
    assert.ok(reAdded >= 0.95, `recall@10 after re-adding into freed slots: ${reAdded}`);

    // Removing everything: searches return padding; the index still takes new items.
    await index.remove(ids);
    assert.equal(index.size(), 0);
    const empty = await index.search(queries, 5);
    assert.ok(empty.ids.every((id) => id === -1) && empty.scores.every(Number.isNaN));
    await index.add([1, 2], vectors.subarray(0, 2 * dim));
    assert.deepEqual(Array.from((await index.search(vectors.subarray(0, dim), 5)).ids).slice(2), [-1, -1, -1]);
    await assert.rejects(index.remove([3]), /HnswlibIndex.remove: id 3 is not in the index/);
  } finally {
    await index.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("unnormalised inner product: items of very different norms keep recall, scores are the true inner products", async (t) => {
  if (!available(t)) return;
  const dim = 16;
  const n = 3000;
  // Norms spread by a factor exp(N(0, 1)) (popular items often get long vectors): about 0.1x to 20x.
  const vectors = clustered(n, dim, 9);
  const rng = new Rng(10);
  for (let i = 0; i < n; i++) {
    const s = Math.exp(rng.normal());
    for (let d = 0; d < dim; d++) vectors[i * dim + d]! *= s;
  }
  const { index, ids } = await filled(n, dim, {}, vectors);
  try {
    const queries = clustered(50, dim, 11);
    const want = bruteForce(ids, vectors, queries, dim, 10);
    const got = await index.search(queries, 10);
    const recall = recallAt(got.ids, 10, want);
    assert.ok(recall >= 0.95, `recall@10 ${recall}`);
    for (let q = 0; q < 50; q++) {
      for (let r = 0; r < 10; r++) {
        const i = got.ids[q * 10 + r]! - 100;
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += queries[q * dim + d]! * vectors[i * dim + d]!;
        const score = got.scores[q * 10 + r]!;
        assert.ok(Math.abs(score - dot) <= 1e-4 * (1 + Math.abs(dot)), `score ${score}, inner product ${dot}`);
        if (r > 0) assert.ok(score <= got.scores[q * 10 + r - 1]! + 1e-6, "best first");
      }
    }
  } finally {
    await index.close();
  }
});

test("deep exclusions: excluding each query's 300 best items still fills k results from the rest", async (t) => {
  if (!available(t)) return;
  const dim = 16;
  const data = mixture(3000, 20, dim, 12);
  const { index, ids, vectors } = await filled(3000, dim, {}, data.vectors);
  try {
    const queries = data.queries;
    const exclude = bruteForce(ids, vectors, queries, dim, 300);
    const got = await index.search(queries, 10, { exclude });
    for (let q = 0; q < 20; q++) {
      const banned = new Set(exclude[q]);
      for (let r = 0; r < 10; r++) assert.ok(got.ids[q * 10 + r]! >= 0 && !banned.has(got.ids[q * 10 + r]!), `query ${q} rank ${r}: ${got.ids[q * 10 + r]}`);
    }
    const recall = recallAt(got.ids, 10, bruteForce(ids, vectors, queries, dim, 10, exclude));
    // Those 10 come from ranks ~300-310 of an approximate list, whose tail is less exact than its head (0.87 here).
    assert.ok(recall >= 0.8, `recall@10 among the items left: ${recall}`);
  } finally {
    await index.close();
  }
});

test("createIndex('hnswlib') names bad options and the fix", async (t) => {
  if (!available(t)) return;
  await assert.rejects(createIndex("hnswlib", { dim: 4, nlist: 3 }), /createIndex\("hnswlib"\): unknown option 'nlist'; hnswlib takes M, efConstruction, efSearch, seed/);
  await assert.rejects(createIndex("hnswlib", { dim: 4, M: 1 }), /M must be an integer in \[2, 256\], got 1/);
  await assert.rejects(createIndex("hnswlib", { dim: 4, efSearch: 2.5 }), /efSearch must be an integer/);
  const index = await createIndex("hnswlib", { dim: 4 });
  await index.close();
  await assert.rejects(index.search(new Float32Array(4), 1), /the index is closed/);
});
