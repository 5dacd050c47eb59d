/**
 * An experiment's summary as a table for the terminal: one row per model, one column per metric (mean ± sd over
 * seeds), the best mean of each column marked with *, then the paired test of NDCG against the reference model
 * (difference and p-value; "=" where it is within noise at 5%), and the training time.
 */
import type { ExperimentResult } from "./experiment";

export interface SummaryTableOptions {
  /** Metric names and their column titles, in order, e.g. [["ndcg", "NDCG@10"], ["hr", "HR@10"]]. */
  metrics: readonly (readonly [string, string])[];
  /** Decimals of the values. Default 4. */
  digits?: number;
}

export function summaryTable(result: Pick<ExperimentResult, "summary" | "comparisons" | "runs">, options: SummaryTableOptions): string {
  const digits = options.digits ?? 4;
  const models = [...new Set(result.summary.map((s) => s.model))];
  const cell = new Map(result.summary.map((s) => [`${s.model}\u0000${s.metric}`, s]));
  const best = new Map<string, number>();
  for (const [metric] of options.metrics) {
    const means = models.map((m) => cell.get(`${m}\u0000${metric}`)?.mean).filter((v): v is number => v !== undefined);
    if (means.length) best.set(metric, Math.max(...means));
  }
  const reference = result.comparisons[0]?.reference;
  const header = ["model", ...options.metrics.map(([, title]) => title), ...(reference ? [`NDCG vs ${reference}`] : []), "train s", "seeds"];
  const rows = models.map((model) => {
    const runs = result.runs.filter((r) => r.label === model);
    const train = runs.reduce((s, r) => s + r.trainSeconds, 0) / Math.max(1, runs.length);
    const values = options.metrics.map(([metric]) => {
      const s = cell.get(`${model}\u0000${metric}`);
      if (!s) return "-";
      const mark = s.mean === best.get(metric) ? "*" : " ";
      // One seed has no spread to show: "± 0.0000" would read as a measured sd of zero.
      return runs.length > 1 ? `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}${mark}` : `${s.mean.toFixed(digits)}${mark}`;
    });
    const test = result.comparisons.find((c) => c.model === model && c.metric === "ndcg");
    const versus = model === reference ? "(reference)" : test ? `${test.meanDifference >= 0 ? "+" : ""}${test.meanDifference.toFixed(digits)} ${test.significant ? `p=${formatP(test.p)}` : "="}` : "-";
    return [model, ...values, ...(reference ? [versus] : []), train.toFixed(1), String(runs.length)];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function formatP(p: number): string {
  return p < 1e-4 ? "<1e-4" : p.toPrecision(2);
}
