/**
 * An open-loop load generator: requests leave at a constant rate (one every 1000/rate ms, scheduled against the
 * clock), whatever the server's state, and each latency is measured from the moment its request was due, so a
 * stalled server is charged for the requests it delayed (no coordinated omission). autocannon's `overallRate`
 * instead lets each connection fire its share at the start of every second and then wait, a burst that queues on
 * a single-threaded server and measures the burst rather than the rate.
 */
import * as http from "http";

export interface PacedResult {
  requestsPerSecond: number;
  requests: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function pacedLoad(url: string, rate: number, seconds: number, nextPath: () => string, timeoutMs = 5000): Promise<PacedResult> {
  if (!(rate > 0) || !(seconds > 0)) throw new Error(`pacedLoad: rate and seconds must be positive (got ${rate}, ${seconds})`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(url);
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  let done = 0;
  let non2xx = 0;
  let errors = 0;
  const start = performance.now();
  const interval = 1000 / rate;

  const one = (i: number, due: number) =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: target.hostname, port: target.port, path: nextPath(), agent, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on("end", () => {
          latencies[i] = performance.now() - due;
          if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx++;
          done++;
          resolve();
        });
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => {
        latencies[i] = performance.now() - due;
        errors++;
        done++;
        resolve();
      });
    });

  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(one(i, due));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  const sorted = latencies.slice(0, done).sort();
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    requestsPerSecond: Math.round(done / elapsed),
    requests: done,
    latencyMs: { p50: round(quantile(sorted, 0.5)), p90: round(quantile(sorted, 0.9)), p99: round(quantile(sorted, 0.99)), max: round(sorted[sorted.length - 1] ?? NaN) },
    non2xx,
    errors,
  };
}
