import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend";
import { Interactions } from "../../lib/data/interactions";
import { evaluateFullRanking } from "../../lib/eval/full-ranking";
import { Rng } from "../../lib/random";
import { close, DotModel, MatrixModel, pairs } from "./helpers";

/**
 * A world worked by hand: 4 users x 5 items, k = 2.
 *   scores  u0: .9 .8 .7 .6 .5   train {0, 1}   test {3}
 *           u1: .5 .5 .5 .5 .5   train {0}      test {2}    (constant scorer)
 *           u2: .1 .2 .3 .4 .5   train {3, 4}   test {4}    (held-out item 4 also in training)
 *           u3: .3 .3 .3 .3 .3   train {1}      no test     (skipped and counted)
 */
function handWorld() {
  const matrix = Float32Array.from([0.9, 0.8, 0.7, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.1, 0.2, 0.3, 0.4, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3]);
  const model = new MatrixModel(4, 5, matrix);
  const train = pairs(4, 5, [
    [0, 0],
    [0, 1],
    [1, 0],
    [2, 3],
    [2, 4],
    [3, 1],
  ]);
  const test = pairs(4, 5, [
    [0, 3],
    [1, 2],
    [2, 4],
  ]);
  return { model, train, test };
}

test("hand-worked world: ranks, per-user metrics, means, skipped users, lists, coverage and popularity", async () => {
  const { model, train, test } = handWorld();
  const r = await evaluateFullRanking(model, test, { train, k: 2 });
  assert.equal(r.usersEvaluated, 3);
  assert.equal(r.usersSkipped, 1); // u3 has no test item
  assert.deepEqual(Array.from(r.perUser.users), [0, 1, 2]);
  // u0: candidates 2, 3, 4 (0 and 1 masked); item 3 (.6) is below item 2 (.7) -> rank 2.
  // u1: candidates 1..4 all .5; pessimistic -> item 2 after the 3 others -> rank 4 (last).
  // u2: only item 3 is masked (item 4 is the held-out one and stays a candidate); candidates 0, 1, 2, 4 -> rank 1.
  assert.deepEqual(Array.from(r.perUser.rank), [2, 4, 1]);
  assert.deepEqual(Array.from(r.perUser.numCandidates), [3, 4, 4]);
  assert.deepEqual(Array.from(r.perUser.hr), [1, 0, 1]);
  // NDCG@2: 1/log2(3) = 0.630930, 0, 1 -> mean 1.630930 / 3 = 0.543643
  close(r.metrics.ndcg, 0.543643, 1e-6, "ndcg");
  close(r.metrics.hr, 2 / 3, 1e-12, "hr"); // (1 + 0 + 1) / 3
  close(r.metrics.recall, 2 / 3, 1e-12, "recall"); // one held-out item each: recall = HR
  close(r.metrics.precision, 1 / 3, 1e-12, "precision"); // (1/2 + 0 + 1/2) / 3
  close(r.metrics.mrr, 0.5, 1e-12, "mrr"); // (1/2 + 0 + 1) / 3
  close(r.metrics.map, 0.5, 1e-12, "map"); // one relevant item: AP = RR
  // AUC: u0 1 of 2 irrelevant above -> 0.5; u1 3 of 3 above -> 0 (ties count against); u2 none above -> 1. Mean 0.5
  assert.deepEqual(Array.from(r.perUser.auc), [0.5, 0, 1]);
  close(r.metrics.auc, 0.5, 1e-12, "auc");
  // Lists (ties by lower index): u0 [2, 3], u1 [1, 2], u2 [4, 2]. Coverage {1, 2, 3, 4} / 5 = 0.8.
  assert.deepEqual(Array.from(r.lists!), [2, 3, 1, 2, 4, 2]);
  assert.equal(r.metrics.coverage, 0.8);
  // Training popularity: item 0: 2, item 1: 2, item 2: 0, item 3: 1, item 4: 1.
  // List popularity: u0 (0 + 1)/2 = 0.5, u1 (2 + 0)/2 = 1, u2 (1 + 0)/2 = 0.5; mean 2/3.
  assert.deepEqual(Array.from(r.perUser.popularity!), [0.5, 1, 0.5]);
  close(r.metrics.averagePopularity!, 2 / 3, 1e-12, "averagePopularity");
  assert.equal(r.ties, "pessimistic");
  assert.match(r.protocol, /^full ranking/);
  assert.equal(r.scoring, "scoreAll");
});

