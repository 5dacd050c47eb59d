/**
 * The HTTP front of a RecommendationService: `GET /recommend?user=ID&k=10` and `GET /health`, JSON in and out. Bad
 * requests (unknown user, k out of range, a malformed query, an unknown path) get a 4xx with a JSON error, never a
 * crash; an unexpected failure is a 500 with its message. One log line per request, with its latency.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { RequestError, type RecommendationService } from "./service";

export interface ServeOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** One line per request (default: stderr). */
  log?: (line: string) => void;
}

export interface RunningServer {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Handle one request; returns the status sent. */
async function handle(service: RecommendationService, req: http.IncomingMessage, res: http.ServerResponse, started: number): Promise<number> {
  if (req.method !== "GET") {
    send(res, 405, { error: `method ${req.method} is not allowed; use GET` });
    return 405;
  }
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://localhost");
  } catch {
    send(res, 400, { error: `malformed request target '${req.url}'` });
    return 400;
  }
  if (url.pathname === "/health") {
    send(res, 200, { status: "ok", model: service.model.className, index: service.index.kind, exact: service.index.isExact, users: service.model.numUsers, items: service.model.numItems, uptimeSeconds: Math.round(process.uptime()) });
    return 200;
  }
  if (url.pathname !== "/recommend") {
    send(res, 404, { error: `no route ${url.pathname}; routes: GET /recommend?user=ID&k=10, GET /health` });
    return 404;
  }
  const known = ["user", "k"];
  for (const key of url.searchParams.keys()) {
    if (!known.includes(key)) {
      send(res, 400, { error: `unknown query parameter '${key}'; parameters: user (required), k (default 10)` });
      return 400;
    }
  }
  const user = url.searchParams.get("user");
  if (!user) {
    send(res, 400, { error: "the query needs user=ID (the user's raw id)" });
    return 400;
  }
  const kText = url.searchParams.get("k") ?? "10";
  if (!/^\d+$/.test(kText)) {
    send(res, 400, { error: `k must be a positive integer, got '${kText}'` });
    return 400;
  }
  try {
    const result = await service.recommend(user, Number(kText));
    send(res, 200, { ...result, ms: Math.round((performance.now() - started) * 100) / 100 });
    return 200;
  } catch (err) {
    if (err instanceof RequestError) {
      send(res, err.status, { error: err.message });
      return err.status;
    }
    send(res, 500, { error: (err as Error).message });
    return 500;
  }
}

/** Listen and answer until close(). Requests are answered one at a time (the model and index run on one thread). */
export async function startServer(service: RecommendationService, options: ServeOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const server = http.createServer((req, res) => {
    const started = performance.now();
    handle(service, req, res, started)
      .then((status) => log(`${req.method} ${req.url} ${status} ${(performance.now() - started).toFixed(2)} ms`))
      .catch((err) => {
        log(`${req.method} ${req.url} failed: ${(err as Error).message}`);
        if (!res.headersSent) send(res, 500, { error: (err as Error).message });
      });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
