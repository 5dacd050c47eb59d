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