test("k larger than the candidate list: lists are padded with -1, precision divides by k", async () => {
  const { model, train, test } = handWorld();
  const r = await evaluateFullRanking(model, test, { train, k: 10 });
  // u0 has 3 candidates: [2, 3, 4] then 7 x -1.
  assert.deepEqual(Array.from(r.lists!.subarray(0, 10)), [2, 3, 4, -1, -1, -1, -1, -1, -1, -1]);
  assert.deepEqual(Array.from(r.perUser.hr), [1, 1, 1]); // every rank <= 10
  assert.deepEqual(Array.from(r.perUser.precision), [0.1, 0.1, 0.1]);
  // NDCG: u0 1/log2(3) = 0.630930, u1 1/log2(5) = 0.430677, u2 1 -> mean 0.687202
  close(r.metrics.ndcg, 0.687202, 1e-6, "ndcg");
});

test("exclude masks validation items too, but never the user's held-out item", async () => {
  const { model, train, test } = handWorld();
  // Validation: u0 item 2 (the only candidate above its held-out item 3), u2 item 4 (= its held-out item).
  const valid = pairs(4, 5, [
    [0, 2],
    [2, 4],
  ]);
  const r = await evaluateFullRanking(model, test, { train, exclude: [valid], k: 2 });
  // u0: candidates 3, 4 -> rank 1. u2: item 4 stays a candidate -> still rank 1 of 4 candidates.
  assert.deepEqual(Array.from(r.perUser.rank), [1, 4, 1]);
  assert.deepEqual(Array.from(r.perUser.numCandidates), [2, 4, 4]);
});

test("a user whose held-out item is also in training is ranked on it (the policy), not masked out", async () => {
  // One user, 3 items; item 0 appears in train twice and in test (repeated interactions).
  const model = new MatrixModel(1, 3, Float32Array.from([0.9, 0.5, 0.1]));
  const train = pairs(1, 3, [
    [0, 0],
    [0, 0],
    [0, 2],
  ]);
  const test = pairs(1, 3, [[0, 0]]);
  const r = await evaluateFullRanking(model, test, { train, k: 1 });
  // Mask = train items minus the test item = {2}; candidates 0 and 1; item 0 (.9) ranks 1.
  assert.equal(r.perUser.rank[0], 1);
  assert.equal(r.perUser.numCandidates[0], 2);
  assert.equal(r.metrics.hr, 1);
  assert.deepEqual(Array.from(r.lists!), [0]);
});

test("users option: evaluate a subset; requested users without test items are counted as skipped", async () => {
  const { model, train, test } = handWorld();
  const r = await evaluateFullRanking(model, test, { train, k: 2, users: Int32Array.from([1, 3]) });
  assert.deepEqual(Array.from(r.perUser.users), [1]);
  assert.equal(r.usersSkipped, 1);
  await assert.rejects(
    evaluateFullRanking(model, test, { train, users: Int32Array.from([3]) }),
    /none of the 1 requested users has a test item/,
  );
  await assert.rejects(evaluateFullRanking(model, test, { train, users: Int32Array.from([9]) }), /user 9 is outside \[0, 4\)/);
  await assert.rejects(evaluateFullRanking(model, test, { train, users: Int32Array.from([0, 2, 0]) }), /user 0 is listed twice/);
});

