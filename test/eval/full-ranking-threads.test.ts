/**
 * The kernel path of full ranking (one or more threads) against the tf.matMul path it replaces: the same report
 * bit for bit — every mean, every per-user value, every recommended list — on random models with ties, item
 * biases, several held-out items per user, user subsets and excluded interactions. Then errors (NaN, a dying
 * worker), the scoreAll path, and that the pool never keeps a process alive.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { Interactions } from "../../lib/data/interactions";
import { evaluateFullRanking, type FullRankingOptions } from "../../lib/eval/full-ranking";
import { disposeEvaluationThreads, rankThreads } from "../../lib/eval/rank-threads";
import type { RankingReport } from "../../lib/eval/report";
import type { Factors } from "../../lib/models/recommender";
import { Rng } from "../../lib/random";
import { DotModel, MatrixModel } from "./helpers";

after(() => disposeEvaluationThreads());

interface World {
  model: DotModel;
  train: Interactions;
  test: Interactions;
  valid: Interactions;
}

/**
 * Random factors; `levels` > 0 rounds them to multiples of 1/levels so that many scores tie exactly. Each user
 * has `perUser` random training items, a validation item and 1 to `maxTest` held-out items (some users none).
 */
function world(seed: number, numUsers: number, numItems: number, dim: number, o: { levels?: number; bias?: boolean; maxTest?: number; perUser?: number } = {}): World {
  const rng = new Rng(seed);
  const value = () => (o.levels ? Math.round(rng.normal() * o.levels) / o.levels : rng.normal());
  const factors: Factors = {
    users: Float32Array.from({ length: numUsers * dim }, value),
    items: Float32Array.from({ length: numItems * dim }, value),
    dim,
    itemBias: o.bias ? Float32Array.from({ length: numItems }, () => rng.normal() * 0.5) : undefined,
  };
  const pairs = (count: (u: number) => number) => {
    const us: number[] = [];
    const is: number[] = [];
    for (let u = 0; u < numUsers; u++) for (let j = count(u); j > 0; j--) (us.push(u), is.push(rng.int(numItems)));
    return new Interactions({ users: Int32Array.from(us), items: Int32Array.from(is), numUsers, numItems });
  };
  const perUser = o.perUser ?? Math.max(1, Math.floor(numItems / 5));
  return {
    model: new DotModel(numUsers, numItems, factors),
    train: pairs(() => perUser),
    valid: pairs(() => 1),
    test: pairs((u) => (u % 7 === 3 ? 0 : 1 + rng.int(o.maxTest ?? 1))),
  };
}

/** Everything in a report except the wall-clock time and the thread count. */
function content(r: RankingReport) {
  const { seconds: _s, threads: _t, timings: _timings, ...rest } = r;
  return rest;
}

async function assertSame(w: World, options: Omit<FullRankingOptions, "train">, what: string): Promise<void> {
  const reference = await evaluateFullRanking(w.model, w.test, { ...options, train: w.train, kernel: false });
  assert.equal(reference.threads, 1);
  for (const threads of [1, 2, 3]) {
    const r = await evaluateFullRanking(w.model, w.test, { ...options, train: w.train, kernel: true, threads });
    assert.equal(r.threads, threads, what);
    assert.deepStrictEqual(content(r), content(reference), `${what}, threads ${threads}`);
  }
}

test("kernel on 1, 2 and 3 threads = the tf.matMul path, bit for bit (ties, bias, several held-out items, odd sizes)", async () => {
  await initBackend({ backend: "wasm" });
  const cases: [string, World, Omit<FullRankingOptions, "train">][] = [
    ["ML-like, one held-out item", world(1, 300, 413, 16), { k: 10 }],
    ["coarse factors: many exact ties", world(2, 97, 61, 3, { levels: 2 }), { k: 5 }],
    ["dim 1, all-tied rows, k > candidates", world(3, 40, 9, 1, { levels: 1, perUser: 4 }), { k: 12 }],
    ["item bias, several held-out items", world(4, 123, 250, 17, { bias: true, maxTest: 6 }), { k: 10 }],
    ["ties + bias + several held-out", world(5, 64, 37, 8, { levels: 3, bias: true, maxTest: 4 }), { k: 3 }],
    ["3 users x 3 items (less than a tile, a SIMD group and a panel)", world(10, 3, 3, 5, { perUser: 1, maxTest: 2 }), { k: 2 }],
  ];
  for (const [what, w, options] of cases) {
    await assertSame(w, options, what);
    await assertSame(w, { ...options, exclude: [w.valid] }, `${what}, exclude`);
    const subset = Int32Array.from({ length: Math.floor(w.model.numUsers / 3) }, (_, i) => (i * 7) % w.model.numUsers).filter((u, i, a) => a.indexOf(u) === i);
    await assertSame(w, { ...options, users: subset.reverse() }, `${what}, users subset`);
    await assertSame(w, { ...options, blockSize: 4 }, `${what}, blockSize 4`);
  }
});

