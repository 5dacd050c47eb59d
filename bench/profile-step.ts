/**
 * Probe: where one training step's time goes, kernel by kernel (wasm runs kernels synchronously, so the wall time
 * of each engine.runKernel call is its cost including engine overhead). Prints a table per batch size.
 *   node --import tsx bench/profile-step.ts [--model neumf|mf] [--batches 256,1024,4096] [--steps 200] [--factored auto|always|never]
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend";
import { MF, NeuMF, type Model as TrainableModel, type TrainBatch } from "../lib/models";
import { setFactoredInput, type FactoredInputMode } from "../lib/models/factored-input";
import { Rng } from "../lib/random";
import { arg } from "./args";


async function main() {
  await initBackend();
  const kind = arg("model", "neumf");
  const steps = Number(arg("steps", "200"));
  setFactoredInput(arg("factored", "auto") as FactoredInputMode);
  for (const B of arg("batches", "256,1024,4096").split(",").map(Number)) {
    const rng = new Rng(B);
    const batches: TrainBatch[] = Array.from({ length: 16 }, () => ({
      users: Int32Array.from({ length: B }, () => rng.int(943)),
      items: Int32Array.from({ length: B }, () => rng.int(1682)),
      labels: Float32Array.from({ length: B }, () => rng.int(2)),
    }));
    const model: TrainableModel = kind === "mf" ? new MF({ numUsers: 943, numItems: 1682 }) : new NeuMF({ numUsers: 943, numItems: 1682 });
    model.compile({ loss: "bce", optimizer: { name: "adam", learningRate: 1e-3 } });
    for (let s = 0; s < 10; s++) model.trainStep(batches[s % 16]!);
    model.takeLoss();
    const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
    const original = engine.runKernel;
    const times = new Map<string, { ms: number; calls: number }>();
    let depth = 0;
    engine.runKernel = function (this: unknown, ...a: unknown[]) {
      const [name, inputs, attrs] = a as [string, Record<string, tf.Tensor>, Record<string, unknown>];
      if (depth > 0) return original.apply(this, a);
      const key = `${name}(${Object.values(inputs).map((t) => t?.shape?.join("x")).join(", ")})${attrs?.activation ? "+" + attrs.activation : ""}`;
      depth++;
      const t0 = performance.now();
      try {
        return original.apply(this, a);
      } finally {
        depth--;
        const e = times.get(key) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls++;
        times.set(key, e);
      }
    };
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) model.trainStep(batches[s % 16]!);
    model.takeLoss();
    const total = (performance.now() - t0) / steps;
    engine.runKernel = original;
    const t1 = performance.now();
    for (let s = 0; s < steps; s++) model.trainStep(batches[s % 16]!);
    model.takeLoss();
    const unprofiled = (performance.now() - t1) / steps;
    const inKernels = [...times.values()].reduce((a, b) => a + b.ms, 0) / steps;
    console.log(`\n${kind} batch ${B}: ${(unprofiled * 1000).toFixed(0)} us/step unprofiled (${Math.round(B / unprofiled * 1000)} ex/s); profiled ${(total * 1000).toFixed(0)} us, in kernels ${(inKernels * 1000).toFixed(0)} us`);
    const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
    for (const [k, v] of rows.slice(0, Number(arg("top", "30")))) {
      console.log(`${((v.ms / steps) * 1000).toFixed(1).padStart(8)} us  ${(v.calls / steps).toFixed(1).padStart(4)}x  ${k}`);
    }
    model.dispose();
  }
}
main();
