/**
 * Figures of training runs: learning curves (does a model overfit, and when?) and the batch-size trade-off
 * (quality against time). Plain arrays in, e.g. from a fit History: `epochs.map((e) => e.trainLoss)`.
 */
import { checkLength, colourAt, gaps, twoAxisLayout, withIntegerX, type ChartOptions, type Figure, type Trace } from "./figure";

/** One training run of learningCurves. */
export interface LearningRun {
  /** Legend name, e.g. "NeuMF, dropout 0.2". */
  name: string;
  /** x values, one per entry of trainLoss. Default 1..n (epochs). */
  epochs?: ArrayLike<number>;
  /** Mean training loss per epoch: left axis, solid line. */
  trainLoss: ArrayLike<number>;
  /** Validation metric per epoch (e.g. NDCG@10): right axis, dashed; NaN for an epoch without validation. */
  validation?: ArrayLike<number>;
}

export interface LearningCurveOptions extends ChartOptions {
  /** Name of the loss, for the left axis and the legend. Default "train loss". */
  lossName?: string;
  /** Name of the validation metric, for the right axis and the legend. Default "validation metric". */
  metricName?: string;
}

/**
 * Train loss (left axis, solid) and validation metric (right axis, dashed) per epoch for several runs, one colour
 * per run. A loss and a ranking metric live on different scales and move in opposite directions, so each has its
 * own axis: a falling loss with a validation metric that peaks and then decays is overfitting.
 */
export function learningCurves(runs: readonly LearningRun[], options: LearningCurveOptions = {}): Figure {
  if (runs.length === 0) throw new Error("learningCurves: runs is empty; pass at least one { name, trainLoss }");
  const lossName = options.lossName ?? "train loss";
  const metricName = options.metricName ?? "validation metric";
  const data: Trace[] = [];
  runs.forEach((run, k) => {
    const n = run.trainLoss.length;
    const where = `learningCurves: run '${run.name}'`;
    if (run.epochs) checkLength(where, "epochs", run.epochs, n);
    if (run.validation) checkLength(where, "validation", run.validation, n);
    const x = run.epochs ? Array.from(run.epochs) : Array.from({ length: n }, (_, i) => i + 1);
    const colour = colourAt(k);
    const common = { type: "scatter", mode: "lines+markers", x, legendgroup: run.name, marker: { size: 5, color: colour } };
    data.push({ ...common, name: `${run.name}: ${lossName}`, y: gaps(run.trainLoss), line: { color: colour } });
    if (run.validation) {
      data.push({ ...common, name: `${run.name}: ${metricName}`, y: gaps(run.validation), yaxis: "y2", line: { color: colour, dash: "dash" } });
    }
  });
  const layout = twoAxisLayout({ xTitle: "epoch", yTitle: lossName, y2Title: metricName, ...options });
  return { data, layout: withIntegerX(layout, runs.map((r) => ({ x: r.epochs, y: r.trainLoss }))) };
}

/** The measurements of batchSizeCurve, one entry per batch size. */
export interface BatchSizePoints {
  /** Positive batch sizes (any order; usually powers of two). */
  batchSizes: ArrayLike<number>;
  /** Final (or best) validation metric at each batch size: left axis. */
  metric: ArrayLike<number>;
  /** Mean seconds per training epoch at each batch size: right axis. */
  secondsPerEpoch: ArrayLike<number>;
  /** Name of the metric, for the left axis. Default "validation metric". */
  metricName?: string;
}

/**
 * Validation metric (left axis) and seconds per epoch (right axis, dashed) against batch size on a log-2 axis
 * with a tick at each measured size: larger batches are faster per epoch and, past some size, generalise worse.
 */
export function batchSizeCurve(points: BatchSizePoints, options: ChartOptions = {}): Figure {
  const n = points.batchSizes.length;
  if (n === 0) throw new Error("batchSizeCurve: batchSizes is empty");
  checkLength("batchSizeCurve", "metric", points.metric, n);
  checkLength("batchSizeCurve", "secondsPerEpoch", points.secondsPerEpoch, n);
  for (let k = 0; k < n; k++) {
    const b = points.batchSizes[k]!;
    if (!(b > 0) || !Number.isFinite(b)) throw new Error(`batchSizeCurve: batchSizes[${k}] = ${b}; batch sizes must be positive numbers`);
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => points.batchSizes[a]! - points.batchSizes[b]!);
  const x = order.map((k) => points.batchSizes[k]!);
  const pick = (values: ArrayLike<number>) => gaps(order.map((k) => values[k]!));
  const metricName = points.metricName ?? "validation metric";
  const data: Trace[] = [
    { type: "scatter", mode: "lines+markers", name: metricName, x, y: pick(points.metric), line: { color: colourAt(0) }, marker: { color: colourAt(0) } },
    {
      type: "scatter",
      mode: "lines+markers",
      name: "seconds per epoch",
      x,
      y: pick(points.secondsPerEpoch),
      yaxis: "y2",
      line: { color: colourAt(1), dash: "dash" },
      marker: { color: colourAt(1), symbol: "square" },
    },
  ];
  const layout = twoAxisLayout({ xTitle: "batch size (log₂ scale)", yTitle: metricName, y2Title: "seconds per epoch", ...options });
  // Plotly's log axis is base 10, but positions on it are proportional to log2 as well; the ticks name the sizes.
  const ticks = [...new Set(x)];
  return { data, layout: { ...layout, xaxis: { ...(layout.xaxis as object), type: "log", tickvals: ticks, ticktext: ticks.map(String) } } };
}
