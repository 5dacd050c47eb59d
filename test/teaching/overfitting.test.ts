import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { History } from "../../lib/train/trainer";
import type { DeepRun } from "../../lib";
import { checkDropoutGap, checkL2FromHeatmap, checkEarlyStop, bestL2AtNoDropout, initBackend, bestCell, lossGap, ndcgDrop, validationSeries, gapCurves, loadOverfittingData, trainDeep, regularisationGrid, batchSizeSweep } from "../../lib";

const epoch = (n: number, trainLoss: number, validation?: Record<string, number>) => ({ epoch: n, trainLoss, examples: 10, trainSeconds: 1, examplesPerSecond: 10, validation });
const history = (epochs: ReturnType<typeof epoch>[]): History => ({ epochs, stoppedEarly: false, restoredBest: false, seconds: 1 });

test("lossGap: validation loss - training loss at the last validated epoch, or at a given epoch", () => {
  const h = history([epoch(1, 0.5, { loss: 0.45, "ndcg@10": 0.1 }), epoch(2, 0.3, { loss: 0.5, "ndcg@10": 0.12 }), epoch(3, 0.1)]);
  assert.ok(Math.abs(lossGap(h) - 0.2) < 1e-12);
  assert.ok(Math.abs(lossGap(h, 1) - -0.05) < 1e-12);
  assert.throws(() => lossGap(h, 3), /epoch 3 has a validation 'loss'/);
  assert.throws(() => lossGap(history([epoch(1, 0.5)])), /no epoch has a validation 'loss'/);
});

test("ndcgDrop: best validated NDCG minus the last validated one; validationSeries has NaN for gaps", () => {
  const h = history([epoch(1, 0.5, { "ndcg@10": 0.1 }), epoch(2, 0.4, { "ndcg@10": 0.15 }), epoch(3, 0.3), epoch(4, 0.2, { "ndcg@10": 0.11 })]);
  assert.ok(Math.abs(ndcgDrop(h) - 0.04) < 1e-12);
  assert.deepEqual(validationSeries(h, "ndcg@10").map((v) => (Number.isNaN(v) ? "gap" : v)), [0.1, 0.15, "gap", 0.11]);
  assert.equal(ndcgDrop(history([epoch(1, 0.5, { "ndcg@10": 0.1 }), epoch(2, 0.4, { "ndcg@10": 0.2 })])), 0);
  assert.throws(() => ndcgDrop(h, 5), /ndcg@5/);
});

test("bestCell picks the largest value and names its row and column", () => {
  const best = bestCell({ xLabel: "dropout", yLabel: "L2", xValues: [0, 0.5], yValues: ["0", "1e-4"], values: [[0.1, 0.3], [0.2, 0.25]] });
  assert.deepEqual(best, { x: 0.5, y: "0", value: 0.3 });
});

