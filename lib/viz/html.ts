/** Standalone HTML for a figure: works offline (Plotly is inlined, no CDN), opens in any browser. */
import * as fs from "fs";
import * as path from "path";
import type { Figure } from "./figure";
import { plotlyMinifiedSource } from "./plotly-source";

/** JSON for embedding inside a <script> element (escapes "</" so the data cannot close the element). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/<\//g, "<\\/");
}

export function figureToHtml(figure: Figure, title = "recsys-lab figure"): string {
  return [
    "<!DOCTYPE html>",
    '<html><head><meta charset="utf-8">',
    `<title>${title.replace(/[<&>]/g, "")}</title>`,
    `<script>${plotlyMinifiedSource()}</script>`,
    '</head><body><div id="figure"></div>',
    `<script>Plotly.newPlot("figure", ${scriptJson(figure.data)}, ${scriptJson(figure.layout ?? {})}, {responsive: true});</script>`,
    "</body></html>",
  ].join("\n");
}

/** Write the figure as a standalone HTML file (atomically: a temp file renamed into place). */
export function saveHtml(figure: Figure, file: string): string {
  const out = path.resolve(file);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, figureToHtml(figure, path.basename(out, ".html")));
  fs.renameSync(tmp, out);
  return out;
}
