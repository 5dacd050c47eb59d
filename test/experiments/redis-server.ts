/** A real redis-server for queue tests: started on 127.0.0.1 on a free port, without persistence, stopped by the test. */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as net from "net";

export const hasRedis = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s: net.Socket = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server did not listen on ${port}`);
}

export interface RedisServer {
  url: string;
  process: ChildProcess;
  /** Stop the server and wait for it to exit. */
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  try {
    await waitForPort(port);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
