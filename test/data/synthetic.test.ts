import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { loadCsv } from "../../lib/data/csv";
import type { FeatureTable, NumericFeature, SetFeature, TextFeature } from "../../lib/data/features";
import { writeDatasetCsv } from "../../lib/data/snapshot";
import { leaveOneOut } from "../../lib/data/splits";
import { SYNTHETIC_GENRES, generateSynthetic, type SyntheticDataset } from "../../lib/data/synthetic";
import { Rng } from "../../lib/random";
import { bytes, tmpDir } from "./helpers";

const SMALL = { numUsers: 150, numItems: 200, interactionsPerUser: 15 };

function fingerprint(d: SyntheticDataset): Buffer {
  const x = d.interactions;
  const parts = [bytes(x.users), bytes(x.items), bytes(x.ratings), bytes(x.timestamps)];
  const table = (t: FeatureTable | undefined) => {
    for (const c of Object.values(t!.columns)) {
      if (c.kind === "numeric") parts.push(bytes(c.values));
      else if (c.kind === "categorical") parts.push(bytes(c.codes), Buffer.from(c.vocabulary.join("\n")));
      else if (c.kind === "set") parts.push(bytes(c.indptr), bytes(c.indices), Buffer.from(c.vocabulary.join("\n")));
      else parts.push(Buffer.from(c.values.join("\n")));
    }
  };
  table(d.userFeatures);
  table(d.itemFeatures);
  const us = Int32Array.from({ length: 500 }, (_, k) => k % d.interactions.numUsers);
  const is = Int32Array.from({ length: 500 }, (_, k) => (k * 7) % d.interactions.numItems);
  parts.push(bytes(d.truth.score(us, is)));
  return Buffer.concat(parts);
}

test("same seed: byte-identical interactions, features and truth; another seed: different", () => {
  const a = generateSynthetic({ ...SMALL, seed: 5 });
  const b = generateSynthetic({ ...SMALL, seed: 5 });
  const c = generateSynthetic({ ...SMALL, seed: 6 });
  assert.ok(fingerprint(a).equals(fingerprint(b)));
  assert.ok(!bytes(a.interactions.items).equals(bytes(c.interactions.items)));
  assert.ok(!fingerprint(a).equals(fingerprint(c)));
});

test("defaults: 1000 users x 1000 items, about 50k interactions, MovieLens-shaped features aligned with the indices", () => {
  const d = generateSynthetic();
  const x = d.interactions;
  assert.equal(x.numUsers, 1000);
  assert.equal(x.numItems, 1000);
  assert.ok(x.length > 40_000 && x.length < 60_000, `${x.length} interactions`);
  assert.deepEqual(d.options, { numUsers: 1000, numItems: 1000, interactionsPerUser: 50, rank: 8, nonlinearity: 0.5, noise: 0.5, popularity: 1, seed: 42 });
  assert.equal(d.userFeatures!.size, 1000);
  assert.equal(d.itemFeatures!.size, 1000);
  const counts = x.userCounts();
  assert.ok(Math.min(...counts) >= 5);
  // Rows are a time-ordered log.
  for (let r = 1; r < x.length; r++) assert.ok(x.timestamps![r]! >= x.timestamps![r - 1]!);
  const ages = (d.userFeatures!.columns.age as NumericFeature).values;
  assert.ok(Math.min(...ages) >= 15 && Math.max(...ages) <= 70);
  const genres = d.itemFeatures!.columns.genres as SetFeature;
  for (let i = 0; i < 1000; i++) {
    const g = genres.indptr[i + 1]! - genres.indptr[i]!;
    assert.ok(g >= 1 && g <= 3);
    assert.ok(Array.from(genres.indices.subarray(genres.indptr[i]!, genres.indptr[i + 1]!)).includes(d.truth.params.primaryGenre[i]!));
  }
  assert.equal(genres.vocabulary.length, SYNTHETIC_GENRES.length);
  const titles = (d.itemFeatures!.columns.title as TextFeature).values;
  assert.match(titles[0]!, new RegExp(`\\(${(d.itemFeatures!.columns.year as NumericFeature).values[0]}\\)$`));
  const ratings = new Set(x.ratings);
  assert.deepEqual([...ratings].sort(), [1, 2, 3, 4, 5]);
});