test("NaN scores are an error naming the user; mismatched index spaces and bad scoreAll output are explained", async () => {
  const { train, test } = handWorld();
  const matrix = new Float32Array(20).fill(0.5);
  matrix[1 * 5 + 3] = NaN;
  await assert.rejects(evaluateFullRanking(new MatrixModel(4, 5, matrix), test, { train }), /user 1 \(index 1\): the model scored item 3 as NaN/);
  const other = pairs(4, 6, [[0, 5]]);
  await assert.rejects(
    evaluateFullRanking(new MatrixModel(4, 5, matrix), test, { train: other }),
    /interactions are 4 users x 6 items but the model\/test data are 4 x 5/,
  );
  const broken = new MatrixModel(4, 5, matrix);
  broken.scoreAll = async (users: Int32Array) => new Float32Array(users.length * 4);
  await assert.rejects(evaluateFullRanking(broken, test, { train }), /returned Float32Array of length 12; expected a Float32Array of 3 x 5 = 15 scores/);
  await assert.rejects(evaluateFullRanking(broken, test, { train, k: 0 }), /k must be a positive integer, got 0/);
});

/** Random world with ties, repeated interactions, several test items per user and users without test items. */
function randomWorld(seed: number, numUsers: number, numItems: number) {
  const rng = new Rng(seed);
  const matrix = Float32Array.from({ length: numUsers * numItems }, () => rng.int(6) / 5);
  const tr: [number, number][] = [];
  const te: [number, number][] = [];
  const va: [number, number][] = [];
  for (let u = 0; u < numUsers; u++) {
    for (let j = rng.int(numItems / 2); j > 0; j--) tr.push([u, rng.int(numItems)]);
    if (rng.next() < 0.2) continue; // no test items
    for (let j = 1 + rng.int(4); j > 0; j--) te.push([u, rng.int(numItems)]); // may repeat, may be in train
    if (rng.next() < 0.5) va.push([u, rng.int(numItems)]);
  }
  return {
    model: new MatrixModel(numUsers, numItems, matrix),
    train: pairs(numUsers, numItems, tr),
    test: pairs(numUsers, numItems, te),
    valid: pairs(numUsers, numItems, va),
  };
}

/** Brute force: build each user's candidate list, sort it, compute every metric straight from the definitions. */
function bruteForce(model: MatrixModel, train: Interactions, valid: Interactions, test: Interactions, k: number) {
  const { numUsers, numItems, matrix } = model;
  const out: Record<string, number[]> = { users: [], rank: [], hr: [], recall: [], precision: [], ndcg: [], map: [], mrr: [], auc: [], lists: [] };
  for (let u = 0; u < numUsers; u++) {
    const rel = new Set<number>();
    for (let r = 0; r < test.length; r++) if (test.users[r] === u) rel.add(test.items[r]!);
    if (!rel.size) continue;
    const seen = new Set<number>();
    for (const x of [train, valid]) for (let r = 0; r < x.length; r++) if (x.users[r] === u && !rel.has(x.items[r]!)) seen.add(x.items[r]!);
    const cands = Array.from({ length: numItems }, (_, i) => i).filter((i) => !seen.has(i));
    const s = (i: number) => matrix[u * numItems + i]!;
    const pess = [...cands].sort((a, b) => s(b) - s(a) || Number(rel.has(a)) - Number(rel.has(b)));
    const gains: number[] = pess.map((i) => (rel.has(i) ? 1 : 0));
    const topHits = gains.slice(0, k).reduce((a, b) => a + b, 0);
    let dcg = 0;
    let idcg = 0;
    let ap = 0;
    let hitsSoFar = 0;
    gains.slice(0, k).forEach((g, pos) => {
      dcg += g / Math.log2(pos + 2);
      if (g) ap += ++hitsSoFar / (pos + 1);
    });
    for (let pos = 0; pos < Math.min(rel.size, k); pos++) idcg += 1 / Math.log2(pos + 2);
    const first = gains.indexOf(1) + 1;
    let correct = 0;
    gains.forEach((g, pos) => {
      if (g) correct += gains.slice(pos + 1).filter((x) => x === 0).length;
    });
    const irrelevant = cands.length - rel.size;
    out.users!.push(u);
    out.rank!.push(first);
    out.hr!.push(topHits > 0 ? 1 : 0);
    out.recall!.push(topHits / rel.size);
    out.precision!.push(topHits / k);
    out.ndcg!.push(dcg / idcg);
    out.map!.push(ap / Math.min(rel.size, k));
    out.mrr!.push(first <= k ? 1 / first : 0);
    out.auc!.push(irrelevant ? correct / (rel.size * irrelevant) : NaN);
    const list = [...cands].sort((a, b) => s(b) - s(a) || a - b).slice(0, k);
    out.lists!.push(...list, ...new Array(k - list.length).fill(-1));
  }
  return out;
}