test("evaluations running at the same time do not share a memory: each gets its own answer", async () => {
  await initBackend({ backend: "wasm" });
  const a = world(11, 120, 90, 8);
  const b = world(12, 150, 70, 4, { bias: true, maxTest: 3 });
  const ra = await evaluateFullRanking(a.model, a.test, { train: a.train, kernel: false });
  const rb = await evaluateFullRanking(b.model, b.test, { train: b.train, kernel: false });
  for (const threads of [1, 2]) {
    const both = await Promise.all([
      evaluateFullRanking(a.model, a.test, { train: a.train, threads, blockSize: 4 }),
      evaluateFullRanking(b.model, b.test, { train: b.train, threads, blockSize: 4 }),
      evaluateFullRanking(a.model, a.test, { train: a.train, threads, blockSize: 4 }),
    ]);
    assert.deepStrictEqual(both.map(content), [ra, rb, ra].map(content), `threads ${threads}`);
  }
});

test("no tensors are left behind by either path", async () => {
  await initBackend({ backend: "wasm" });
  const w = world(6, 50, 70, 8, { bias: true });
  const before = tf.memory().numTensors;
  await evaluateFullRanking(w.model, w.test, { train: w.train, threads: 2 });
  await evaluateFullRanking(w.model, w.test, { train: w.train, kernel: false });
  assert.equal(tf.memory().numTensors, before);
});

test("threads: validated; 'auto' picks 1 for small evaluations; models without factors() run on the calling thread", async () => {
  await initBackend({ backend: "wasm" });
  const w = world(7, 30, 20, 4);
  await assert.rejects(evaluateFullRanking(w.model, w.test, { train: w.train, threads: 0 }), /threads must be a positive integer or "auto", got 0/);
  // blockSize is checked for the kernel path as for the tf path (a 0 used to spin the kernel's threads forever).
  for (const kernel of [true, false]) {
    for (const blockSize of [0, -4, 2.5]) {
      await assert.rejects(evaluateFullRanking(w.model, w.test, { train: w.train, kernel, blockSize }), new RegExp(`evaluateFullRanking: blockSize must be a positive integer, got ${blockSize}`));
    }
  }
  assert.equal((await evaluateFullRanking(w.model, w.test, { train: w.train })).threads, 1);
  const rows = new Float32Array(30 * 20);
  for (let u = 0; u < 30; u++) rows.set(await w.model.scoreAll(Int32Array.of(u)), u * 20);
  const matrix = new MatrixModel(30, 20, rows);
  const viaScoreAll = await evaluateFullRanking(matrix, w.test, { train: w.train, threads: 2 });
  assert.equal(viaScoreAll.scoring, "scoreAll");
  assert.equal(viaScoreAll.threads, 1);
  const viaKernel = await evaluateFullRanking(w.model, w.test, { train: w.train, threads: 2 });
  assert.deepStrictEqual(content(viaScoreAll), { ...content(viaKernel), scoring: "scoreAll" });
});

test("a NaN score fails every thread count with the single-threaded evaluator's error (the first user in order)", async () => {
  await initBackend({ backend: "wasm" });
  const w = world(8, 200, 90, 8);
  const f = w.model.factors();
  f.users[151 * 8 + 2] = NaN; // user 151: every item NaN
  f.items[40 * 8 + 5] = NaN; // item 40: NaN for every user, so user 0 is the first to fail
  const expected = await evaluateFullRanking(w.model, w.test, { train: w.train, kernel: false }).then(
    () => assert.fail("expected a NaN error"),
    (err: Error) => err.message,
  );
  assert.match(expected, /^user 0 \(index 0\): the model scored item 40 as NaN/);
  for (const threads of [1, 2, 3]) {
    await assert.rejects(evaluateFullRanking(w.model, w.test, { train: w.train, kernel: true, threads, blockSize: 4 }), (err: Error) => err.message === expected);
  }
  f.items[40 * 8 + 5] = 0;
  await assert.rejects(evaluateFullRanking(w.model, w.test, { train: w.train, threads: 3, blockSize: 4 }), /user 151 \(index 151\): the model scored item 0 as NaN/);
});

