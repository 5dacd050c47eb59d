/**
 * Runs of a grid in N worker processes on this machine: runs are independent (each seeded on its own), so N
 * processes give the same results as one, about N times sooner on N cores. A worker that dies takes its run's
 * error with it; the pool stops the others and ends when the grid ends or throws (no process is left behind).
 */
import { fork, type ChildProcess } from "child_process";
import * as path from "path";
import type { RunResult, RunSpec } from "./runs";

export interface PoolJob {
  id: string;
  spec: RunSpec;
}

/** Execute `jobs` in `workers` processes; `onResult` is called as each finishes (in completion order). */
export async function runInPool(jobs: PoolJob[], workers: number, onResult: (r: RunResult) => void, modules: string[] = []): Promise<RunResult[]> {
  const entry = path.join(__dirname, `worker-process${path.extname(__filename)}`);
  const n = Math.max(1, Math.min(workers, jobs.length));
  const results: RunResult[] = [];
  const children: ChildProcess[] = [];
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const give = (child: ChildProcess) => {
        if (next >= jobs.length) return;
        const job = jobs[next++]!;
        child.send({ type: "run", id: job.id, spec: job.spec });
      };
      for (let w = 0; w < n; w++) {
        // The same Node flags as this process (e.g. tsx's loader when running from sources).
        // Evaluations inside use one thread each: the processes already share the cores (lib/eval/rank-parallel.ts).
        const env = { ...process.env, RECSYS_EVAL_THREADS: process.env.RECSYS_EVAL_THREADS ?? "1" };
        const child = fork(entry, [], { execArgv: process.execArgv, env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
        children.push(child);
        child.on("message", (m: { type: string; id?: string; result?: RunResult; message?: string }) => {
          if (m.type === "ready") {
            if (modules.length) child.send({ type: "modules", paths: modules });
            give(child);
          } else if (m.type === "result") {
            results.push(m.result!);
            onResult(m.result!);
            if (++done === jobs.length) resolve();
            else give(child);
          } else if (m.type === "error") {
            fail(new Error(`run ${m.id} failed in worker ${child.pid}: ${m.message}`));
          }
        });
        child.on("exit", (code, signal) => {
          if (done < jobs.length) fail(new Error(`worker ${child.pid} exited (${signal ?? `code ${code}`}) before the grid finished`));
        });
        child.on("error", fail);
      }
    });
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
  }
  return results;
}