test("a tiny sparse world: the split, one run per grid cell and batch size, restored early stopping, one-axis gap curves", async () => {
  await initBackend();
  const data = await loadOverfittingData({ dataset: "ml-100k", dataDir: "/nonexistent", synthetic: { numUsers: 60, numItems: 120, interactionsPerUser: 8, seed: 1 } });
  assert.equal(data.name, "synthetic", "falls back to the synthetic world when the MovieLens files are absent");
  assert.equal(data.validation.length, data.test.length);
  assert.equal(data.train.length + data.validation.length + data.test.length > 60 * 3, true);
  const model = { factors: 8, layers: [16, 8], seed: 0 };
  const grid = await regularisationGrid(data, { model, dropouts: [0, 0.5], l2s: [0, 1e-3], epochs: 2, learningRate: 0.01, validateEvery: 2 });
  assert.equal(grid.runs.length, 4);
  assert.equal(grid.at(0.5, 0).label, "dropout 0.5, L2 0");
  assert.equal(grid.at(0, 1e-3).label, "dropout 0, L2 0.001");
  assert.deepEqual(grid.ndcg.values[1], [grid.at(0, 1e-3).ndcg, grid.at(0.5, 1e-3).ndcg]);
  assert.throws(() => grid.at(0.2, 0), /not in the grid/);
  assert.equal(bestL2AtNoDropout(grid, [0, 1e-3]), 1e-3, "the only λ > 0");
  for (const r of grid.runs) assert.equal(validationSeries(r.history, "loss").filter((v) => !Number.isNaN(v)).length, 1, "validated once");
  const sweep = await batchSizeSweep(data, { model, batchSizes: [64, 512], epochs: 1 });
  assert.deepEqual(sweep.points.batchSizes, [64, 512]);
  assert.ok(Array.from(sweep.points.secondsPerEpoch).every((s) => s > 0));
  const stopped = await trainDeep(data, "stop", { model, epochs: 6, learningRate: 0.05, earlyStopping: { monitor: "loss", patience: 1 } });
  const best = stopped.history.best!;
  if (stopped.history.restoredBest) {
    assert.equal(stopped.gap, lossGap(stopped.history, best.epoch));
    assert.equal(stopped.ndcg, stopped.history.epochs[best.epoch - 1]!.validation!["ndcg@10"]);
  }
  const fig = gapCurves([stopped, grid.runs[0]!]);
  assert.equal(fig.data.length, 4);
  assert.equal((fig.data[0]!.line as { color: string }).color, (fig.data[1]!.line as { color: string }).color);
  assert.equal((fig.data[1]!.line as { dash?: string }).dash, "dash");
  assert.equal(fig.data.some((t) => t.yaxis), false, "one axis");
});

test("the exercise checks accept a right answer and reject the unsolved starting point", () => {
  const file = path.join(os.tmpdir(), `overfitting-checks-${process.pid}.json`);
  const saved = process.env.RECSYS_RECORD_FILE;
  process.env.RECSYS_RECORD_FILE = file;
  const log = console.log;
  console.log = () => {};
  try {
    const run = (gap: number, ndcg: number, epochs = 8, stoppedEarly = false) =>
      ({ label: "r", gap, ndcg, bestNdcg: ndcg, ndcgDrop: 0, secondsPerEpoch: 1, history: { ...history(Array.from({ length: epochs }, (_, i) => epoch(i + 1, 0.1))), stoppedEarly } }) as DeepRun;
    const unregularised = run(1.0, 0.06);
    const verdict = (id: string) => (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, { passed: boolean }>)[`exercise:${id}`]!.passed;
    checkDropoutGap(unregularised, unregularised);
    assert.equal(verdict("03-dropout-gap"), false);
    checkDropoutGap(run(0.05, 0.09), unregularised);
    assert.equal(verdict("03-dropout-gap"), true);
    checkDropoutGap(run(0.05, 0.05), unregularised);
    assert.equal(verdict("03-dropout-gap"), false, "closing the gap by losing NDCG does not count");
    checkL2FromHeatmap(unregularised, unregularised, { l2: 0, heatmapL2: 1e-4 });
    assert.equal(verdict("03-l2-heatmap"), false);
    checkL2FromHeatmap(run(0.0, 0.09), unregularised, { l2: 1e-4, heatmapL2: 1e-4 });
    assert.equal(verdict("03-l2-heatmap"), true);
    checkEarlyStop(unregularised, { stopping: undefined, patience: 2, stoppedAt: 0 });
    assert.equal(verdict("03-early-stop"), false);
    checkEarlyStop(run(0.2, 0.09, 3, true), { stopping: { monitor: "ndcg@10", patience: 2 }, patience: 2, stoppedAt: 3 });
    assert.equal(verdict("03-early-stop"), true);
    checkEarlyStop(run(0.2, 0.09, 3, true), { stopping: { monitor: "ndcg@10", patience: 2 }, patience: 2, stoppedAt: 1 });
    assert.equal(verdict("03-early-stop"), false, "the best epoch is not the epoch it stopped at");
  } finally {
    console.log = log;
    if (saved === undefined) delete process.env.RECSYS_RECORD_FILE;
    else process.env.RECSYS_RECORD_FILE = saved;
    fs.rmSync(file, { force: true });
  }
});
