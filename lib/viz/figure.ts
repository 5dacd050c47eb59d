/**
 * Plotly figures as plain data ({ data, layout }), built by small helpers for the charts the notebooks need.
 * Plain objects keep figures serialisable: the same figure renders in a notebook, an HTML file or a PNG.
 */

/** One Plotly trace (https://plotly.com/javascript/reference/); only the common fields are typed. */
export interface Trace {
  type?: string;
  name?: string;
  mode?: string;
  /** null leaves a gap (a missing value). */
  x?: ArrayLike<number | string | null>;
  y?: ArrayLike<number | string | null>;
  /** Per point, or per row of cells for a heatmap. */
  text?: ArrayLike<string> | ArrayLike<ArrayLike<string>> | string;
  [key: string]: unknown;
}

export interface Figure {
  data: Trace[];
  layout?: Record<string, unknown>;
}

export interface Series {
  name: string;
  x?: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Dashed line, e.g. for validation curves beside training curves. */
  dash?: boolean;
}

export interface ChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
  /** Logarithmic y axis. */
  logY?: boolean;
}

const toArray = (a: ArrayLike<number | string>) => Array.from(a as ArrayLike<number | string>);

/** Numbers for a trace, NaN and infinities as null: Plotly leaves a gap there, and JSON would write null anyway. */
export function gaps(values: ArrayLike<number>): (number | null)[] {
  return Array.from(values, (v) => (Number.isFinite(v) ? v : null));
}

/** Plotly's default colour sequence (D3 category10), set explicitly where several traces share one colour. */
export const PALETTE: readonly string[] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export const colourAt = (k: number): string => PALETTE[k % PALETTE.length]!;

/** Throws unless `values` has `n` entries; the message names the builder and the field at fault. */
export function checkLength(where: string, field: string, values: ArrayLike<unknown>, n: number): void {
  if (values.length !== n) throw new Error(`${where}: ${field} has ${values.length} values but ${n} were expected`);
}

/**
 * layoutFor with a second y axis on the right, overlaying the first: two quantities keep their own scales (a loss
 * and a ranking metric, a metric and seconds) instead of one axis scaled by hand. The legend goes below the plot
 * because the right side now carries an axis.
 */
export function twoAxisLayout(o: ChartOptions & { y2Title?: string }): Record<string, unknown> {
  const base = layoutFor(o);
  return {
    ...base,
    yaxis2: { title: o.y2Title ? { text: o.y2Title } : undefined, overlaying: "y", side: "right", showgrid: false, zeroline: false },
    margin: { ...(base.margin as object), r: 70, b: 110 },
    legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" },
  };
}

export function layoutFor(o: ChartOptions): Record<string, unknown> {
  return {
    title: o.title ? { text: o.title } : undefined,
    xaxis: { title: o.xTitle ? { text: o.xTitle } : undefined },
    yaxis: { title: o.yTitle ? { text: o.yTitle } : undefined, type: o.logY ? "log" : undefined },
    width: o.width ?? 720,
    height: o.height ?? 420,
    margin: { l: 60, r: 20, t: o.title ? 50 : 20, b: 50 },
    template: undefined,
  };
}

/** Lines, one per series (x defaults to 1..n: epochs). */
export function lineChart(series: readonly Series[], options: ChartOptions = {}): Figure {
  return {
    data: series.map((s) => ({
      type: "scatter",
      mode: "lines+markers",
      name: s.name,
      x: s.x ? toArray(s.x) : Array.from({ length: s.y.length }, (_, i) => i + 1),
      y: toArray(s.y),
      line: s.dash ? { dash: "dash" } : undefined,
    })),
    layout: withIntegerX(layoutFor(options), series),
  };
}

/** Epoch axes: whole-number ticks when every series uses the default x (1..n) and n is small. */
export function withIntegerX(layout: Record<string, unknown>, series: readonly Pick<Series, "x" | "y">[]): Record<string, unknown> {
  const n = Math.max(...series.map((s) => s.y.length));
  if (series.some((s) => s.x) || n > 20) return layout;
  return { ...layout, xaxis: { ...(layout.xaxis as object), dtick: 1 } };
}

/** Bars: one group per series over shared category labels. */
export function barChart(categories: readonly string[], series: readonly { name: string; values: ArrayLike<number> }[], options: ChartOptions = {}): Figure {
  return {
    data: series.map((s) => ({ type: "bar", name: s.name, x: [...categories], y: toArray(s.values) })),
    layout: { ...layoutFor(options), barmode: "group" },
  };
}

/** Points with optional labels (hover text) and a colour group per point. */
export function scatterChart(
  points: { x: ArrayLike<number>; y: ArrayLike<number>; labels?: readonly string[]; groups?: readonly string[] },
  options: ChartOptions = {},
): Figure {
  const groups = points.groups ? [...new Set(points.groups)] : [undefined];
  return {
    data: groups.map((g) => {
      const idx = Array.from({ length: points.x.length }, (_, i) => i).filter((i) => g === undefined || points.groups![i] === g);
      return {
        type: "scatter",
        mode: "markers",
        name: g ?? "",
        x: idx.map((i) => points.x[i]!),
        y: idx.map((i) => points.y[i]!),
        text: points.labels ? idx.map((i) => points.labels![i]!) : undefined,
        marker: { size: 6, opacity: 0.8 },
      };
    }),
    layout: { ...layoutFor(options), showlegend: groups.length > 1 },
  };
}

/** Histogram of values (e.g. per-user NDCG). */
export function histogram(series: readonly { name: string; values: ArrayLike<number> }[], options: ChartOptions & { bins?: number } = {}): Figure {
  return {
    data: series.map((s) => ({ type: "histogram", name: s.name, x: toArray(s.values), opacity: 0.7, nbinsx: options.bins })),
    layout: { ...layoutFor(options), barmode: "overlay" },
  };
}
