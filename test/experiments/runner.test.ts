/**
 * The experiment runner: tidy table, summary and paired comparisons; the cache resumes a grid; two worker processes
 * give the same results as one; a queued grid on a real Redis (started here on 127.0.0.1) survives a killed worker.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../lib/backend";
import { runExperiment, type ExperimentOptions } from "../../lib/experiments/experiment";
import { hasRedis, startRedis } from "./redis-server";

const ROOT = path.join(__dirname, "..", "..");
const grid: ExperimentOptions = {
  dataset: { name: "synthetic", synthetic: { numUsers: 120, numItems: 200, interactionsPerUser: 15, seed: 3 } },
  models: [{ model: "pop" }, { model: "mf", options: { factors: 8 }, training: { epochs: 2, batchSize: 128 } }, { label: "MF big", model: "mf", options: { factors: 16 }, training: { epochs: 2, batchSize: 128 } }],
  seeds: [0, 1],
  progress: false,
};

const values = (r: Awaited<ReturnType<typeof runExperiment>>) => r.runs.map((x) => [x.label, x.seed, x.metrics.ndcg, x.metrics.hr, x.metrics["sampled hr"]]);

test("a grid gives a tidy table, a summary over seeds and paired tests against the reference; the cache resumes it", async () => {
  await initBackend({ backend: "wasm" });
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "grid-cache-"));
  try {
    const r = await runExperiment({ ...grid, cacheDir });
    assert.equal(r.runs.length, 6);
    assert.equal(r.cached, 0);
    const metricsPerRun = Object.keys(r.runs[0]!.metrics).length;
    assert.equal(r.table.length, 6 * metricsPerRun);
    assert.ok(r.table.every((row) => typeof row.value === "number" && row.model && row.configuration));
    const mfNdcg = r.summary.find((s) => s.model === "mf" && s.metric === "ndcg")!;
    assert.equal(mfNdcg.n, 2);
    assert.ok(mfNdcg.low <= mfNdcg.mean && mfNdcg.mean <= mfNdcg.high);
    assert.deepEqual(new Set(r.comparisons.map((c) => `${c.model}/${c.metric}`)), new Set(["mf/ndcg", "MF big/ndcg", "mf/hr", "MF big/hr"]));
    assert.ok(r.comparisons.every((c) => c.reference === "pop" && c.n === 120));
    // A restarted grid takes every run from the cache: same results, nothing executed.
    const again = await runExperiment({ ...grid, cacheDir });
    assert.equal(again.cached, 6);
    assert.deepEqual(values(again), values(r));
    // Half a grid recorded (a crash after 3 runs): the rest runs, the first half is taken as it was.
    const files = fs.readdirSync(cacheDir).sort();
    for (const f of files.slice(3)) fs.rmSync(path.join(cacheDir, f));
    const resumed = await runExperiment({ ...grid, cacheDir });
    assert.equal(resumed.cached, 3);
    assert.deepEqual(values(resumed), values(r));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("--workers 2 gives exactly the results of one worker", async () => {
  await initBackend({ backend: "wasm" });
  const one = await runExperiment(grid);
  const two = await runExperiment({ ...grid, workers: 2 });
  assert.deepEqual(values(two), values(one));
});


test(
  "a queued grid on Redis: two workers, one killed mid-run, every run exactly once",
  { skip: !hasRedis && !process.env.RECSYS_REQUIRE_REDIS && "redis-server is not installed (apt-get install redis-server)", timeout: 300_000 },
  async () => {
    await initBackend({ backend: "wasm" });
    const redis = await startRedis();
    const workers: ChildProcess[] = [];
    let stopping = false;
    try {
      const url = redis.url;
      const cli = path.join(ROOT, "dist", "cli.js");
      // A worker that dies on its own (not the one this test kills) would leave the queue waiting: fail with its stderr.
      let killed = false;
      let died!: (e: Error) => void;
      const workerDied = new Promise<never>((_, reject) => (died = reject));
      for (let w = 0; w < 2; w++) {
        const child = spawn(process.execPath, [cli, "worker", "--queue", url, "--lock-seconds", "3", "--stalled-seconds", "1"], { env: { ...process.env, RECSYS_BACKEND: "wasm" }, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
        child.once("exit", (code) => void (!stopping && !(killed && w === 0) && died(new Error(`queue worker ${w} exited (code ${code}) during the run:\n${stderr}`))));
        workers.push(child);
      }
      const bigger: ExperimentOptions = { ...grid, seeds: [0, 1, 2] };
      const seen: string[] = [];
      const r = await Promise.race([
        runExperiment({
          ...bigger,
          queue: url,
          onRun: (run) => {
            seen.push(run.id);
            // After the first result, kill a worker: its current run must be taken over by the other.
            if (!killed) {
              killed = true;
              workers[0]!.kill("SIGKILL");
            }
          },
        }),
        workerDied,
      ]);
      stopping = true; // from here on the test stops the workers itself
      assert.ok(killed);
      assert.equal(r.runs.length, 9);
      assert.equal(new Set(seen).size, seen.length, "every run recorded exactly once");
      assert.equal(seen.length, 9);
      const local = await runExperiment(bigger);
      assert.deepEqual(values(r), values(local), "queued results equal local ones");
    } finally {
      stopping = true;
      for (const w of workers) w.kill("SIGKILL");
      await redis.stop();
    }
  },
);
