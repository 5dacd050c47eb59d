/**
 * A worker process of a local grid (pool.ts): it receives run specs over IPC, executes them one at a time on its
 * own TensorFlow.js backend (each process is one core's worth of work) and sends back the results. Datasets are
 * loaded once per process and kept.
 */
import { initBackend } from "../backend";
import type { Dataset } from "../data/dataset";
import { canonical, executeRun, loadDatasetSpec, type DatasetSpec, type RunSpec } from "./runs";

type Message = { type: "run"; id: string; spec: RunSpec } | { type: "modules"; paths: string[] } | { type: "stop" };

const datasets = new Map<string, Promise<Dataset>>();

function datasetOf(spec: DatasetSpec): Promise<Dataset> {
  const key = canonical(spec);
  let d = datasets.get(key);
  if (!d) datasets.set(key, (d = loadDatasetSpec(spec)));
  return d;
}

const ready = initBackend({ verbose: false });
let queue: Promise<void> = Promise.resolve();

process.on("message", (m: Message) => {
  if (m.type === "stop") {
    queue.then(() => process.exit(0));
    return;
  }
  if (m.type === "modules") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const p of m.paths) require(p);
    return;
  }
  queue = queue.then(async () => {
    try {
      await ready;
      const result = await executeRun(m.spec, await datasetOf(m.spec.dataset), m.id);
      process.send!({ type: "result", id: m.id, result });
    } catch (err) {
      process.send!({ type: "error", id: m.id, message: (err as Error).message ?? String(err) });
    }
  });
});

process.send!({ type: "ready", pid: process.pid });
