/**
 * The figure builders (learning curves, metric bars, ablation heatmap, batch-size curve, embedding map, recall vs
 * speed): the traces and axes they build from plain data, the errors that name bad input, and a PNG render of
 * each that is not blank and shows the expected trace colours.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { PNG } from "pngjs";
import { evenlySpaced } from "../../lib/viz/embedding";
import { ablationHeatmap, batchSizeCurve, closeRenderer, embeddingMap, figureToPng, findChromium, learningCurves, metricBars, recallLatencyCurve, PALETTE, type Figure } from "../../lib/viz";
import { ablation, batchSizes, embeddingSample, learningRuns, metricRows, recallPoints } from "./samples";

after(closeRenderer);

const layoutOf = (f: Figure) => f.layout as Record<string, Record<string, unknown>>;

test("learningCurves: per run a solid train-loss line (left axis) and a dashed validation line (right axis) in one colour", () => {
  const f = learningCurves(learningRuns, { lossName: "BCE loss", metricName: "NDCG@10" });
  assert.equal(f.data.length, 6);
  for (let k = 0; k < 3; k++) {
    const [train, val] = [f.data[2 * k]!, f.data[2 * k + 1]!];
    assert.equal(train.name, `${learningRuns[k]!.name}: BCE loss`);
    assert.equal(train.yaxis, undefined);
    assert.equal(val.yaxis, "y2");
    assert.deepEqual(val.line, { color: PALETTE[k], dash: "dash" });
    assert.deepEqual(train.line, { color: PALETTE[k] });
  }
  assert.equal(f.data[3]!.y![5], null, "a NaN (epoch not validated) is a gap");
  assert.deepEqual(f.data[0]!.x, [1, 2, 3, 4, 5, 6]);
  const layout = layoutOf(f);
  assert.equal(layout.yaxis2!.overlaying, "y");
  assert.deepEqual(layout.yaxis!.title, { text: "BCE loss" });
  assert.deepEqual(layout.yaxis2!.title, { text: "NDCG@10" });
  assert.equal(layout.xaxis!.dtick, 1, "whole epochs");
  assert.throws(() => learningCurves([{ name: "a", trainLoss: [1, 2], validation: [0.1] }]), /learningCurves: run 'a': validation has 1 values but 2 were expected/);
  assert.throws(() => learningCurves([]), /learningCurves: runs is empty/);
});

test("metricBars: one trace per model over the metrics, error bars from std or from an interval", () => {
  const f = metricBars(metricRows, { title: "Models" });
  assert.deepEqual(f.data.map((t) => t.name), ["MostPopular", "MF", "NeuMF"]);
  assert.deepEqual(f.data[0]!.x, ["HR@10", "NDCG@10"]);
  const mf = f.data[1]!.error_y as { array: number[]; arrayminus: number[] };
  assert.ok(Math.abs(mf.array[0]! - 0.011) < 1e-12 && Math.abs(mf.arrayminus[0]! - 0.009) < 1e-12, "interval: asymmetric bar");
  const pop = f.data[0]!.error_y as { array: number[]; arrayminus: number[] };
  assert.deepEqual([pop.array[0], pop.arrayminus[0]], [0.004, 0.004]);
  assert.equal(layoutOf(f).barmode as unknown, "group");
  const byModel = metricBars(metricRows, { groupBy: "model" });
  assert.deepEqual(byModel.data.map((t) => t.name), ["HR@10", "NDCG@10"]);
  const missing = metricBars([{ model: "A", metric: "HR@10", mean: 0.1 }, { model: "B", metric: "NDCG@10", mean: 0.2 }]);
  assert.deepEqual(missing.data[0]!.y, [0.1, null], "a pair without a row is left empty");
  assert.throws(() => metricBars([...metricRows, metricRows[0]!]), /metricBars: rows\[6\] repeats model 'MostPopular', metric 'HR@10'/);
  assert.throws(() => metricBars([{ model: "A", metric: "m", mean: 0.5, std: 0.1, low: 0.4, high: 0.6 }]), /rows\[0\] \(model 'A', metric 'm'\): give either std or low and high/);
  assert.throws(() => metricBars([{ model: "A", metric: "m", mean: 0.5, low: 0.6, high: 0.4 }]), /the interval \[0\.6, 0\.4\] does not contain the mean 0\.5/);
});

test("ablationHeatmap: the grid as categories with every cell's number written in it", () => {
  const f = ablationHeatmap(ablation);
  const t = f.data[0]!;
  assert.deepEqual(t.x, ["0", "0.1", "0.3", "0.5"]);
  assert.deepEqual(t.y, ["0", "1e-6", "1e-4", "0.01"]);
  const text = t.text as string[][];
  assert.equal(text[2]![2], "0.097");
  assert.equal(text[3]![3], "", "a cell not run is blank");
  assert.equal((t.z as (number | null)[][])[3]![3], null);
  assert.equal(t.texttemplate, "%{text}");
  assert.equal(layoutOf(f).xaxis!.type, "category");
  assert.deepEqual(layoutOf(f).xaxis!.title, { text: "dropout" });
  assert.throws(() => ablationHeatmap({ ...ablation, values: ablation.values.slice(1) }), /values has 3 rows but yValues has 4/);
  assert.throws(() => ablationHeatmap({ ...ablation, xValues: [0, 0.1, 0.1, 0.5] }), /xValues lists 0\.1 twice/);
});

test("batchSizeCurve: sorted by batch size on a log axis ticked at each size; time on its own axis", () => {
  const f = batchSizeCurve(batchSizes);
  assert.deepEqual(f.data[0]!.x, [128, 256, 512, 1024, 2048, 4096]);
  assert.deepEqual(f.data[1]!.y, [7.9, 4.1, 2.3, 1.4, 1.1, 0.9], "times follow their batch sizes");
  assert.equal(f.data[1]!.yaxis, "y2");
  const x = layoutOf(f).xaxis!;
  assert.equal(x.type, "log");
  assert.deepEqual(x.ticktext, ["128", "256", "512", "1024", "2048", "4096"]);
  assert.throws(() => batchSizeCurve({ ...batchSizes, batchSizes: [0, 1, 2, 3, 4, 5] }), /batchSizeCurve: batchSizes\[0\] = 0/);
  assert.throws(() => batchSizeCurve({ ...batchSizes, metric: [1] }), /batchSizeCurve: metric has 1 values but 6 were expected/);
});

test("embeddingMap: PCA of every row, at most maxPoints drawn, one trace per category", () => {
  const input = embeddingSample();
  const f = embeddingMap(input);
  assert.equal(f.data.length, 4);
  assert.equal(f.data.reduce((s, t) => s + t.x!.length, 0), 2000, "capped at 2000 points");
  assert.match(String((layoutOf(f).xaxis!.title as { text: string }).text), /^PC1 \(\d+% of variance\)$/);
  assert.deepEqual(embeddingMap(input).data, f.data, "the same points every time");
  assert.deepEqual(evenlySpaced(10, 4), [0, 2, 5, 7], "rows spread over the table, not a prefix");
  assert.deepEqual(evenlySpaced(3, 4), [0, 1, 2]);
  assert.equal(embeddingMap({ ...input, maxPoints: 100 }).data.reduce((s, t) => s + t.x!.length, 0), 100);
  assert.throws(() => embeddingMap({ ...input, categories: ["a"] }), /embeddingMap: categories has 1 values but 3000 were expected/);
  assert.throws(() => embeddingMap({ vectors: new Float32Array(10), dim: 3 }), /vectors has 10 values, not a positive multiple of dim = 3/);
});

test("recallLatencyCurve: one line per index kind, sorted by speed, search widths as labels", () => {
  const f = recallLatencyCurve(recallPoints);
  assert.deepEqual(f.data.map((t) => t.name), ["exact", "faiss-ivf", "hnswlib"]);
  assert.deepEqual(f.data[2]!.x, [14000, 25600, 40000]);
  assert.deepEqual(f.data[2]!.text, ["ef 128", "ef 64", "ef 16"]);
  assert.equal(layoutOf(f).xaxis!.type, "log");
  const ms = recallLatencyCurve([{ kind: "a", recall: 0.9, msPerQuery: 2 }, { kind: "a", recall: 0.8, msPerQuery: 0.5 }]);
  assert.deepEqual(ms.data[0]!.x, [0.5, 2]);
  assert.match(String((layoutOf(ms).xaxis!.title as { text: string }).text), /milliseconds per query/);
  assert.throws(() => recallLatencyCurve(recallPoints, { x: "msPerQuery" }), /points\[0\] \(exact\) has msPerQuery = undefined/);
  assert.throws(() => recallLatencyCurve([{ kind: "a", recall: 1.5, queriesPerSecond: 10 }]), /recall = 1\.5, outside \[0, 1\]/);
});

// ---- PNG renders -------------------------------------------------------------------------------------------

const skip = findChromium() === null && process.env.RECSYS_REQUIRE_CHROMIUM !== "1" && "Chromium is not installed (apt-get install chromium)";

function rgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [v >> 16, (v >> 8) & 255, v & 255];
}

/** A colour drawn at `opacity` over white. */
const overWhite = (c: [number, number, number], opacity: number) => c.map((x) => Math.round(opacity * x + (1 - opacity) * 255)) as [number, number, number];