test("the truth: score = 2 * preference + ln popularity, preference mixes standardised linear and non-linear parts", () => {
  const d = generateSynthetic({ ...SMALL, nonlinearity: 0.3 });
  const rng = new Rng(1);
  const us = Int32Array.from({ length: 20000 }, () => rng.int(SMALL.numUsers));
  const is = Int32Array.from({ length: 20000 }, () => rng.int(SMALL.numItems));
  const lin = d.truth.linear(us, is);
  const non = d.truth.nonlinear(us, is);
  const pref = d.truth.preference(us, is);
  const score = d.truth.score(us, is);
  const moments = (a: Float32Array) => {
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    return { mean, sd: Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length) };
  };
  for (const part of [lin, non]) {
    const m = moments(part);
    assert.ok(Math.abs(m.mean) < 0.05 && Math.abs(m.sd - 1) < 0.05, JSON.stringify(m));
  }
  for (let k = 0; k < 100; k++) {
    assert.ok(Math.abs(pref[k]! - (Math.sqrt(0.7) * lin[k]! + Math.sqrt(0.3) * non[k]!)) < 1e-5);
    assert.ok(Math.abs(score[k]! - (2 * pref[k]! + d.truth.params.logPopularity[is[k]!]!)) < 1e-5);
  }
  const matrix = d.truth.scoreMatrix(Int32Array.of(3, 0));
  assert.equal(matrix.length, 2 * SMALL.numItems);
  assert.equal(matrix[SMALL.numItems + 17], d.truth.score(Int32Array.of(0), Int32Array.of(17))[0]);
  const linearWorld = generateSynthetic({ ...SMALL, nonlinearity: 0 });
  assert.deepEqual(linearWorld.truth.preference(us, is), linearWorld.truth.linear(us, is));
  assert.throws(() => d.truth.score(Int32Array.of(0), Int32Array.of(SMALL.numItems)), /pair 0 \(user 0, item 200\) is outside 150 x 200/);
});

/** Share of a matrix's squared norm captured by its best rank-r approximation (subspace iteration). */
function capturedByRank(A: Float64Array, n: number, m: number, r: number): number {
  const rng = new Rng(1);
  let Q = Float64Array.from({ length: n * r }, () => rng.normal());
  const B = new Float64Array(m * r);
  for (let it = 0; ; it++) {
    for (let j = 0; j < r; j++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let k = 0; k < j; k++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += Q[i * r + j]! * Q[i * r + k]!;
          for (let i = 0; i < n; i++) Q[i * r + j]! -= dot * Q[i * r + k]!;
        }
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += Q[i * r + j]! ** 2;
      for (let i = 0; i < n; i++) Q[i * r + j]! /= Math.sqrt(norm);
    }
    B.fill(0);
    for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) for (let j = 0; j < r; j++) B[c * r + j]! += A[i * m + c]! * Q[i * r + j]!;
    if (it === 25) break;
    Q = new Float64Array(n * r);
    for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) for (let j = 0; j < r; j++) Q[i * r + j]! += A[i * m + c]! * B[c * r + j]!;
  }
  return B.reduce((s, v) => s + v * v, 0) / A.reduce((s, v) => s + v * v, 0);
}

test("the linear part has rank `rank`; the non-linear part is far from any rank-`rank` dot product", () => {
  const d = generateSynthetic({ numUsers: 300, numItems: 300, interactionsPerUser: 10 });
  const n = 300;
  const us = Int32Array.from({ length: n * n }, (_, k) => Math.floor(k / n));
  const is = Int32Array.from({ length: n * n }, (_, k) => k % n);
  const linear = capturedByRank(Float64Array.from(d.truth.linear(us, is)), n, n, 8);
  const nonlinear = capturedByRank(Float64Array.from(d.truth.nonlinear(us, is)), n, n, 8);
  assert.ok(linear > 0.999, `rank 8 captures ${linear} of the linear part`);
  assert.ok(nonlinear < 0.85, `rank 8 captures ${nonlinear} of the non-linear part`);
});

