/**
 * Probe: A/B of a switch in the same process, alternating runs so both see the same machine load.
 *   node --import tsx bench/ab.ts [--switch fused-adam|padding|weight-grad|row-kernels|glue-kernels|all-kernels|factored-input|factored-auto] [--model neumf|mf] [--batches 256,1024,4096] [--rounds 4]
 * Prints the best examples/s of each arm per batch size.
 */
import { initBackend } from "../lib/backend";
import { MF, NeuMF, type TrainBatch } from "../lib/models";
import { setRowPadding } from "../lib/models/batch";
import { disableFusedAdam } from "../lib/nn/kernels/adam";
import { disableWeightGradKernel } from "../lib/nn/kernels/weight-grad";
import { disableRowKernels } from "../lib/nn/kernels/rows";
import { disableGlueKernels } from "../lib/nn/kernels/glue";
import { setFactoredInput } from "../lib/models/factored-input";
import { Rng } from "../lib/random";
import { arg } from "./args";


async function main() {
  await initBackend();
  const sw = arg("switch", "fused-adam");
  const kind = arg("model", "neumf");
  const rounds = Number(arg("rounds", "4"));
  const set = (on: boolean) => {
    if (sw === "fused-adam") disableFusedAdam(!on);
    else if (sw === "padding") setRowPadding(on ? "auto" : "never");
    else if (sw === "weight-grad") disableWeightGradKernel(!on);
    else if (sw === "row-kernels") disableRowKernels(!on);
    else if (sw === "glue-kernels") disableGlueKernels(!on);
    // factored-input: always vs never; factored-auto: the default rule vs never.
    else if (sw === "factored-input") setFactoredInput(on ? "always" : "never");
    else if (sw === "factored-auto") setFactoredInput(on ? "auto" : "never");
    else if (sw === "all-kernels") (disableRowKernels(!on), disableWeightGradKernel(!on), disableFusedAdam(!on), disableGlueKernels(!on));
    else throw new Error(`unknown switch ${sw}`);
  };
  for (const B of arg("batches", "256,1024,4096").split(",").map(Number)) {
    const rng = new Rng(B);
    const n = Number(arg("n", "131072"));
    const batches: TrainBatch[] = Array.from({ length: Math.ceil(n / B) }, () => ({
      users: Int32Array.from({ length: B }, () => rng.int(943)),
      items: Int32Array.from({ length: B }, () => rng.int(1682)),
      labels: Float32Array.from({ length: B }, () => rng.int(2)),
    }));
    const best = { on: 0, off: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const on of r % 2 ? [true, false] : [false, true]) {
        set(on);
        const m = kind === "mf" ? new MF({ numUsers: 943, numItems: 1682 }) : new NeuMF({ numUsers: 943, numItems: 1682 });
        m.compile({ optimizer: { name: "adam" } });
        for (const b of batches.slice(0, 5)) m.trainStep(b);
        m.takeLoss();
        const t0 = performance.now();
        for (const b of batches) m.trainStep(b);
        m.takeLoss();
        const rate = Math.round((batches.length * B) / ((performance.now() - t0) / 1000));
        best[on ? "on" : "off"] = Math.max(best[on ? "on" : "off"], rate);
        m.dispose();
      }
    }
    setFactoredInput("auto");
    set(true);
    console.log(JSON.stringify({ switch: sw, model: kind, batch: B, on: best.on, off: best.off, gain: Math.round((best.on / best.off) * 100) / 100 }));
  }
}
main();
