/**
 * The contract every VectorIndex keeps, as one suite each implementation's test runs against a brute-force
 * reference: exact indexes give the true top-k (ties aside), approximate ones reach a recall floor; excluded ids
 * never come back; removed ids are gone; save/load round-trips; bad input gets a clear error.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadIndex, type VectorIndex } from "../../lib/retrieval";
import { Rng } from "../../lib/random";

/** n clustered vectors (a mixture of Gaussians, as trained embeddings look), row-major. */
export function clustered(n: number, dim: number, seed: number, clusters = 20): Float32Array {
  const rng = new Rng(seed);
  const centres = Float32Array.from({ length: clusters * dim }, () => rng.normal());
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(clusters);
    for (let d = 0; d < dim; d++) out[i * dim + d] = centres[c * dim + d]! + 0.5 * rng.normal();
  }
  return out;
}

/** The true top-k by inner product (ties: lower position), skipping excluded ids. */
export function bruteForce(ids: ArrayLike<number>, vectors: Float32Array, queries: Float32Array, dim: number, k: number, exclude?: readonly (ArrayLike<number> | null)[]): number[][] {
  const n = ids.length;
  const out: number[][] = [];
  for (let q = 0; q < queries.length / dim; q++) {
    const skip = new Set(Array.from(exclude?.[q] ?? []));
    const scored: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      if (skip.has(ids[i]!)) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += queries[q * dim + d]! * vectors[i * dim + d]!;
      scored.push([s, i]);
    }
    scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    out.push(scored.slice(0, k).map(([, i]) => ids[i]!));
  }
  return out;
}

export interface ContractOptions {
  /** Exact kinds must return the brute-force top-k; approximate ones must reach `recall` (default 0.9). */
  exact: boolean;
  recall?: number;
  /** Items in the recall check (default 3000). */
  n?: number;
  dim?: number;
  /** Reopen settings for loadIndex (e.g. a search width). */
  overrides?: Record<string, unknown>;
}

export function recallAt(got: Int32Array, k: number, want: number[][]): number {
  let hits = 0;
  let total = 0;
  want.forEach((row, q) => {
    const mine = new Set(Array.from(got.subarray(q * k, (q + 1) * k)));
    for (const id of row) hits += mine.has(id) ? 1 : 0;
    total += row.length;
  });
  return hits / total;
}

/** Runs the whole contract against indexes built by `make(dim)`. */
export async function indexContract(make: (dim: number) => Promise<VectorIndex>, options: ContractOptions): Promise<void> {
  const dim = options.dim ?? 16;
  const n = options.n ?? 3000;
  const k = 10;
  // Ids that are not positions: every third integer from 7.
  const ids = Int32Array.from({ length: n }, (_, i) => 7 + 3 * i);
  const vectors = clustered(n, dim, 1);
  const queries = clustered(50, dim, 2);
  const index = await make(dim);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `index-${index.kind}-`));
  try {
    assert.equal(index.dim, dim);
    assert.equal(index.isExact, options.exact);
    await index.add(ids.subarray(0, n / 2), vectors.subarray(0, (n / 2) * dim));
    await index.add(ids.subarray(n / 2), vectors.subarray((n / 2) * dim));
    assert.equal(index.size(), n);

    // Top-k against brute force.
    const want = bruteForce(ids, vectors, queries, dim, k);
    const got = await index.search(queries, k);
    assert.equal(got.ids.length, 50 * k);
    const recall = recallAt(got.ids, k, want);
    if (options.exact) {
      assert.equal(recall, 1, `${index.kind}: exact top-k recall ${recall}`);
      // Scores are the inner products, best first.
      for (let q = 0; q < 50; q++) {
        for (let r = 0; r < k; r++) {
          const id = got.ids[q * k + r]!;
          const i = (id - 7) / 3;
          let s = 0;
          for (let d = 0; d < dim; d++) s += queries[q * dim + d]! * vectors[i * dim + d]!;
          assert.ok(Math.abs(got.scores[q * k + r]! - s) <= 1e-3 * (1 + Math.abs(s)), `${index.kind}: score of ${id} is ${got.scores[q * k + r]}, inner product ${s}`);
          if (r > 0) assert.ok(got.scores[q * k + r]! <= got.scores[q * k + r - 1]! + 1e-6, "best first");
        }
      }
    } else {
      assert.ok(recall >= (options.recall ?? 0.9), `${index.kind}: recall@${k} ${recall} is below ${options.recall ?? 0.9}`);
    }

    // Excluded ids never come back (each query excludes its own true top 5 and some random ids).
    const rng = new Rng(3);
    const exclude = want.map((row) => [...row.slice(0, 5), ...Array.from({ length: 20 }, () => ids[rng.int(n)]!)]);
    const ex = await index.search(queries, k, { exclude });
    for (let q = 0; q < 50; q++) {
      const banned = new Set(exclude[q]);
      for (let r = 0; r < k; r++) assert.ok(!banned.has(ex.ids[q * k + r]!), `${index.kind}: query ${q} returned excluded id ${ex.ids[q * k + r]}`);
      assert.ok(ex.ids[q * k + k - 1]! >= 0, `${index.kind}: exclusions left fewer than k results`);
    }
    if (options.exact) assert.equal(recallAt(ex.ids, k, bruteForce(ids, vectors, queries, dim, k, exclude)), 1);

    // Removed ids are gone.
    const removed = want.slice(0, 10).map((row) => row[0]!);
    const unique = [...new Set(removed)];
    await index.remove(unique);
    assert.equal(index.size(), n - unique.length);
    const after = await index.search(queries, k);
    const gone = new Set(unique);
    for (const id of after.ids) assert.ok(!gone.has(id), `${index.kind}: removed id ${id} came back`);
    await assert.rejects(index.remove([unique[0]!]), /not in the index/);

    // Save (into a folder whose parent does not exist yet, then over it) and reopen: the same results.
    const saved = path.join(dir, "nested", "index");
    await index.save(saved);
    await index.save(saved);
    const again = await loadIndex(saved, options.overrides ?? {});
    assert.equal(again.kind, index.kind);
    assert.equal(again.size(), index.size());
    const reopened = await again.search(queries, k);
    if (options.exact) assert.deepEqual(Array.from(reopened.ids), Array.from(after.ids));
    else assert.ok(recallAt(reopened.ids, k, after.ids.length ? toRows(after.ids, k) : []) >= 0.95, `${index.kind}: reopened index disagrees with the saved one`);
    await again.close();

    // Clear errors.
    await assert.rejects(index.add([ids[n - 1]!], vectors.subarray(0, dim)), /already in the index|not in the index|given twice/);
    await assert.rejects(index.add([1], new Float32Array(dim + 1)), /need 1 x \d+ = \d+ values/);
    await assert.rejects(index.search(new Float32Array(dim + 1), k), /whole rows of \d+ values/);
    await assert.rejects(index.search(queries, 0), /k must be a positive integer/);
  } finally {
    await index.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function toRows(ids: Int32Array, k: number): number[][] {
  return Array.from({ length: ids.length / k }, (_, q) => Array.from(ids.subarray(q * k, (q + 1) * k)).filter((x) => x >= 0));
}
