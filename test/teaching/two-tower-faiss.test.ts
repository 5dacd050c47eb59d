// lib/teaching/two-tower-faiss: notebook 04's helpers, against hand-worked fixtures and brute force.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../lib/backend";
import { Interactions } from "../../lib/data/interactions";
import { generateSynthetic } from "../../lib/data/synthetic";
import { leaveOneOut } from "../../lib/data/splits";
import type { FeatureTable } from "../../lib/data/features";
import { TwoTower } from "../../lib/models/two-tower/model";
import { createIndex, describeIndexKinds } from "../../lib/retrieval";
import { buildCatalog } from "../../lib/serving/catalog";
import { Rng } from "../../lib/random";
import { audienceHits, audienceOf, describeRow, holdOutItems, measureIndex, recallAt, recommendLive, sameTopK, sweepIndex } from "../../lib/teaching/two-tower-faiss";

const hnswlib = describeIndexKinds().find((k) => k.kind === "hnswlib")!.status === "available";

function randomVectors(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * dim }, () => rng.normal());
}

async function exactOver(items: Float32Array, dim: number) {
  const index = await createIndex("exact", { dim });
  await index.add(Int32Array.from({ length: items.length / dim }, (_, i) => i), items);
  return index;
}

test("holdOutItems removes every row of the new items and keeps the index space", () => {
  const all = new Interactions({ users: Int32Array.of(0, 0, 1, 1, 2), items: Int32Array.of(0, 1, 1, 2, 3), numUsers: 3, numItems: 4 });
  const { train, newItems } = holdOutItems(all, (i) => i === 1);
  assert.deepEqual(Array.from(newItems), [1]);
  assert.deepEqual(Array.from(train.items), [0, 2, 3]);
  assert.deepEqual(Array.from(train.users), [0, 1, 2]);
  assert.equal(train.numItems, 4);
  assert.throws(() => holdOutItems(all, () => false), /picks 0 of 4 items/);
  assert.throws(() => holdOutItems(all, () => true), /picks 4 of 4 items/);
});

test("measureIndex and sameTopK: an exact index against itself has recall 1 and the same top-k; other vectors do not", async () => {
  await initBackend({ backend: "wasm" });
  const dim = 8;
  const items = randomVectors(200, dim, 1);
  const queries = randomVectors(20, dim, 2);
  const exact = await exactOver(items, dim);
  const other = await exactOver(randomVectors(200, dim, 3), dim);
  const m = await measureIndex(exact, exact, queries, { latencyQueries: 5 });
  assert.equal(m.recall, 1);
  assert.ok(m.msPerQuery > 0);
  assert.equal(await sameTopK(exact, exact, queries, 10), 1);
  assert.ok((await sameTopK(other, exact, queries, 10)) < 0.5);
  await exact.close();
  await other.close();
});

test("sweepIndex measures one point per search width (recall against exact), and one for a kind without widths", async (t) => {
  await initBackend({ backend: "wasm" });
  const dim = 8;
  const items = randomVectors(500, dim, 4);
  const queries = randomVectors(30, dim, 5);
  const exact = await exactOver(items, dim);
  const plain = await sweepIndex("exact", { items, dim, exact, queries, latencyQueries: 5 });
  assert.equal(plain.length, 1);
  assert.deepEqual([plain[0]!.kind, plain[0]!.width, plain[0]!.recall, plain[0]!.isExact], ["exact", "", 1, true]);
  if (!hnswlib) {
    t.diagnostic("hnswlib not available: width sweep skipped");
    await exact.close();
    return;
  }
  const points = await sweepIndex("hnswlib", { items, dim, exact, queries, width: "efSearch", values: [1, 200], build: { M: 4, efConstruction: 20 }, latencyQueries: 5 });
  assert.deepEqual(points.map((p) => p.width), ["efSearch 1", "efSearch 200"]);
  assert.ok(points.every((p) => !p.isExact && p.recall > 0 && p.recall <= 1 && p.queriesPerSecond > 0));
  assert.ok(points[1]!.recall >= points[0]!.recall, JSON.stringify(points));
  assert.ok(points[1]!.recall >= 0.98, `wide search recall ${points[1]!.recall}`);
  // One width: built with it directly.
  const one = await sweepIndex("hnswlib", { items, dim, exact, queries, width: "efSearch", values: [200], latencyQueries: 5 });
  assert.equal(one[0]!.width, "efSearch 200");
  // recallAt reopens a saved index with another width.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "teach04-"));
  const h = await createIndex("hnswlib", { dim, M: 4, efConstruction: 20 });
  await h.add(Int32Array.from({ length: 500 }, (_, i) => i), items);
  await h.save(dir);
  await h.close();
  assert.ok((await recallAt(dir, { efSearch: 500 }, exact, queries)) >= 0.98);
  assert.equal(await recallAt(dir, { efSearch: 1 }, exact, queries), points[0]!.recall);
  fs.rmSync(dir, { recursive: true, force: true });
  await exact.close();
});

