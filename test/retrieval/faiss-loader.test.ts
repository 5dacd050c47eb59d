import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFaiss } from "../../lib/retrieval/faiss-loader";

test("faiss-node loads (required in CI) and answers an inner-product search exactly", (t) => {
  const faiss = loadFaiss();
  if (!faiss.module) {
    // Optional on a user's machine; CI installs libfaiss-dev and sets RECSYS_REQUIRE_FAISS=1.
    assert.notEqual(process.env.RECSYS_REQUIRE_FAISS, "1", faiss.reason);
    t.skip(faiss.reason);
    return;
  }
  const index = new faiss.module.IndexFlatIP(2);
  index.add([1, 0, 0, 1, 0.6, 0.8]);
  const { labels, distances } = index.search([0.8, 0.6], 2);
  // Dot products with the query (0.8, 0.6): 0.8, 0.6, 0.96 -> best are item 2 then item 0.
  assert.deepEqual(labels, [2, 0]);
  assert.ok(Math.abs(distances[0]! - 0.96) < 1e-6 && Math.abs(distances[1]! - 0.8) < 1e-6);
});
