/**
 * Serving: recommend() against a brute-force reference (seen items never returned), and the compiled commands as a
 * user runs them: train --save, index build, recommend, and serve answering valid and malformed requests on
 * 127.0.0.1 (a free port, a bounded number of requests, stopped at the end).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../lib/backend";
import { generateSynthetic, leaveOneOut } from "../../lib/data";
import { MF, saveModel } from "../../lib/models";
import { fit, implicitBatches } from "../../lib/train";
import { createIndex, retrievalVectors } from "../../lib/retrieval";
import { buildCatalog, RecommendationService, RequestError, saveCatalog } from "../../lib/serving";

const ROOT = path.join(__dirname, "..", "..");
const CLI = path.join(ROOT, "dist", "cli.js");
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, RECSYS_BACKEND: "wasm" } });
const TINY = ["--dataset", "synthetic", "--users", "120", "--items", "200", "--per-user", "15"];

test("recommend() returns the best unseen items by the model's own scores, with raw ids and titles", async () => {
  await initBackend({ backend: "wasm" });
  const ds = generateSynthetic({ numUsers: 80, numItems: 120, interactionsPerUser: 15, seed: 4 });
  const { train } = leaveOneOut(ds.interactions);
  const model = new MF({ numUsers: 80, numItems: 120, factors: 8, seed: 1 });
  await fit(model, implicitBatches(train, { batchSize: 128 }), { epochs: 2, progress: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "serving-"));
  try {
    await saveModel(model, path.join(dir, "model"), { train });
    const vectors = retrievalVectors(model);
    const index = await createIndex("exact", { dim: vectors.dim });
    await index.add(Int32Array.from({ length: 120 }, (_, i) => i), vectors.items);
    await index.save(path.join(dir, "bundle", "index"));
    await index.close();
    await saveCatalog(path.join(dir, "bundle"), buildCatalog(ds, [train]));
    const service = await RecommendationService.open(path.join(dir, "model"), path.join(dir, "bundle"));
    const seen = new Set(Array.from(train.csr().indices.subarray(train.csr().indptr[7]!, train.csr().indptr[8]!)));
    const got = await service.recommend(ds.interactions.userIds[7]!, 5);
    // Brute force over the model's own scores (MF's score = <p, q> + b_i + b_u + mu; b_u + mu do not change the order).
    const scores = await model.scoreAll(Int32Array.of(7));
    const want = Array.from(scores.keys()).filter((i) => !seen.has(i)).sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, 5);
    assert.deepEqual(got.items.map((r) => r.item), want.map((i) => ds.interactions.itemIds[i]!));
    assert.equal(got.items[0]!.title, (ds.itemFeatures!.columns.title as { values: readonly string[] }).values[want[0]!]);
    assert.equal(got.excluded, seen.size);
    await assert.rejects(service.recommend("no-such-user", 5), (e: unknown) => e instanceof RequestError && e.status === 404);
    await assert.rejects(service.recommend(ds.interactions.userIds[7]!, 0), (e: unknown) => e instanceof RequestError && e.status === 400);
    await service.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});

test("train --save, index build, recommend and serve from the command line (synthetic, two-tower)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "serving-cli-"));
  const server = { proc: null as ReturnType<typeof spawn> | null };
  try {
    const t = cli("train", ...TINY, "--model", "two-tower", "--epochs", "2", "--batch", "128", "--save", path.join(dir, "model"), "--quiet");
    assert.equal(t.status, 0, t.stderr);
    const b = cli("index", "build", "--model-dir", path.join(dir, "model"), "--index", "exact", "--out", path.join(dir, "bundle"));
    assert.equal(b.status, 0, b.stderr);
    const built = JSON.parse(b.stdout);
    assert.equal(built.recallAt10VsExact, 1);
    // Through an exact index the test metrics are the full-ranking ones train reported.
    assert.equal(built.test["hr@10"], JSON.parse(t.stdout).test.full["hr@10"]);
    const r = cli("recommend", "--model-dir", path.join(dir, "model"), "--index", path.join(dir, "bundle"), "--user", "3", "--k", "4");
    assert.equal(r.status, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assert.equal(rec.items.length, 4);
    assert.ok(rec.items.every((x: { item: string; title: string }) => x.item && x.title));
    const missing = cli("recommend", "--model-dir", path.join(dir, "model"), "--index", path.join(dir, "bundle"));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--model-dir, --index and --user are required/);

    // serve on a free port on 127.0.0.1; a bounded set of requests; then stop it.
    const proc = spawn(process.execPath, [CLI, "serve", "--model-dir", path.join(dir, "model"), "--index", path.join(dir, "bundle"), "--port", "0"], {
      env: { ...process.env, RECSYS_BACKEND: "wasm" },
    });
    server.proc = proc;
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("serve did not start within 30 s")), 30000);
      let out = "";
      proc.stdout!.on("data", (d) => {
        out += d;
        const line = out.split("\n")[0]!;
        if (out.includes("\n")) {
          clearTimeout(timer);
          resolve(JSON.parse(line).listening);
        }
      });
      proc.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const get = async (p: string, init?: RequestInit) => {
      const res = await fetch(url + p, { ...init, signal: AbortSignal.timeout(10000) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const ok = await get("/recommend?user=3&k=4");
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.body.items as { item: string }[]).map((x) => x.item), rec.items.map((x: { item: string }) => x.item));
    assert.equal((await get("/health")).body.status, "ok");
    const cases: [string, number, RegExp, RequestInit?][] = [
      ["/recommend?user=nobody", 404, /unknown user 'nobody'/],
      ["/recommend?user=3&k=0", 400, /k must be an integer in \[1, 1000\]/],
      ["/recommend?user=3&k=5000", 400, /k must be an integer in \[1, 1000\]/],
      ["/recommend?user=3&k=-1", 400, /k must be a positive integer, got '-1'/],
      ["/recommend?k=3", 400, /needs user=ID/],
      ["/recommend?user=3&kk=3", 400, /unknown query parameter 'kk'/],
      ["/nothing", 404, /no route \/nothing/],
      ["/recommend?user=3", 405, /method POST is not allowed/, { method: "POST" }],
    ];
    for (const [p, status, message, init] of cases) {
      const res = await get(p, init);
      assert.equal(res.status, status, p);
      assert.match(String(res.body.error), message, p);
    }
    // Still alive after the malformed ones.
    assert.equal((await get("/recommend?user=3&k=1")).status, 200);
  } finally {
    server.proc?.kill("SIGTERM");
    if (server.proc) await new Promise((r) => server.proc!.once("exit", r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const ML100K = path.join(ROOT, "..", "shared", "datasets", "ml-100k");

test(
  "MovieLens-100K from the command line: train MF, index build with hnswlib and with exact, recommend",
  { skip: !fs.existsSync(path.join(ML100K, "u.data")) && "needs ../shared/datasets/ml-100k (MovieLens cannot be redistributed)" },
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "serving-ml-"));
    try {
      const data = ["--dataset", "ml-100k", "--data-dir", ML100K, "--offline"];
      const t = cli("train", ...data, "--model", "mf", "--epochs", "2", "--save", path.join(dir, "model"), "--quiet");
      assert.equal(t.status, 0, t.stderr);
      for (const kind of ["exact", "hnswlib"]) {
        const b = cli("index", "build", "--model-dir", path.join(dir, "model"), "--index", kind, "--out", path.join(dir, kind), "--data-dir", ML100K);
        assert.equal(b.status, 0, b.stderr);
        const built = JSON.parse(b.stdout);
        assert.equal(built.index.items, 1682);
        assert.ok(built.recallAt10VsExact >= (kind === "exact" ? 1 : 0.9), `${kind}: recall ${built.recallAt10VsExact}`);
        const r = cli("recommend", "--model-dir", path.join(dir, "model"), "--index", path.join(dir, kind), "--user", "196", "--k", "5");
        assert.equal(r.status, 0, r.stderr);
        const rec = JSON.parse(r.stdout);
        assert.equal(rec.items.length, 5);
        assert.match(rec.items[0].title, /\(\d{4}\)$/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
