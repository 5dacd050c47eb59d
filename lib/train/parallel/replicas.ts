/**
 * Data-parallel training on worker threads: the main thread's model is replica 0 (it stays the canonical model:
 * validation, getWeights and save see it as always); replicas 1..N-1 are rebuilt in worker threads from its saved
 * form, each on its own TensorFlow.js backend (the wasm backend runs one thread, so one run used one core).
 *
 * Each batch (sampled on the main thread, so sampling stays seeded as before) is cut into N contiguous shards;
 * every replica computes its shard's gradients, the exchange (exchange.ts) sums them through shared memory in a
 * fixed order, and every replica applies the same optimiser step to the same summed gradients, so the replicas
 * stay identical without sending weights. Steps are synchronous: one barrier per step.
 *
 * Determinism: for a given seed and N the run is reproducible bit for bit. Against one worker it differs only by
 * float rounding (the shards' gradients are summed in another order) when there is no dropout; with dropout each
 * replica draws its own masks (Model.useReplicaDropout), so N workers train on other masks than one worker.
 *
 *   const parallel = await DataParallel.start(model, 2);
 *   try { for (const b of batches) parallel.step(b); } finally { await parallel.close(); }
 */
import * as path from "path";
import { MessageChannel, type MessagePort, type Worker } from "worker_threads";
import * as tf from "@tensorflow/tfjs";
import type { TrainBatch } from "../../models/batch";
import { Model } from "../../models/model";
import { LOSSES } from "../../nn/losses";
import { SharedExchange } from "./exchange";
import type { ReplicaSetup } from "./replica-worker";
import { C, CMD, FIELD, STATS, Shared, SharedInput, allocate, shardOf } from "./shared";
import { startThread } from "../../worker-thread";

/** Where one replica's step time went, in milliseconds per step. */
export interface ReplicaTiming {
  /** The replica's own forward, backward and optimiser step. */
  computeMs: number;
  /** Waiting at the barrier for the slowest replica (synchronisation). */
  waitMs: number;
  /** Copying its gradients into shared memory, summing the shards, uploading the sum (and, on the main thread, writing the batch). */
  copyMs: number;
}

export interface ParallelStats {
  workers: number;
  steps: number;
  /** Per replica (0: the main thread). */
  timing: ReplicaTiming[];
  /** tf.memory().numTensors per replica, now. */
  numTensors: number[];
}

export interface DataParallelOptions {
  /** Modules each worker requires first (absolute paths or package names), e.g. one calling registerModelClass. */
  modules?: string[];
  /** Test hook: worker 1 throws in this step (1-based). */
  failAtStep?: number;
}

let live = 0;

/** Worker threads of data-parallel runs that have started and not yet exited (0 when no run is under way). */
export function liveWorkerThreads(): number {
  return live;
}

/** A worker thread running replica-worker (see lib/worker-thread.ts for sources vs dist/). */
function startWorker(setup: ReplicaSetup, transfer: MessagePort[]): Worker {
  const w = startThread(path.join(__dirname, `replica-worker${path.extname(__filename)}`), { workerData: setup, transferList: transfer });
  live++;
  w.once("exit", () => live--);
  return w;
}

export class DataParallel {
  private readonly exchange: SharedExchange;
  private input: SharedInput;
  private generation = 0;
  private stepNumber = 0;
  private seq = 0;
  private closed = false;
  /** A step failed: the workers are stopping and answer no more commands. */
  private broken = false;

  private constructor(
    private readonly model: Model,
    private readonly shared: Shared,
    private readonly threads: Worker[],
    private readonly ports: MessagePort[],
    private readonly exits: Promise<unknown>[],
    input: SharedInput,
  ) {
    this.input = input;
    this.exchange = new SharedExchange(shared, 0);
    model.setGradientExchange(this.exchange);
  }

  /** Start `workers - 1` worker threads with replicas of `model` (compiled: its loss and optimiser are copied). */
  static async start(model: Model, workers: number, options: DataParallelOptions = {}): Promise<DataParallel> {
    if (!Number.isInteger(workers) || workers < 2) throw new Error(`DataParallel: workers must be an integer >= 2, got ${workers}`);
    const loss = model.loss;
    const optimizer = model.optimizer;
    if (!loss || !optimizer) throw new Error("DataParallel: compile the model first (fit does)");
    if (loss.inBatch) {
      throw new Error(`workers: ${workers} cannot split a batch for loss '${loss.name}': its value depends on the whole batch (in-batch softmax); train with workers: 1`);
    }
    if ((LOSSES as Record<string, unknown>)[loss.name] !== loss) throw new Error(`workers: ${workers} needs one of the kit's losses by name; '${loss.name}' is a loss object of your own`);
    const shared = new Shared(allocate(workers, model.countWeights()));
    const input = SharedInput.withCapacity(4096);
    const common = {
      buffers: shared.buffers,
      input: input.buffer,
      backend: tf.getBackend(),
      modules: (options.modules ?? []).map((m) => (m.startsWith(".") ? path.resolve(m) : m)),
      className: model.className,
      config: model.getConfig() as unknown as Record<string, unknown>,
      weights: [...model.getWeights()].map(([name, w]) => [name, w.shape, w.values] as [string, number[], Float32Array]),
      extras: Object.fromEntries(Object.entries(model.saveExtras()).map(([k, v]) => [k, typeof v === "string" ? v : new Uint8Array(v)])),
      loss: loss.name,
      optimizer: optimizer.getState(),
    };
    const threads: Worker[] = [];
    const ports: MessagePort[] = [];
    const exits: Promise<unknown>[] = [];
    const ready: Promise<void>[] = [];
    for (let k = 1; k < workers; k++) {
      const channel = new MessageChannel();
      const setup: ReplicaSetup = { ...common, k, port: channel.port2, ...(k === 1 && options.failAtStep ? { failAtStep: options.failAtStep } : {}) };
      const w = startWorker(setup, [channel.port2]);
      threads.push(w);
      ports.push(channel.port1);
      exits.push(new Promise((resolve) => w.once("exit", resolve)));
      ready.push(
        new Promise((resolve, reject) => {
          w.on("message", (m: { type: string; message?: string }) => (m.type === "ready" ? resolve() : reject(new Error(`worker ${k} could not start: ${m.message}`))));
          w.on("error", (err: Error) => reject(new Error(`worker ${k} could not start: ${err.message}`)));
          w.once("exit", (code) => reject(new Error(`worker ${k} exited (code ${code}) before it was ready`)));
        }),
      );
    }
    const parallel = new DataParallel(model, shared, threads, ports, exits, input);
    try {
      await Promise.all(ready);
    } catch (err) {
      await parallel.close();
      throw err;
    }
    return parallel;
  }

