/**
 * Training throughput: examples/s of MF and NeuMF (GMF 8 + MLP [64, 32, 16, 8], Adam, lr 1e-3, BCE) at batch
 * 256, 1024 and 4096 on the active backend, on random ids at MovieLens-100K sizes (943 users, 1682 items), and the
 * PyTorch reference (../shared/anchors/neumf_throughput_torch.py, when /usr/bin/python3 has torch) in the same run,
 * with the ratio. Prints one JSON object on stdout; progress on stderr.
 *
 *   node --import tsx bench/train.ts [--n 524288] [--repeats 3] [--batches 256,1024,4096]
 *                                    [--models mf,neumf,neumf-autodiff] [--no-torch] [--naive] [--torch-n 500000]
 *                                    [--workers 1,2]
 *
 * Each configuration runs `repeats` timed passes of n examples (after a warm-up); the best pass is the figure and
 * all passes are listed (the machine's cores are shared, so expect noise). PyTorch runs before and after the
 * kit's runs of each batch size (each run is already its best of 2 passes and of 1 or 2 threads); the better run
 * is its figure, so both sides get their best moment. `kernelsPerStep` counts the kernels one
 * training step launches (engine.runKernel calls, averaged over 20 steps). "neumf-autodiff" is the same NeuMF
 * written as an AutodiffModel (lib/models/autodiff-ncf.ts: tf ops, TensorFlow.js gradients, the kit's optimiser):
 * the price of the autodiff path that users' own models take. `--workers` (default 1 and 2, and the core count when
 * larger) trains each kit model data-parallel on that many threads (lib/train/parallel; rows "neumf" with
 * workers > 1 are named "neumf x2" etc.) and reports where each replica's step time went: compute, waiting at the
 * barrier (sync) and gradient copies and sums (copies), in ms per step. `cpuPerWall` is the process's CPU time over
 * wall time of each pass (all threads): about 1 on one thread and N on N threads of an otherwise idle machine; less
 * means the threads waited, or other processes had the cores. `cpuMsPerStep` is the CPU time of a step summed over
 * threads: what N workers add in work (copies, sums, spinning at the barrier), less sensitive to other load than
 * wall time. `--naive` adds the textbook loop (tf.train.adam +
 * autodiff through gatherND/scatterND lookups) as the "before" reference.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend, tfVersion } from "../lib/backend";
import { MF, NeuMF, autodiffNeuMF, type Model as TrainableModel, type TrainBatch } from "../lib/models";
import { embeddingLookup } from "../lib/nn/embedding";
import { Rng } from "../lib/random";
import { DataParallel, type ReplicaTiming } from "../lib/train/parallel";
import { arg, flag } from "./args";

const NUM_USERS = 943;
const NUM_ITEMS = 1682;
const ANCHOR = path.resolve(__dirname, "../../shared/anchors/neumf_throughput_torch.py");


/** Counts engine.runKernel calls while `f` runs. */
function countKernels(f: () => void): { total: number; byName: Record<string, number> } {
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
  const original = engine.runKernel;
  const byName: Record<string, number> = {};
  let total = 0;
  engine.runKernel = function (this: unknown, ...a: unknown[]) {
    total++;
    byName[a[0] as string] = (byName[a[0] as string] ?? 0) + 1;
    return original.apply(this, a);
  };
  try {
    f();
  } finally {
    engine.runKernel = original;
  }
  return { total, byName };
}

/** Random examples (ids uniform, labels 0/1), cut into batches once so data making is not timed. */
function makeBatches(n: number, batch: number, seed: number): TrainBatch[] {
  const rng = new Rng(seed);
  const out: TrainBatch[] = [];
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    out.push({
      users: Int32Array.from({ length: m }, () => rng.int(NUM_USERS)),
      items: Int32Array.from({ length: m }, () => rng.int(NUM_ITEMS)),
      labels: Float32Array.from({ length: m }, () => rng.int(2)),
    });
  }
  return out;
}

interface Trainer {
  step(b: TrainBatch): void;
  sync(): void;
  dispose(): void | Promise<void>;
  /** Data-parallel trainers: zero and read the per-replica timings. */
  resetTimings?(): void;
  timing?(): ReplicaTiming[];
}

type KitModel = "mf" | "neumf" | "neumf-autodiff";

