// danfojs-node is installed through overrides (a shim for its tfjs-node dependency, xlsx from the registry):
// this guards that it keeps loading and computing on the kit's own TensorFlow.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

test("danfojs-node reads a CSV and groups it, on the kit's TensorFlow.js", async () => {
  const dfd = require("danfojs-node") as typeof import("danfojs-node");
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dfd-")), "results.csv");
  fs.writeFileSync(file, "model,seed,hr\nMF,1,0.10\nMF,2,0.20\nNeuMF,1,0.30\nNeuMF,2,0.50\n");
  const df = await dfd.readCSV(file);
  assert.deepEqual(df.shape, [4, 3]);
  const means = df.groupby(["model"]).col(["hr"]).mean();
  const rows = dfd.toJSON(means, { format: "column" }) as { model: string; hr_mean: number }[];
  const byModel = Object.fromEntries(rows.map((r) => [r.model, r.hr_mean]));
  assert.ok(Math.abs(byModel.MF! - 0.15) < 1e-9 && Math.abs(byModel.NeuMF! - 0.4) < 1e-9, JSON.stringify(rows));
  // The shim hands danfojs the same tfjs-core the kit uses (one engine, one tensor registry).
  const tf = require("@tensorflow/tfjs") as typeof import("@tensorflow/tfjs");
  assert.ok(df.tensor instanceof tf.Tensor, "danfojs' tensors come from the kit's tfjs");
});