test("fast path equals a brute-force sort-everything reference on random worlds (ties, repeats, k > candidates)", async () => {
  for (const [seed, k] of [
    [1, 5],
    [2, 10],
    [3, 40],
  ] as const) {
    const { model, train, test, valid } = randomWorld(seed, 40, 30);
    const ref = bruteForce(model, train, valid, test, k);
    const r = await evaluateFullRanking(model, test, { train, exclude: [valid], k, blockSize: 7 });
    assert.deepEqual(Array.from(r.perUser.users), ref.users);
    assert.deepEqual(Array.from(r.perUser.rank), ref.rank);
    for (const m of ["hr", "recall", "precision", "ndcg", "map", "mrr", "auc"] as const) {
      const ours = Array.from(r.perUser[m]);
      ours.forEach((v, i) => {
        const e = ref[m]![i]!;
        if (Number.isNaN(e)) assert.ok(Number.isNaN(v), `${m}[${i}] seed ${seed}`);
        else close(v, e, 1e-12, `${m}[${i}] seed ${seed}`);
      });
    }
    assert.deepEqual(Array.from(r.lists!), ref.lists, `lists seed ${seed}`);
    assert.equal(r.usersSkipped, 40 - ref.users!.length);
  }
});

test("factors path (one matMul per block) equals scoreAll, with an item bias", async () => {
  await initBackend();
  const rng = new Rng(5);
  const numUsers = 23;
  const numItems = 31;
  const dim = 4;
  // Small integers: every product is exact in float32, so both paths give bit-identical scores and ties.
  const ints = (n: number) => Float32Array.from({ length: n }, () => rng.int(5) - 2);
  const model = new DotModel(numUsers, numItems, { users: ints(numUsers * dim), items: ints(numItems * dim), dim, itemBias: ints(numItems) });
  const tr: [number, number][] = [];
  const te: [number, number][] = [];
  for (let u = 0; u < numUsers; u++) {
    for (let j = 0; j < 5; j++) tr.push([u, rng.int(numItems)]);
    te.push([u, rng.int(numItems)]);
  }
  const train = pairs(numUsers, numItems, tr);
  const test = pairs(numUsers, numItems, te);
  const viaFactors = await evaluateFullRanking(model, test, { train, k: 5, blockSize: 6 });
  const viaScoreAll = await evaluateFullRanking(model, test, { train, k: 5, scoring: "scoreAll" });
  assert.equal(viaFactors.scoring, "factors");
  assert.equal(viaScoreAll.scoring, "scoreAll");
  assert.deepEqual(Array.from(viaFactors.perUser.rank), Array.from(viaScoreAll.perUser.rank));
  assert.deepEqual(Array.from(viaFactors.lists!), Array.from(viaScoreAll.lists!));
  assert.deepEqual(viaFactors.metrics, viaScoreAll.metrics);
  await assert.rejects(
    evaluateFullRanking(handWorld().model, handWorld().test, { train: handWorld().train, scoring: "factors" }),
    /scoring "factors" was requested but model Matrix has no factors\(\)/,
  );
});