test("describeRow writes each kind of feature column", () => {
  const table: FeatureTable = {
    size: 2,
    columns: {
      age: { kind: "numeric", values: Float32Array.of(23, 40), description: "" },
      job: { kind: "categorical", codes: Int32Array.of(1, 0), vocabulary: ["artist", "student"], description: "" },
      genres: { kind: "set", indptr: Int32Array.of(0, 2, 3), indices: Int32Array.of(0, 2, 1), vocabulary: ["Drama", "War", "Comedy"], description: "" },
      title: { kind: "text", values: ["A (1990)", "B (2001)"], description: "" },
    },
  };
  assert.equal(describeRow(table, 0), "age 23, job student, genres Drama|Comedy, title A (1990)");
  assert.equal(describeRow(table, 1, ["genres", "missing", "age"]), "genres War, age 40");
  assert.equal(describeRow(undefined, 0), "");
});

test("recommendLive excludes seen items and matches brute force; audienceOf ranks users by the feature-only vector", async () => {
  await initBackend({ backend: "wasm" });
  const ds = generateSynthetic({ numUsers: 60, numItems: 80, interactionsPerUser: 8, seed: 3 });
  const all = ds.interactions.toImplicit();
  const { train: known, newItems } = holdOutItems(all, (i) => i % 10 === 0);
  const split = leaveOneOut(known);
  const model = TwoTower.fromDataset(ds, split.train, { seed: 1 });   // untrained: the helpers only read vectors
  const dim = model.getConfig().dim;
  const items = model.itemVectors();
  const exact = await exactOver(items, dim);
  const catalog = buildCatalog(ds, [split.train, split.test]);
  const user = 5;
  const live = await recommendLive(model, exact, catalog, user, 10);
  const seen = new Set(Array.from(live.seen));
  assert.ok(seen.size > 0);
  assert.equal(live.items.length, 10);
  assert.ok(live.items.every((r) => !seen.has(r.index)));
  const u = model.userVectors(Int32Array.of(user));
  const score = (i: number) => u.reduce((s, x, c) => s + x * items[i * dim + c]!, 0);
  const expected = Array.from({ length: 80 }, (_, i) => i).filter((i) => !seen.has(i)).sort((a, b) => score(b) - score(a)).slice(0, 10);
  assert.deepEqual(live.items.map((r) => r.index), expected);
  assert.deepEqual(live.items.map((r) => r.rank), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(live.items[0]!.title, catalog.titles![expected[0]!]);
  assert.equal(live.items[0]!.item, catalog.itemIds[expected[0]!]);

  const item = newItems[0]!;
  const v = model.itemVectors(Int32Array.of(item), { featuresOnly: true });
  const users = model.userVectors();
  const byUser = Array.from({ length: 60 }, (_, x) => x).map((x) => ({ x, s: v.reduce((s, y, c) => s + y * users[x * dim + c]!, 0) }));
  byUser.sort((a, b) => b.s - a.s || a.x - b.x);
  const aud = audienceOf(model, item, 7);
  assert.deepEqual(Array.from(aud.users), byUser.slice(0, 7).map((e) => e.x));
  assert.ok(Array.from(aud.scores).every((s, k) => Math.abs(s - byUser[k]!.s) < 1e-5));

  // audienceHits over all users: everyone who interacted is in the audience, so hitRate = baseRate and lift 1.
  const hitsAll = audienceHits(model, all, newItems, 60);
  assert.ok(Math.abs(hitsAll.hitRate - hitsAll.baseRate) < 1e-12 && Math.abs(hitsAll.lift - 1) < 1e-9, JSON.stringify(hitsAll));
  const some = audienceHits(model, all, newItems, 5);
  assert.ok(some.hitRate >= 0 && some.hitRate <= 1 && some.baseRate > 0);
  await exact.close();
  model.dispose();
});

test("sweepIndex reports the share of queries an IVF probe left short and an exact scan answered", async (t) => {
  const status = describeIndexKinds().find((k) => k.kind === "faiss-ivf")!.status;
  if (status !== "available") {
    assert.ok(process.env.RECSYS_REQUIRE_FAISS !== "1", status);
    t.skip(`faiss-ivf: ${status}`);
    return;
  }
  await initBackend({ backend: "wasm" });
  const dim = 8;
  const items = randomVectors(200, dim, 6);
  const queries = randomVectors(40, dim, 7);
  const exact = await exactOver(items, dim);
  // 100 cells of ~2 items: one probed cell almost never holds 10, so nearly every query falls back to an exact scan
  // (and is then exact); probing every cell never falls short.
  const points = await sweepIndex("faiss-ivf", { items, dim, exact, queries, width: "nprobe", values: [1, 100], build: { nlist: 100 }, latencyQueries: 5 });
  assert.deepEqual(points.map((p) => p.width), ["nprobe 1", "nprobe 100"]);
  assert.ok(points[0]!.exactShare! > 0.8, `nprobe 1: ${points[0]!.exactShare} of queries answered exactly`);
  assert.equal(points[0]!.recall, 1, "the fallback queries are exact");
  assert.equal(points[1]!.exactShare, 0);
  const plain = await sweepIndex("exact", { items, dim, exact, queries, latencyQueries: 5 });
  assert.equal(plain[0]!.exactShare, null, "an exact index has no fallback to count");
  await exact.close();
});