/** Renders the figure and checks its size and that it is not blank; returns a counter of pixels near a colour. */
async function render(f: Figure): Promise<(colour: [number, number, number], tol?: number) => number> {
  const png = PNG.sync.read(await figureToPng(f));
  const layout = f.layout ?? {};
  assert.equal(png.width, layout.width ?? 720);
  assert.equal(png.height, layout.height ?? 420);
  const colours = new Set<number>();
  let nonWhite = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 240 || g < 240 || b < 240) nonWhite++;
  }
  assert.ok(colours.size > 20, `only ${colours.size} distinct colours`);
  assert.ok(nonWhite > 2000, `only ${nonWhite} non-white pixels`);
  return ([r, g, b], tol = 12) => {
    let n = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      if (Math.abs(png.data[i]! - r) < tol && Math.abs(png.data[i + 1]! - g) < tol && Math.abs(png.data[i + 2]! - b) < tol) n++;
    }
    return n;
  };
}

/** Each of the first `count` palette colours covers at least `pixels` pixels. */
function assertPalette(near: (c: [number, number, number], tol?: number) => number, count: number, pixels: number, opacity = 1): void {
  for (let k = 0; k < count; k++) {
    const n = near(overWhite(rgb(PALETTE[k]!), opacity), 16);
    assert.ok(n >= pixels, `trace colour ${k + 1} (${PALETTE[k]}) covers ${n} pixels, expected at least ${pixels}`);
  }
  const next = near(overWhite(rgb(PALETTE[count]!), opacity), 8);
  assert.ok(next < pixels, `colour ${count + 1} (${PALETTE[count]}) appears on ${next} pixels but there are only ${count} traces' colours`);
}