  get workers(): number {
    return this.shared.replicas;
  }

  /** One synchronous step on `batch`: every replica trains on its shard and applies the summed gradients. */
  step(batch: TrainBatch): void {
    if (this.closed) throw new Error("DataParallel.step: closed");
    const t0 = performance.now();
    this.write(batch);
    const s = this.shared;
    const c = s.control;
    Atomics.store(c, C.STEP, ++this.stepNumber);
    Atomics.store(c, C.CMD, CMD.STEP);
    s.signal(C.CMD_SEQ, ++this.seq);
    this.exchange.copyMs += performance.now() - t0;
    this.exchange.begin(this.stepNumber, batch.users.length);
    try {
      this.model.trainStep(shardOf(batch, s.replicas, 0));
    } catch (err) {
      // The workers may be waiting at this step's barrier for the main thread: release them (they stop), so that
      // nothing (a later stats() or close()) waits on them.
      this.broken = true;
      s.fail(-1, "the main thread's step failed");
      throw err;
    }
    this.exchange.record(performance.now() - t0);
  }

  /** The batch into shared memory (a bigger input buffer first, when it does not fit). */
  private write(batch: TrainBatch): void {
    const n = batch.users.length;
    if (n > this.input.capacity) {
      this.input = SharedInput.withCapacity(2 ** Math.ceil(Math.log2(n)));
      this.generation++;
      for (const p of this.ports) p.postMessage({ generation: this.generation, buffer: this.input.buffer });
      Atomics.store(this.shared.control, C.INPUT_GENERATION, this.generation);
    }
    const x = this.input;
    x.users.set(batch.users);
    x.items.set(batch.items);
    let fields = 0;
    if (batch.labels) (x.labels.set(batch.labels), (fields |= FIELD.LABELS));
    if (batch.negItems) (x.negItems.set(batch.negItems), (fields |= FIELD.NEG_ITEMS));
    if (batch.rows) (x.rows.set(batch.rows), (fields |= FIELD.ROWS));
    Atomics.store(this.shared.control, C.N, n);
    Atomics.store(this.shared.control, C.FIELDS, fields);
  }

  /** Steps so far, time per step of every replica, and every replica's live tensor count (asks the workers). */
  stats(): ParallelStats {
    const s = this.shared;
    if (this.broken || Atomics.load(s.control, C.FAILED) !== 0) throw new Error("DataParallel.stats: a step failed; the workers have stopped");
    Atomics.store(s.control, C.CMD, CMD.STATS);
    s.signal(C.CMD_SEQ, ++this.seq);
    for (let k = 1; k < s.replicas; k++) s.waitAtLeast(s.ack(k), this.seq, `worker ${k} reporting its stats`);
    s.stats[STATS.TENSORS] = tf.memory().numTensors;
    const timing: ReplicaTiming[] = [];
    const numTensors: number[] = [];
    for (let k = 0; k < s.replicas; k++) {
      const row = k * STATS.WIDTH;
      const steps = Math.max(1, s.stats[row + STATS.STEPS]!);
      timing.push({ computeMs: s.stats[row + STATS.COMPUTE_MS]! / steps, waitMs: s.stats[row + STATS.WAIT_MS]! / steps, copyMs: s.stats[row + STATS.COPY_MS]! / steps });
      numTensors.push(s.stats[row + STATS.TENSORS]!);
    }
    return { workers: s.replicas, steps: s.stats[STATS.STEPS]!, timing, numTensors };
  }

  /** Zero the timing counters (e.g. after a warm-up). */
  resetTimings(): void {
    this.shared.stats.fill(0);
  }

  /** Stop the workers and wait until their threads have exited; the model trains alone again. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.model.setGradientExchange(null);
    const s = this.shared;
    Atomics.store(s.control, C.CMD, CMD.STOP);
    s.signal(C.CMD_SEQ, ++this.seq);
    // A worker still in a step (the main thread failed mid-step) is released by the failure flag.
    if (Atomics.load(s.control, C.FAILED) === 0) s.fail(-1, "stopped");
    const grace = new Promise((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([Promise.all(this.exits), grace]);
    await Promise.all(this.threads.map((w) => w.terminate()));
    for (const p of this.ports) p.close();
  }
}