test("a worker that dies ends the evaluation with its error and every worker thread is ended", async () => {
  await initBackend({ backend: "wasm" });
  const w = world(9, 2000, 600, 32);
  const reference = await evaluateFullRanking(w.model, w.test, { train: w.train, threads: 3 }); // warm pool
  assert.equal(rankThreads().size, 2);
  await assert.rejects(
    evaluateFullRanking(w.model, w.test, { train: w.train, threads: 3, blockSize: 4, crashWorkerForTest: "boom" }),
    /full-ranking evaluation: worker thread \d+ failed: boom; the evaluation stopped and its threads were ended/,
  );
  assert.equal(rankThreads().size, 0);
  // The next evaluation starts a new pool and gets the same answer.
  assert.deepStrictEqual(content(await evaluateFullRanking(w.model, w.test, { train: w.train, threads: 3 })), content(reference));
});

/**
 * A script that evaluates on 2 threads until the worker has taken blocks (it joins once it is up) and returns
 * without disposing the pool: it must exit by itself.
 */
function evaluateInChild(lib: string, execArgv: string[]) {
  const script = `
    const { initBackend } = require(${JSON.stringify(path.join(lib, "backend"))});
    const { Interactions } = require(${JSON.stringify(path.join(lib, "data", "interactions"))});
    const { evaluateFullRanking } = require(${JSON.stringify(path.join(lib, "eval", "full-ranking"))});
    (async () => {
      await initBackend({ backend: "wasm" });
      const n = 3000, m = 2000, d = 32;
      const f = { users: Float32Array.from({ length: n * d }, (_, i) => Math.sin(i)), items: Float32Array.from({ length: m * d }, (_, i) => Math.cos(i)), dim: d };
      const model = { name: "dot", numUsers: n, numItems: m, factors: () => f, score: async () => new Float32Array(0), scoreAll: async () => new Float32Array(0) };
      const users = Int32Array.from({ length: n }, (_, u) => u);
      const test = new Interactions({ users, items: users.map((u) => u % m), numUsers: n, numItems: m });
      const train = new Interactions({ users, items: users.map((u) => (u + 1) % m), numUsers: n, numItems: m });
      const one = await evaluateFullRanking(model, test, { train, threads: 1 });
      // The first evaluations may end before the worker is up; it joins one of the next.
      let two;
      for (let i = 0; i < 200; i++) {
        two = await evaluateFullRanking(model, test, { train, threads: 2 });
        if (two.timings.threadBusy[1] > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const same = JSON.stringify([one.metrics, Array.from(one.lists)]) === JSON.stringify([two.metrics, Array.from(two.lists)]);
      console.log(JSON.stringify({ threads: two.threads, workerBusy: two.timings.threadBusy[1], same }));
    })();
  `;
  const out = spawnSync(process.execPath, [...execArgv, "-e", script], { encoding: "utf8", timeout: 120_000 });
  assert.equal(out.status, 0, out.stderr);
  const r = JSON.parse(out.stdout.trim().split("\n").pop()!) as { threads: number; workerBusy: number; same: boolean };
  assert.equal(r.threads, 2);
  assert.ok(r.workerBusy > 0, "the worker took part");
  assert.ok(r.same);
}

const ROOT = path.join(__dirname, "..", "..");

test("the pool never keeps a process alive, and its worker runs from sources (tsx)", () => {
  evaluateInChild(path.join(ROOT, "lib"), process.execArgv);
});

// npm test builds dist/ first (the CLI tests need it too): a missing build fails here rather than skipping.
test("the worker entry runs from the compiled dist/ too", () => {
  assert.ok(existsSync(path.join(ROOT, "dist", "eval", "rank-worker.js")), "dist/ is not built: run npm run build (npm test does)");
  evaluateInChild(path.join(ROOT, "dist"), []);
});