test("PNG: learning curves show three runs' colours", { skip }, async () => {
  assertPalette(await render(learningCurves(learningRuns, { title: "Learning curves" })), 3, 100);
});

test("PNG: metric bars show three models' colours and their error bars", { skip }, async () => {
  const near = await render(metricBars(metricRows, { title: "Models" }));
  assertPalette(near, 3, 2000);
});

test("PNG: the ablation heatmap spans the Viridis scale (lowest cell dark purple, highest yellow)", { skip }, async () => {
  const near = await render(ablationHeatmap(ablation, { title: "Dropout x L2" }));
  assert.ok(near(rgb("#440154"), 10) > 2000, "the lowest cell (dark purple) is drawn");
  assert.ok(near(rgb("#fde725"), 10) > 2000, "the highest cell (yellow) is drawn");
});

test("PNG: the batch-size curve shows the metric and the time lines", { skip }, async () => {
  assertPalette(await render(batchSizeCurve(batchSizes, { title: "Batch size" })), 2, 100);
});

test("PNG: the embedding map shows four categories' colours", { skip }, async () => {
  // Markers are drawn at opacity 0.8 over white.
  assertPalette(await render(embeddingMap(embeddingSample(), { title: "Item embeddings" })), 4, 200, 0.8);
});

test("PNG: the recall curve shows three index kinds' colours", { skip }, async () => {
  assertPalette(await render(recallLatencyCurve(recallPoints, { title: "Recall vs speed" })), 3, 20);
});
