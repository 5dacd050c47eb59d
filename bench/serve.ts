/**
 * Load on `recsys-lab serve` over loopback, bounded in time: a constant arrival rate of 200 requests/s (the issue's
 * target: p99 under 20 ms; open-loop, see paced-load.ts) and a closed run at full speed with autocannon
 * (`--connections` in flight), each for `--seconds`. The model is a Two-Tower
 * trained on MovieLens-100K (from ../shared unless --data-dir) for a few epochs, or `--model-dir`; the bundle is
 * built with `--index` (default exact). Users are drawn in turn from the dataset's raw ids. Prints one JSON object.
 *
 *   node --import tsx bench/serve.ts [--index exact] [--index-options efSearch=64] [--seconds 10] [--rate 200]
 *                                    [--connections 10] [--model-dir DIR] [--data-dir ../shared/datasets/ml-100k]
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { arg } from "./args";
import { pacedLoad } from "./paced-load";

// autocannon has no type declarations; the part used here.
type Result = { requests: { average: number; total: number }; latency: Record<string, number>; non2xx: number; errors: number; timeouts: number; duration: number };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as (o: object) => Promise<Result>;

const ROOT = path.join(__dirname, "..");
const CLI = path.join(ROOT, "dist", "cli.js");

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`recsys-lab ${args[0]} failed: ${r.stderr.trim().split("\n").pop()}`);
  return r.stdout;
}

async function main() {
  if (!fs.existsSync(CLI)) throw new Error("dist/cli.js is missing: run npm run build first");
  const seconds = Number(arg("seconds", "10"));
  const rate = Number(arg("rate", "200"));
  const connections = Number(arg("connections", "10"));
  const kind = arg("index", "exact");
  const dataDir = path.resolve(arg("data-dir", path.join(ROOT, "../shared/datasets/ml-100k")));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-serve-"));
  let modelDir = arg("model-dir", "");
  const log = (s: string) => process.stderr.write(s + "\n");
  try {
    if (!modelDir) {
      modelDir = path.join(work, "model");
      log("training a Two-Tower on MovieLens-100K (3 epochs) ...");
      run(["train", "--dataset", "ml-100k", "--data-dir", dataDir, "--offline", "--model", "two-tower", "--epochs", "3", "--save", modelDir, "--quiet"]);
    }
    const bundle = path.join(work, "bundle");
    log(`building the '${kind}' bundle ...`);
    const indexOptions = arg("index-options", "");
    const built = JSON.parse(run(["index", "build", "--model-dir", modelDir, "--index", kind, "--out", bundle, ...(indexOptions ? ["--index-options", indexOptions] : []), "--data-dir", dataDir]));
    const users = (JSON.parse(fs.readFileSync(path.join(bundle, "catalog.json"), "utf8")) as { userIds: string[] }).userIds;

    const server = spawn(process.execPath, [CLI, "serve", "--model-dir", modelDir, "--index", bundle, "--port", "0", "--quiet", ...(indexOptions ? ["--index-options", indexOptions] : [])]);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error("serve did not start in 60 s")), 60000);
        server.stdout.on("data", (d) => {
          out += d;
          if (out.includes("\n")) {
            clearTimeout(timer);
            resolve(JSON.parse(out.split("\n")[0]!).listening);
          }
        });
        server.once("exit", (c) => reject(new Error(`serve exited with ${c}`)));
      });
      let next = 0;
      const nextPath = () => `/recommend?user=${encodeURIComponent(users[next++ % users.length]!)}&k=10`;
      const requests = [{ setupRequest: (req: { path: string }) => ({ ...req, path: nextPath() }) }];
      const fullSpeed = async () => {
        const r = await autocannon({ url, connections, duration: seconds, requests });
        return {
          requestsPerSecond: Math.round(r.requests.average),
          requests: r.requests.total,
          latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
        };
      };
      log(`warm-up, then ${seconds} s at ${rate} requests/s ...`);
      await autocannon({ url, connections: 2, amount: 200, requests });
      const fixed = await pacedLoad(url, rate, seconds, nextPath);
      log(`${seconds} s at full speed (${connections} connections) ...`);
      const open = await fullSpeed();
      process.stdout.write(
        JSON.stringify(
          {
            bench: "serve",
            model: built.model,
            index: built.index,
            users: users.length,
            connections,
            seconds,
            [`at${rate}PerSecond`]: fixed,
            fullSpeed: open,
            target: `p99 < 20 ms at ${rate} requests/s: ${fixed.latencyMs.p99 < 20 && fixed.non2xx === 0 ? "met" : "NOT met"}`,
          },
          null,
          1,
        ) + "\n",
      );
    } finally {
      server.kill("SIGTERM");
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + "\n");
  process.exit(1);
});