async function kitTrainer(kind: KitModel, workers: number): Promise<Trainer> {
  const sizes = { numUsers: NUM_USERS, numItems: NUM_ITEMS };
  const model: TrainableModel =
    kind === "mf"
      ? new MF({ ...sizes, factors: 32 })
      : kind === "neumf"
        ? new NeuMF({ ...sizes, factors: 8, layers: [64, 32, 16, 8] })
        : autodiffNeuMF({ ...sizes, factors: 8, layers: [64, 32, 16, 8] });
  model.compile({ loss: "bce", optimizer: { name: "adam", learningRate: 1e-3 } });
  if (workers === 1) return { step: (b) => model.trainStep(b), sync: () => void model.takeLoss(), dispose: () => model.dispose() };
  const parallel = await DataParallel.start(model, workers);
  return {
    step: (b) => parallel.step(b),
    sync: () => void model.takeLoss(),
    dispose: async () => {
      await parallel.close();
      model.dispose();
    },
    resetTimings: () => parallel.resetTimings(),
    timing: () => parallel.stats().timing.map((t) => ({ computeMs: r3(t.computeMs), waitMs: r3(t.waitMs), copyMs: r3(t.copyMs) })),
  };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** The naive loop: tf.train.adam and autodiff through embeddingLookup (gatherND forward, scatterND backward). */
function naiveTrainer(): Trainer {
  const rng = new Rng(0);
  const v = (shape: number[], std: number) =>
    tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * std), shape));
  const gu = v([NUM_USERS, 8], 0.01), gi = v([NUM_ITEMS, 8], 0.01), mu = v([NUM_USERS, 32], 0.01), mi = v([NUM_ITEMS, 32], 0.01);
  const dense = [v([64, 32], 0.1), v([32], 0.1), v([32, 16], 0.1), v([16], 0.1), v([16, 8], 0.1), v([8], 0.1), v([16, 1], 0.1), v([1], 0.1)];
  const opt = tf.train.adam(1e-3);
  let lossSum: tf.Tensor = tf.scalar(0);
  return {
    step: (b) => {
      tf.tidy(() => {
        const u = tf.tensor2d(b.users, [b.users.length, 1], "int32");
        const i = tf.tensor2d(b.items, [b.items.length, 1], "int32");
        const y = tf.tensor2d(b.labels!, [b.labels!.length, 1]);
        const l = opt.minimize(() => {
          const g = tf.mul(embeddingLookup(gu, u), embeddingLookup(gi, i));
          let h: tf.Tensor2D = tf.concat([embeddingLookup(mu, u), embeddingLookup(mi, i)], 1);
          for (let k = 0; k < 3; k++) h = tf.relu(tf.add(tf.matMul(h, dense[2 * k]! as tf.Tensor2D), dense[2 * k + 1]!)) as tf.Tensor2D;
          const z = tf.add(tf.matMul(tf.concat([g, h], 1), dense[6]!), dense[7]!);
          return tf.losses.sigmoidCrossEntropy(y, z) as tf.Scalar;
        }, true)!;
        const next = tf.keep(tf.add(lossSum, l));
        lossSum.dispose();
        lossSum = next;
      });
    },
    sync: () => void lossSum.dataSync(),
    dispose: () => {
      for (const t of [gu, gi, mu, mi, ...dense, lossSum]) t.dispose();
      opt.dispose();
    },
  };
}

async function measure(make: () => Trainer | Promise<Trainer>, batch: number, n: number, repeats: number) {
  const batches = makeBatches(n, batch, batch);
  const trainer = await make();
  try {
    // Warm-up (operator caches, optimiser state, JIT), then kernels per step and memory.
    for (let s = 0; s < 5; s++) trainer.step(batches[s % batches.length]!);
    trainer.sync();
    const steps = 20;
    const counted = countKernels(() => {
      for (let s = 0; s < steps; s++) trainer.step(batches[s % batches.length]!);
    });
    trainer.sync();
    const tensorsBefore = tf.memory().numTensors;
    trainer.resetTimings?.();
    const passes: number[] = [];
    const cpuPerWall: number[] = [];
    const cpuMsPerStep: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (const b of batches) trainer.step(b);
      trainer.sync();
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      passes.push(Math.round(n / (wall / 1000)));
      cpuPerWall.push(Math.round(((cpu.user + cpu.system) / 1000 / wall) * 100) / 100);
      cpuMsPerStep.push(r3((cpu.user + cpu.system) / 1000 / batches.length));
    }
    const byName = Object.fromEntries(
      Object.entries(counted.byName)
        .map(([k, c]) => [k, Math.round((c / steps) * 10) / 10] as const)
        .sort((a, b) => b[1] - a[1]),
    );
    return {
      exPerSec: Math.max(...passes),
      passes,
      cpuPerWall,
      cpuMsPerStep,
      kernelsPerStep: Math.round((counted.total / steps) * 10) / 10,
      kernelsByName: byName,
      tensorLeakPerPass: (tf.memory().numTensors - tensorsBefore) / repeats,
      ...(trainer.timing ? { msPerStepByReplica: trainer.timing() } : {}),
    };
  } finally {
    await trainer.dispose();
  }
}

