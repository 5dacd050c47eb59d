/**
 * The figures of an experiment: its metrics as bars with 95% intervals over seeds, and the learning curves of its
 * trained runs (train loss and, when a validation split was carved, validation NDCG@k). Saved as PNG (Chromium)
 * and as self-contained HTML.
 */
import * as path from "path";
import { metricBars } from "../viz/comparison";
import type { Figure } from "../viz/figure";
import { saveHtml } from "../viz/html";
import { savePng } from "../viz/png";
import { learningCurves } from "../viz/training";
import type { ExperimentResult } from "./experiment";

/** Bars of each model's mean over seeds on `metrics`, error bars the 95% interval. */
export function experimentBars(result: Pick<ExperimentResult, "summary">, metrics: readonly string[], title = "test metrics (mean, 95% interval over seeds)"): Figure {
  const rows = result.summary.filter((s) => metrics.includes(s.metric)).map((s) => ({ model: s.model, metric: s.metric, mean: s.mean, low: s.low, high: s.high }));
  if (!rows.length) throw new Error(`experimentBars: no summary rows for ${metrics.join(", ")}`);
  return metricBars(rows, { title, yTitle: "value" });
}

/** Learning curves of the trained runs of one seed (the first), one colour per model. Null when nothing trained. */
export function experimentCurves(result: Pick<ExperimentResult, "runs">, k = 10): Figure | null {
  const seed = result.runs[0]?.seed;
  const runs = result.runs.filter((r) => r.seed === seed && r.history.length > 0);
  if (!runs.length) return null;
  const metric = `ndcg@${k}`;
  const withValidation = runs.some((r) => r.history.some((h) => h.validation?.[metric] !== undefined));
  // Losses of different kinds (BCE near 0.3, an in-batch softmax near 6) share the axis readably on a log scale.
  const starts = runs.map((r) => r.history[0]!.trainLoss).filter((x) => x > 0);
  const logY = starts.length > 1 && Math.max(...starts) / Math.min(...starts) > 4;
  return learningCurves(
    runs.map((r) => ({
      name: r.label,
      trainLoss: r.history.map((h) => h.trainLoss),
      ...(withValidation ? { validation: r.history.map((h) => h.validation?.[metric] ?? NaN) } : {}),
    })),
    { title: `learning curves (seed ${seed}${logY ? "; loss on a log scale" : ""})`, xTitle: "epoch", metricName: `validation NDCG@${k}`, logY },
  );
}

/** Save the experiment's figures as PNG and HTML in `dir`; returns the files written. */
export async function saveExperimentPlots(result: ExperimentResult, dir: string, options: { metrics: readonly string[]; k?: number; png?: boolean }): Promise<string[]> {
  const figures: [string, Figure | null][] = [
    ["metrics", experimentBars(result, options.metrics)],
    ["learning-curves", experimentCurves(result, options.k)],
  ];
  const written: string[] = [];
  for (const [name, figure] of figures) {
    if (!figure) continue;
    written.push(saveHtml(figure, path.join(dir, `${name}.html`)));
    if (options.png !== false) written.push(await savePng(figure, path.join(dir, `${name}.png`)));
  }
  return written;
}
