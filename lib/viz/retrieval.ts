/**
 * The speed-quality trade-off of nearest-neighbour indexes: recall@10 against speed, one line per index kind,
 * each point labelled with its search width (nprobe, efSearch). Points up and to the right are better.
 */
import { colourAt, layoutFor, type ChartOptions, type Figure } from "./figure";

/** One measured setting of an index, e.g. a row of bench/retrieval.ts. */
export interface RecallPoint {
  /** Index kind, e.g. "faiss-hnsw": one line per kind. */
  kind: string;
  /** Recall@10 against exact search, in [0, 1]. */
  recall: number;
  /** Speed as queries per second or as milliseconds per query (options.x picks; each point needs that one). */
  queriesPerSecond?: number;
  msPerQuery?: number;
  /** Search width, written beside the point, e.g. "ef 64" or 64. */
  width?: string | number;
}

export interface RecallCurveOptions extends ChartOptions {
  /** The x axis (log scale). Default: queriesPerSecond when every point has it, else msPerQuery. */
  x?: "queriesPerSecond" | "msPerQuery";
  /** The k of recall@k, for the y axis title. Default 10. */
  k?: number;
}

/** Recall (y) against queries/s or latency per query (x, log scale), one line per index kind with width labels. */
export function recallLatencyCurve(points: readonly RecallPoint[], options: RecallCurveOptions = {}): Figure {
  if (points.length === 0) throw new Error("recallLatencyCurve: points is empty; pass { kind, recall, queriesPerSecond | msPerQuery, width? }");
  const x = options.x ?? (points.every((p) => p.queriesPerSecond !== undefined) ? "queriesPerSecond" : "msPerQuery");
  if (x !== "queriesPerSecond" && x !== "msPerQuery") throw new Error(`recallLatencyCurve: x must be 'queriesPerSecond' or 'msPerQuery', got '${x}'`);
  points.forEach((p, k) => {
    const speed = p[x];
    if (!(speed! > 0) || !Number.isFinite(speed)) throw new Error(`recallLatencyCurve: points[${k}] (${p.kind}) has ${x} = ${speed}; a log axis needs a positive number`);
    if (!(p.recall >= 0 && p.recall <= 1)) throw new Error(`recallLatencyCurve: points[${k}] (${p.kind}) has recall = ${p.recall}, outside [0, 1]`);
  });
  const kinds = [...new Set(points.map((p) => p.kind))];
  const data = kinds.map((kind, k) => {
    const own = points.filter((p) => p.kind === kind).sort((a, b) => a[x]! - b[x]!);
    return {
      type: "scatter",
      mode: "lines+markers+text",
      name: kind,
      x: own.map((p) => p[x]!),
      y: own.map((p) => p.recall),
      text: own.map((p) => (p.width === undefined ? "" : String(p.width))),
      textposition: "top center",
      textfont: { size: 10, color: colourAt(k) },
      line: { color: colourAt(k) },
      marker: { color: colourAt(k), size: 7 },
    };
  });
  const xTitle = x === "queriesPerSecond" ? "queries per second (log scale)" : "milliseconds per query (log scale)";
  const layout = layoutFor({ xTitle, yTitle: `recall@${options.k ?? 10}`, ...options });
  return { data, layout: { ...layout, xaxis: { ...(layout.xaxis as object), type: "log" } } };
}