function hasTorch(): boolean {
  if (!fs.existsSync("/usr/bin/python3") || !fs.existsSync(ANCHOR)) return false;
  return spawnSync("/usr/bin/python3", ["-c", "import torch"], { encoding: "utf8" }).status === 0;
}

function torchRun(n: number, batch: number): Record<string, unknown> | { error: string } {
  const r = spawnSync("/usr/bin/python3", [ANCHOR, String(n), String(batch)], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) return { error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split("\n").slice(-1)[0]! };
  try {
    return JSON.parse(r.stdout.trim().split("\n").slice(-1)[0]!);
  } catch {
    return { error: `unparsable output: ${r.stdout.slice(0, 200)}` };
  }
}

async function main() {
  const info = await initBackend();
  const n = Number(arg("n", "524288"));
  const repeats = Number(arg("repeats", "3"));
  const batchSizes = arg("batches", "256,1024,4096").split(",").map(Number);
  const models = arg("models", "mf,neumf,neumf-autodiff").split(",") as KitModel[];
  const torchN = Number(arg("torch-n", "500000"));
  const workerCounts = arg("workers", [...new Set([1, 2, os.cpus().length])].sort((a, b) => a - b).join(",")).split(",").map(Number);
  const withTorch = !flag("no-torch") && hasTorch();
  const log = (s: string) => process.stderr.write(s + "\n");

  const results: Record<string, unknown>[] = [];
  const torch: Record<string, unknown>[] = [];
  for (const batch of batchSizes) {
    // PyTorch before and after the kit's runs (best of the two), so both see the machine's load of the moment.
    const torchRuns: Record<string, unknown>[] = [];
    if (withTorch) {
      log(`torch batch ${batch} ...`);
      torchRuns.push(torchRun(torchN, batch));
    }
    for (const kind of models) {
      for (const workers of workerCounts) {
        const name = workers === 1 ? kind : `${kind} x${workers}`;
        log(`${name} batch ${batch} ...`);
        results.push({ model: name, workers, batch, ...(await measure(() => kitTrainer(kind, workers), batch, n, repeats)) });
      }
    }
    if (flag("naive")) {
      log(`neumf-naive batch ${batch} ...`);
      results.push({ model: "neumf-naive", batch, ...(await measure(naiveTrainer, batch, Math.min(n, 131072), Math.min(repeats, 2))) });
    }
    if (withTorch) {
      log(`torch batch ${batch} ...`);
      torchRuns.push(torchRun(torchN, batch));
      const rates = torchRuns.map((t) => (typeof t.ex_per_s === "number" ? t.ex_per_s : 0));
      const best = torchRuns[rates.indexOf(Math.max(...rates))]!;
      torch.push({ batch, ex_per_s: best.ex_per_s, threads: best.threads, torch: best.torch, runs: torchRuns });
    }
  }
  const summary: Record<string, unknown> = {};
  for (const r of results) {
    const t = torch.find((x) => x.batch === r.batch);
    summary[`${r.model}@${r.batch}`] = {
      exPerSec: r.exPerSec,
      kernelsPerStep: r.kernelsPerStep,
      cpuPerWall: r.cpuPerWall,
      cpuMsPerStep: r.cpuMsPerStep,
      ...(r.msPerStepByReplica ? { msPerStepByReplica: r.msPerStepByReplica } : {}),
      ...(t && typeof t.ex_per_s === "number" && String(r.model).startsWith("neumf") ? { torch: t.ex_per_s, ratio: Math.round(((r.exPerSec as number) / t.ex_per_s) * 100) / 100 } : {}),
    };
  }
  const out = {
    bench: "train",
    backend: info.backend,
    tfjs: tfVersion(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    sizes: { numUsers: NUM_USERS, numItems: NUM_ITEMS },
    config: {
      mf: "MF factors 32, biases, BCE, Adam 1e-3",
      neumf: "NeuMF GMF 8 + MLP [64,32,16,8], BCE, Adam 1e-3 (hand-written backward)",
      "neumf-autodiff": "the same NeuMF as an AutodiffModel (TensorFlow.js gradients, the kit's Adam)",
      "x N": "data-parallel on N threads (lib/train/parallel); msPerStepByReplica: compute / waitMs (barrier) / copyMs (gradient copies and sums), replica 0 = main thread",
      workers: workerCounts,
      n,
      repeats,
    },
    results,
    torch: withTorch ? torch : "not measured (no /usr/bin/python3 with torch, or --no-torch)",
    summary,
  };
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + "\n");
  process.exit(1);
});
