/**
 * Figures of comparisons: models side by side on several metrics with their uncertainty, and a grid of ablation
 * results (e.g. dropout x L2 -> validation NDCG@10). Plain rows in, e.g. from a results table's records.
 */
import { colourAt, layoutFor, type ChartOptions, type Figure } from "./figure";

/** One bar of metricBars: a model's result on one metric, with an error bar. */
export interface MetricBar {
  model: string;
  metric: string;
  /** Height of the bar, e.g. the mean over seeds. */
  mean: number;
  /** Symmetric error bar mean ± std (e.g. the standard deviation over seeds). */
  std?: number;
  /** Or an interval, e.g. a 95% confidence interval: the bar runs from low to high (both needed). */
  low?: number;
  high?: number;
}

export interface MetricBarOptions extends ChartOptions {
  /** "metric" (default): one group of bars per metric, one colour per model; "model": the other way round. */
  groupBy?: "metric" | "model";
}

/**
 * Grouped bars with error bars. By default the x axis lists the metrics and each model is one colour, so the
 * models are compared within each metric. A (model, metric) pair without a row is left empty; two rows for the
 * same pair are an error. An error bar that excludes its own mean is an error too (low/high swapped?).
 */
export function metricBars(rows: readonly MetricBar[], options: MetricBarOptions = {}): Figure {
  if (rows.length === 0) throw new Error("metricBars: rows is empty; pass { model, metric, mean, std? | low?, high? } rows");
  const groupBy = options.groupBy ?? "metric";
  if (groupBy !== "metric" && groupBy !== "model") throw new Error(`metricBars: groupBy must be 'metric' or 'model', got '${groupBy}'`);
  const groupOf = (r: MetricBar) => (groupBy === "metric" ? r.metric : r.model);
  const seriesOf = (r: MetricBar) => (groupBy === "metric" ? r.model : r.metric);
  const groups = [...new Set(rows.map(groupOf))];
  const series = [...new Set(rows.map(seriesOf))];
  const cell = new Map<string, { mean: number; plus: number; minus: number }>();
  rows.forEach((r, k) => {
    const key = JSON.stringify([r.model, r.metric]);
    if (cell.has(key)) throw new Error(`metricBars: rows[${k}] repeats model '${r.model}', metric '${r.metric}'`);
    cell.set(key, { mean: r.mean, ...errorBar(r, k) });
  });
  const data = series.map((s, k) => {
    const at = groups.map((g) => cell.get(JSON.stringify(groupBy === "metric" ? [s, g] : [g, s])));
    return {
      type: "bar",
      name: s,
      x: groups,
      y: at.map((c) => c?.mean ?? null),
      marker: { color: colourAt(k) },
      error_y: { type: "data", symmetric: false, array: at.map((c) => c?.plus ?? null), arrayminus: at.map((c) => c?.minus ?? null), visible: true, thickness: 1.5 },
    };
  });
  const layout = layoutFor({ xTitle: groupBy, yTitle: "value", ...options });
  return { data, layout: { ...layout, barmode: "group" } };
}

/** The error bar of one row as distances above and below its mean. */
function errorBar(r: MetricBar, k: number): { plus: number; minus: number } {
  const where = `metricBars: rows[${k}] (model '${r.model}', metric '${r.metric}')`;
  if (!Number.isFinite(r.mean)) throw new Error(`${where}: mean = ${r.mean} is not a finite number`);
  const hasInterval = r.low !== undefined || r.high !== undefined;
  if (r.std !== undefined && hasInterval) throw new Error(`${where}: give either std or low and high, not both`);
  if (r.std !== undefined) {
    if (!(r.std >= 0)) throw new Error(`${where}: std = ${r.std} must be a number >= 0`);
    return { plus: r.std, minus: r.std };
  }
  if (!hasInterval) return { plus: 0, minus: 0 };
  if (r.low === undefined || r.high === undefined) throw new Error(`${where}: an interval needs both low and high`);
  if (!(r.low <= r.mean && r.mean <= r.high)) throw new Error(`${where}: the interval [${r.low}, ${r.high}] does not contain the mean ${r.mean}`);
  return { plus: r.high - r.mean, minus: r.mean - r.low };
}

/** A grid of results for ablationHeatmap. */
export interface AblationGrid {
  /** Names of the two varied settings, e.g. "dropout" and "L2". */
  xLabel: string;
  yLabel: string;
  /** The settings' values: columns and rows of the grid (shown as categories, evenly spaced). */
  xValues: readonly (number | string)[];
  yValues: readonly (number | string)[];
  /** values[r][c]: the result at yValues[r] and xValues[c]; NaN for a cell that was not run. */
  values: readonly ArrayLike<number>[];
  /** What the cells hold, e.g. "validation NDCG@10": the colour bar's title. */
  valueLabel?: string;
  /** Decimals of the numbers written in the cells. Default 3. */
  digits?: number;
}

/**
 * A heatmap of a two-setting ablation with each cell's number written in it (colours alone are hard to read
 * exactly). Settings are categories: L2 values such as 1e-6, 1e-4, 1e-2 are evenly spaced.
 */
export function ablationHeatmap(grid: AblationGrid, options: ChartOptions = {}): Figure {
  const { xValues, yValues, values } = grid;
  const digits = grid.digits ?? 3;
  if (xValues.length === 0 || yValues.length === 0) throw new Error(`ablationHeatmap: xValues has ${xValues.length} and yValues ${yValues.length} values; both need at least one`);
  if (values.length !== yValues.length) throw new Error(`ablationHeatmap: values has ${values.length} rows but yValues has ${yValues.length}; values[r][c] is the cell of yValues[r], xValues[c]`);
  values.forEach((row, r) => {
    if (row.length !== xValues.length) throw new Error(`ablationHeatmap: values[${r}] has ${row.length} entries but xValues has ${xValues.length}`);
  });
  if (!Number.isInteger(digits) || digits < 0 || digits > 10) throw new Error(`ablationHeatmap: digits must be an integer in [0, 10], got ${digits}`);
  for (const [field, settings] of [["xValues", xValues], ["yValues", yValues]] as const) {
    const labels = settings.map(settingLabel);
    const twice = labels.find((l, k) => labels.indexOf(l) !== k);
    if (twice !== undefined) throw new Error(`ablationHeatmap: ${field} lists ${twice} twice; each row and column needs its own setting`);
  }
  const z = values.map((row) => Array.from(row, (v) => (Number.isFinite(v) ? v : null)));
  const label = grid.valueLabel ?? "value";
  const data = [
    {
      type: "heatmap",
      x: xValues.map(settingLabel),
      y: yValues.map(settingLabel),
      z,
      text: z.map((row) => row.map((v) => (v === null ? "" : v.toFixed(digits)))),
      texttemplate: "%{text}",
      colorscale: "Viridis",
      colorbar: { title: { text: label } },
      hovertemplate: `${grid.xLabel} %{x}<br>${grid.yLabel} %{y}<br>${label} %{z}<extra></extra>`,
    },
  ];
  const layout = layoutFor({ xTitle: grid.xLabel, yTitle: grid.yLabel, ...options });
  return {
    data,
    layout: { ...layout, xaxis: { ...(layout.xaxis as object), type: "category" }, yaxis: { ...(layout.yaxis as object), type: "category" } },
  };
}

/** A setting as an axis category: small numbers in exponent form (1e-6, not 0.000001). */
function settingLabel(v: number | string): string {
  return typeof v === "number" && v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
}
