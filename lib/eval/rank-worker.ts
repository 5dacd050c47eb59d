/**
 * A worker thread of full-ranking evaluation (rank-threads.ts): it receives a shared memory and the spec of an
 * evaluation and runs its share (rank-shard.ts). It loads neither TensorFlow.js nor a backend: the kernel is a
 * small module of its own, so a worker starts in tens of milliseconds from dist/.
 */
import { parentPort } from "node:worker_threads";
import { CONTROL, rankLayout, type RankSpec } from "./rank-layout";
import { runShard } from "./rank-shard";

export type WorkerMessage =
  /** `crash` (tests): take a block and die with this message, as a broken worker would. */
  { type: "rank"; memory: { buffer: SharedArrayBuffer }; spec: RankSpec; slot: number; crash?: string };

parentPort!.on("message", (m: WorkerMessage) => {
  if (m.crash !== undefined) {
    Atomics.add(new Int32Array(m.memory.buffer, rankLayout(m.spec).control, 1), CONTROL.next, 1);
    throw new Error(m.crash);
  }
  runShard(m.memory, m.spec, m.slot);
  // The calling thread reuses a memory only once every worker it was sent to is done with it.
  parentPort!.postMessage({ type: "done" });
});
parentPort!.postMessage({ type: "ready" });
