/** Where the Plotly bundles live: the full build for rendering, the minified one for embedding in documents. */
import * as fs from "fs";

let minified: string | undefined;

/** Path of plotly.js-dist's bundle (loaded into headless Chromium to render PNGs; size does not matter there). */
export function plotlyBundlePath(): string {
  return require.resolve("plotly.js-dist/plotly.js");
}

/** Source of the minified bundle (same version, ~4.8 MB instead of ~11 MB), for HTML files and notebook outputs. */
export function plotlyMinifiedSource(): string {
  minified ??= fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
  return minified;
}
