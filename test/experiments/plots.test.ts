/** The experiment's figures as data: which runs, which traces, which axis scale (PNG rendering is tested in viz). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { experimentBars, experimentCurves } from "../../lib/experiments/plots";
import type { RunResult } from "../../lib/experiments/runs";
import { summarizeRuns } from "../../lib/experiments/experiment";

const run = (label: string, seed: number, losses: number[], validation?: number[]): RunResult => ({
  id: `${label}${seed}`,
  label,
  model: label,
  configuration: "{}",
  seed,
  metrics: { ndcg: 0.1 + seed / 100, hr: 0.2 },
  perUser: { users: [], hr: [], ndcg: [] },
  history: losses.map((trainLoss, i) => ({ epoch: i + 1, trainLoss, ...(validation ? { validation: { "ndcg@10": validation[i]! } } : {}) })),
  trainSeconds: 1,
  examplesPerSecond: 1,
  epochs: losses.length,
  seconds: 1,
});

test("learning curves: the first seed's trained runs, validation on the second axis, a log scale for mixed losses", () => {
  const runs = [run("pop", 0, []), run("MF", 0, [0.5, 0.4], [0.1, 0.12]), run("MF", 1, [0.6, 0.5]), run("Two-Tower", 0, [6.2, 5.9], [0.09, 0.1])];
  const fig = experimentCurves({ runs })!;
  const names = fig.data.map((t) => t.name);
  assert.deepEqual(names, ["MF: train loss", "MF: validation NDCG@10", "Two-Tower: train loss", "Two-Tower: validation NDCG@10"]);
  assert.equal((fig.layout!.yaxis as { type?: string }).type, "log", "BCE and softmax losses differ 12x: log scale");
  const same = experimentCurves({ runs: [run("MF", 0, [0.5, 0.4]), run("NeuMF", 0, [0.45, 0.3])] })!;
  assert.equal((same.layout!.yaxis as { type?: string }).type, undefined, "losses of one kind: linear scale");
  assert.equal(same.data.length, 2, "no validation traces without a validation split");
  assert.equal(experimentCurves({ runs: [run("pop", 0, [])] }), null, "nothing trained, no figure");
});

test("metric bars: one bar per model and metric with the 95% interval", () => {
  const runs = [run("A", 0, []), run("A", 1, []), run("B", 0, [])];
  const fig = experimentBars({ summary: summarizeRuns(runs) }, ["ndcg"]);
  assert.equal(fig.data.length, 2);
  const a = fig.data[0]! as { y: number[]; error_y: { array: number[] } };
  assert.ok(Math.abs(a.y[0]! - 0.105) < 1e-12);
  // Two seeds 0.10 and 0.11: sd 0.00707, t(0.975, 1) = 12.706, half-width 12.706 x 0.00707 / sqrt(2) = 0.0635.
  assert.ok(Math.abs(a.error_y.array[0]! - 0.0635310) < 1e-6, String(a.error_y.array[0]));
  assert.throws(() => experimentBars({ summary: summarizeRuns(runs) }, ["auc"]), /no summary rows for auc/);
});
