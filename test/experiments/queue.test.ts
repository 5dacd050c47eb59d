/**
 * The queue's coordinator and worker when Redis is not there: the coordinator gives up with an error naming the URL
 * (at the start, and when a running server goes away), and a worker says so once instead of once per retry.
 * Real redis-server processes, started here on 127.0.0.1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as path from "path";
import { runOnQueue } from "../../lib/experiments/queue";
import type { RunSpec } from "../../lib/experiments/runs";
import { freePort, hasRedis, startRedis } from "./redis-server";

const skip = !hasRedis && !process.env.RECSYS_REQUIRE_REDIS && "redis-server is not installed (apt-get install redis-server)";
// No worker serves these queues, so the job is never run: its spec only has to be stored.
const job = (id: string) => ({ id, spec: { label: "never run" } as unknown as RunSpec });

async function elapsed<T>(f: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const t0 = performance.now();
  const [result] = await Promise.allSettled([f()]);
  return { ms: performance.now() - t0, result: result! };
}

test("the coordinator gives up on a Redis it cannot reach, naming the URL and the reason", async () => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const { ms, result } = await elapsed(() => runOnQueue(url, [job("a")], () => {}, { connectMs: 1000 }));
  assert.equal(result.status, "rejected");
  const message = (result as PromiseRejectedResult).reason.message as string;
  assert.match(message, new RegExp(`^queue: could not reach Redis at redis://127\\.0\\.0\\.1:${port} for 1 s \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); is redis-server running there`));
  assert.ok(ms < 5000, `gave up after ${Math.round(ms)} ms`);
});

test("the coordinator gives up when its Redis goes away during the run", { skip }, async () => {
  const redis = await startRedis();
  try {
    let stopped = false;
    const run = elapsed(() => runOnQueue(redis.url, [job("b")], () => {}, { lostMs: 1500, pollMs: 50 }));
    // Let it queue the job and poll, then take the server away.
    await new Promise((r) => setTimeout(r, 500));
    await redis.stop();
    stopped = true;
    const { ms, result } = await run;
    assert.ok(stopped);
    assert.equal(result.status, "rejected");
    assert.match((result as PromiseRejectedResult).reason.message, new RegExp(`^queue: no answer from Redis at ${redis.url.replace(/\./g, "\\.")} for 1\\.5 s`));
    assert.ok(ms < 10_000, `gave up after ${Math.round(ms)} ms`);
  } finally {
    await redis.stop();
  }
});

test("recsys-lab worker without Redis says so once, not once per retry, and keeps waiting", async () => {
  const port = await freePort();
  const cli = path.join(__dirname, "..", "..", "dist", "cli.js");
  const child = spawn(process.execPath, [cli, "worker", "--queue", `redis://127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => void (stderr += d.toString()));
  try {
    // ioredis retries within 50-2000 ms; give it several retries.
    const deadline = performance.now() + 30_000;
    while (!stderr.includes("cannot reach Redis") && performance.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 4000));
    const lines = stderr.split("\n").filter((l) => l.includes("cannot reach Redis"));
    assert.equal(lines.length, 1, `one line about Redis, got:\n${stderr}`);
    assert.match(lines[0]!, new RegExp(`^worker \\d+: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED [^)]*\\); retrying$`));
    assert.ok(!stderr.includes("    at "), `no stack traces:\n${stderr}`);
    assert.equal(child.exitCode, null, "the worker keeps waiting for Redis");
  } finally {
    child.kill("SIGKILL");
  }
});
