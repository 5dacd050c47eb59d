/**
 * Show a figure in a tslab notebook. One output carries two representations and the front end picks:
 * - image/png: renders everywhere (untrusted notebooks, GitHub, nbviewer, VS Code, exported HTML);
 * - text/html: the same PNG plus a script that replaces it with the interactive Plotly chart. Front ends run
 *   the script only in trusted notebooks (a notebook you executed yourself is trusted), so there it is interactive.
 * Plotly (minified, ~4.8 MB) is embedded once per kernel session, in the first interactive output.
 * Outside a notebook, show() writes an HTML file under results/figures/ and prints its path.
 */
import * as path from "path";
import type { Figure } from "./figure";
import { saveHtml, scriptJson } from "./html";
import { plotlyMinifiedSource } from "./plotly-source";
import { figureToPng, findChromium } from "./png";

export interface ShowOptions {
  /** "auto" (PNG + interactive HTML), "png" (static only) or "html" (interactive only). Default: RECSYS_PLOTS or "auto". */
  mode?: "auto" | "png" | "html";
}

type DisplayData = { data: Record<string, string>; metadata: Record<string, unknown>; transient?: Record<string, unknown> };

let plotlyEmbedded = false;
let counter = 0;

/** The tslab kernel's display channel while a cell executes, or null outside a notebook. */
function notebookChannel(): ((d: DisplayData, update: boolean) => void) | null {
  try {
    // tslab (pinned) keeps the current cell's display writer here; its public API sends one mimetype per output.
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData?: (d: DisplayData, update: boolean) => void };
    return jupyter.lastWriteDisplayData ?? null;
  } catch {
    return null;
  }
}

export async function show(figure: Figure, options: ShowOptions = {}): Promise<void> {
  const mode = options.mode ?? (process.env.RECSYS_PLOTS as ShowOptions["mode"] | undefined) ?? "auto";
  if (!["auto", "png", "html"].includes(mode)) throw new Error(`show: mode must be auto, png or html; got '${mode}' (RECSYS_PLOTS?)`);
  const channel = notebookChannel();
  if (!channel) {
    const file = saveHtml(figure, path.join("results", "figures", `figure-${process.pid}-${++counter}.html`));
    console.log(`figure written to ${file}`);
    return;
  }
  const canPng = findChromium() !== null;
  const png = mode !== "html" && canPng ? (await figureToPng(figure)).toString("base64") : null;
  const data: Record<string, string> = {};
  if (png) data["image/png"] = png;
  if (mode !== "png" || !png) data["text/html"] = interactiveHtml(figure, png);
  channel({ data, metadata: {} }, false);
}

function interactiveHtml(figure: Figure, png: string | null): string {
  const id = `recsys-lab-fig-${process.pid}-${++counter}`;
  const layout = figure.layout ?? {};
  const fallback = png ? `<img src="data:image/png;base64,${png}" alt="figure"/>` : "";
  // Plotly's bundle is UMD: hide an AMD `define` (classic Jupyter's require.js) so it sets window.Plotly.
  const loader = plotlyEmbedded
    ? ""
    : `<script>(function(){var define=undefined,module=undefined,exports=undefined;\n${plotlyMinifiedSource().replace(/<\/script/gi, "<\\/script")}\n}).call(window);</script>`;
  plotlyEmbedded = true;
  return [
    loader,
    `<div id="${id}" style="width:${Number(layout.width ?? 720)}px">${fallback}</div>`,
    `<script>(function(){var el=document.getElementById(${JSON.stringify(id)});`,
    `if(!el||!window.Plotly)return;el.innerHTML="";`,
    `window.Plotly.newPlot(el, ${scriptJson(figure.data)}, ${scriptJson(layout)}, {responsive:true});})();</script>`,
  ].join("\n");
}
