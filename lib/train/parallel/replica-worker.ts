/**
 * A worker thread of data-parallel training (replicas.ts starts it): it loads the modules it was told to (so users'
 * registerModelClass calls run here too), starts its own TensorFlow.js backend, rebuilds the model from its class
 * name, config and weights (and the optimiser's state, so a second fit continues exactly), then serves commands
 * from shared memory until told to stop: on each step it trains on its shard of the batch, its gradients meeting
 * the other replicas' in the exchange.
 *
 * The command loop is synchronous (Atomics.wait), so the thread never returns to its event loop while training;
 * every error is caught and written to shared memory for the main thread, which is blocked and cannot take messages.
 */
import * as path from "path";
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../backend";
import { modelFactory, registeredModelClasses } from "../../models/io";
import type { Model } from "../../models/model";
import type { TrainBatch } from "../../models/batch";
import { getLoss, type LossName } from "../../nn/losses";
import { Optimizer, optimizerOptionsOf, type OptimizerState } from "../../nn/optimizers";
import type { WeightMap } from "../../nn/params";
import { SharedExchange } from "./exchange";
import { C, CMD, FIELD, ReplicaStopped, STATS, Shared, SharedInput, shardOf, spinUntil, type SharedBuffers } from "./shared";

/** What the main thread sends a replica once, when it starts. */
export interface ReplicaSetup {
  k: number;
  buffers: SharedBuffers;
  input: SharedArrayBuffer;
  port: MessagePort;
  backend: string;
  modules: string[];
  className: string;
  config: Record<string, unknown>;
  weights: [string, number[], Float32Array][];
  extras: Record<string, Uint8Array | string>;
  loss: LossName;
  optimizer: OptimizerState;
  /** Test hook: throw in the step with this number (1-based). */
  failAtStep?: number;
}

const setup = workerData as ReplicaSetup;
const shared = new Shared(setup.buffers);

async function build(): Promise<{ model: Model; exchange: SharedExchange }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const m of setup.modules) require(m);
  await initBackend({ backend: setup.backend });
  const factory = modelFactory(setup.className);
  if (!factory) {
    throw new Error(
      `model class '${setup.className}' is not registered in the worker thread (registered: ${registeredModelClasses().join(", ")}); ` +
        `pass fit's workerModules the module that calls registerModelClass('${setup.className}', ...)`,
    );
  }
  const weights: WeightMap = new Map(setup.weights.map(([name, shape, values]) => [name, { shape, values }]));
  const read = async (file: string) => {
    const x = setup.extras[file];
    if (x === undefined) throw new Error(`the model asked for file '${file}', which its saveExtras() did not give`);
    return Buffer.from(x as Uint8Array);
  };
  const model = await factory(setup.config, weights, read);
  model.useReplicaDropout(setup.k);
  const optimizer = new Optimizer(optimizerOptionsOf(setup.optimizer.config));
  optimizer.setState(setup.optimizer);
  model.compile({ loss: getLoss(setup.loss), optimizer });
  const exchange = new SharedExchange(shared, setup.k);
  model.setGradientExchange(exchange);
  return { model, exchange };
}

/** The batch in shared memory (copies: a shard outlives the next batch's write only in this replica's step). */
function readBatch(input: SharedInput): TrainBatch {
  const n = Atomics.load(shared.control, C.N);
  const fields = Atomics.load(shared.control, C.FIELDS);
  return {
    users: input.users.slice(0, n),
    items: input.items.slice(0, n),
    labels: fields & FIELD.LABELS ? input.labels.slice(0, n) : undefined,
    negItems: fields & FIELD.NEG_ITEMS ? input.negItems.slice(0, n) : undefined,
    rows: fields & FIELD.ROWS ? input.rows.slice(0, n) : undefined,
  };
}

/** Wait for the command after `seen` (no stall limit: the main thread may be validating for minutes). */
function nextCommand(seen: number): number {
  spinUntil(shared.control, C.CMD_SEQ, seen + 1, performance.now());
  for (;;) {
    const seq = Atomics.load(shared.control, C.CMD_SEQ);
    if (seq > seen) return seq;
    const failed = shared.failure();
    if (failed) throw failed;
    Atomics.wait(shared.control, C.CMD_SEQ, seq, 200);
  }
}

function serve(model: Model, exchange: SharedExchange): void {
  let input = new SharedInput(setup.input);
  let generation = 0;
  let seen = 0;
  const k = setup.k;
  for (;;) {
    seen = nextCommand(seen);
    const cmd = Atomics.load(shared.control, C.CMD);
    if (cmd === CMD.STOP) return;
    if (cmd === CMD.STATS) {
      shared.stats[k * STATS.WIDTH + STATS.TENSORS] = tf.memory().numTensors;
      shared.signal(shared.ack(k), seen);
      continue;
    }
    const gen = Atomics.load(shared.control, C.INPUT_GENERATION);
    if (gen !== generation) {
      // A bigger batch came: the main thread posted the new input buffer before raising the generation.
      let m = receiveMessageOnPort(setup.port);
      while (m && (m.message as { generation: number }).generation !== gen) m = receiveMessageOnPort(setup.port);
      if (!m) throw new Error(`worker ${k}: the input buffer of generation ${gen} did not arrive`);
      input = new SharedInput((m.message as { buffer: SharedArrayBuffer }).buffer);
      generation = gen;
    }
    const step = Atomics.load(shared.control, C.STEP);
    const batch = readBatch(input);
    if (setup.failAtStep === step) throw new Error(`injected failure at step ${step} (test hook)`);
    const t0 = performance.now();
    exchange.begin(step, batch.users.length);
    model.trainStep(shardOf(batch, shared.replicas, k));
    exchange.record(performance.now() - t0);
    shared.signal(shared.ack(k), seen);
  }
}

/** Set once this replica ends as planned (stopped, or its failure already reported). */
let ended = false;

async function main(): Promise<void> {
  let built: { model: Model; exchange: SharedExchange } | null = null;
  try {
    built = await build();
  } catch (err) {
    ended = true;
    parentPort!.postMessage({ type: "error", message: messageOf(err) });
    return;
  }
  parentPort!.postMessage({ type: "ready" });
  try {
    serve(built.model, built.exchange);
    ended = true;
  } catch (err) {
    ended = true;
    if (!(err instanceof ReplicaStopped)) shared.fail(setup.k + 1, messageOf(err));
  } finally {
    built.model.dispose();
    setup.port.close();
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// A module that calls process.exit, or anything else that ends the thread without an error, must still free the
// others: they would wait at the barrier for this replica.
process.on("exit", () => ended || shared.fail(setup.k + 1, `the worker thread exited during training (from ${path.basename(__filename)})`));

void main();