test("interactions follow the truth: the oracle ranks held-out items far better than popularity, which beats chance", () => {
  const d = generateSynthetic({ numUsers: 300, numItems: 400, interactionsPerUser: 30, seed: 3 });
  const { train, test } = leaveOneOut(d.interactions);
  const counts = train.itemCounts();
  const csr = train.csr();
  const hit = (scores: (u: number) => Float32Array | Int32Array) => {
    let hits = 0;
    for (let t = 0; t < test.length; t++) {
      const u = test.users[t]!;
      const s = Float64Array.from(scores(u));
      for (let p = csr.indptr[u]!; p < csr.indptr[u + 1]!; p++) s[csr.indices[p]!] = -Infinity;
      const target = s[test.items[t]!]!;
      let above = 0;
      for (let i = 0; i < s.length; i++) if (s[i]! > target) above++;
      if (above < 10) hits++;
    }
    return hits / test.length;
  };
  const oracle = hit((u) => d.truth.scoreMatrix(Int32Array.of(u)));
  const popularity = hit(() => counts);
  assert.ok(popularity > 2 * (10 / 400), `popularity HR@10 ${popularity}`);
  assert.ok(oracle > 1.5 * popularity, `oracle HR@10 ${oracle} vs popularity ${popularity}`);
});

test("popularity makes item counts heavy-tailed; popularity 0 flattens them", () => {
  const topShare = (popularity: number) => {
    const counts = Array.from(generateSynthetic({ numUsers: 300, numItems: 300, interactionsPerUser: 20, popularity }).interactions.itemCounts()).sort((a, b) => b - a);
    const total = counts.reduce((s, c) => s + c, 0);
    return counts.slice(0, 30).reduce((s, c) => s + c, 0) / total;
  };
  const heavy = topShare(1);
  const flat = topShare(0);
  assert.ok(heavy > 1.5 * flat, `top 10% of items hold ${heavy} of interactions with popularity 1, ${flat} without`);
  assert.ok(flat < 0.2, `without popularity the top 10% hold ${flat}`);
});

test("options are validated, and misspelt ones are refused", () => {
  assert.throws(() => generateSynthetic({ nonlinearty: 0.5 } as never), /synthetic dataset: unknown option 'nonlinearty'\. Valid options: numUsers, numItems, interactionsPerUser, rank, nonlinearity, noise, popularity, seed/);
  assert.throws(() => generateSynthetic({ nonlinearity: 1.5 }), /nonlinearity must be in \[0, 1\], got 1\.5/);
  assert.throws(() => generateSynthetic({ numItems: 20, interactionsPerUser: 15 }), /interactionsPerUser must be between 1 and numItems \/ 2 = 10, got 15/);
  assert.throws(() => generateSynthetic({ numUsers: 2.5 }), /numUsers must be an integer >= 1, got 2\.5/);
});

// The committed snapshot under datasets/synthetic/ (regenerate with RECSYS_UPDATE_SNAPSHOT=1 after changing the generator).
const SNAPSHOT_DIR = path.join(__dirname, "..", "..", "datasets", "synthetic");
const SNAPSHOT_OPTIONS = { numUsers: 100, numItems: 200, interactionsPerUser: 20, seed: 42 };

test("the committed CSV snapshot equals a fresh generation byte for byte and loads back with loadCsv", () => {
  const d = generateSynthetic(SNAPSHOT_OPTIONS);
  if (process.env.RECSYS_UPDATE_SNAPSHOT) writeDatasetCsv(d, SNAPSHOT_DIR);
  const fresh = tmpDir();
  const files = writeDatasetCsv(d, fresh).map((f) => path.basename(f));
  assert.deepEqual(files, ["ratings.csv", "users.csv", "items.csv"]);
  for (const f of files) {
    assert.ok(fs.readFileSync(path.join(fresh, f)).equals(fs.readFileSync(path.join(SNAPSHOT_DIR, f))), `${f} differs from datasets/synthetic/${f}; regenerate with RECSYS_UPDATE_SNAPSHOT=1 if the change is intended`);
  }
  const back = loadCsv(path.join(SNAPSHOT_DIR, "ratings.csv"), { user: "userId", item: "itemId", rating: "rating", timestamp: "timestamp" }).interactions;
  assert.equal(back.length, d.interactions.length);
  for (let r = 0; r < back.length; r++) {
    assert.equal(back.userIds[back.users[r]!], d.interactions.userIds[d.interactions.users[r]!]);
    assert.equal(back.itemIds[back.items[r]!], d.interactions.itemIds[d.interactions.items[r]!]);
  }
  assert.deepEqual(back.ratings, d.interactions.ratings);
  assert.deepEqual(back.timestamps, d.interactions.timestamps);
});
