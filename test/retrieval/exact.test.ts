import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend";
import { createIndex, describeIndexKinds } from "../../lib/retrieval";
import { indexContract } from "./contract";

test("the exact index keeps the index contract: true top-k and scores, exclusions, removal, save/load, errors", async () => {
  await initBackend({ backend: "wasm" });
  await indexContract((dim) => createIndex("exact", { dim }), { exact: true });
});

test("createIndex names unknown kinds and options", async () => {
  await assert.rejects(createIndex("annoy", { dim: 4 }), /unknown index kind 'annoy'. Kinds: exact/);
  await assert.rejects(createIndex("exact", { dim: 0 }), /dim must be a positive integer, got 0/);
  await assert.rejects(createIndex("exact", { dim: 4, efSearch: 3 }), /unknown option 'efSearch'/);
  assert.ok(describeIndexKinds().some((k) => k.kind === "exact" && k.status === "available"));
});

test("the exact index over many chunks and query blocks equals sorting every score (ties to the lower position)", async () => {
  await initBackend({ backend: "wasm" });
  const dim = 4;
  const items = 20000; // more than two item chunks
  const queries = 300; // more than one query block
  // Small integers: many exactly tied scores, computed exactly in float32.
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 5 - 2;
  const vectors = Float32Array.from({ length: items * dim }, next);
  const q = Float32Array.from({ length: queries * dim }, next);
  const ids = Int32Array.from({ length: items }, (_, i) => 1000 + i);
  const index = await createIndex("exact", { dim });
  await index.add(ids, vectors);
  const exclude = Array.from({ length: queries }, (_, r) => (r % 3 === 0 ? Int32Array.from([1000 + r, 1001 + r]) : new Int32Array(0)));
  const k = 10;
  const got = await index.search(q, k, { exclude });
  for (let r = 0; r < queries; r++) {
    const skip = new Set(exclude[r]);
    const order = Array.from({ length: items }, (_, i) => i)
      .filter((i) => !skip.has(ids[i]!))
      .map((i) => {
        let s = 0;
        for (let d = 0; d < dim; d++) s += q[r * dim + d]! * vectors[i * dim + d]!;
        return [s, i] as const;
      })
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, k);
    assert.deepEqual(Array.from(got.ids.subarray(r * k, (r + 1) * k)), order.map(([, i]) => ids[i]!), `query ${r}`);
    assert.deepEqual(Array.from(got.scores.subarray(r * k, (r + 1) * k)), order.map(([s]) => s), `query ${r} scores`);
  }
  await index.close();
});
