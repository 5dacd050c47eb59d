import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PNG } from "pngjs";
import { closeRenderer, findChromium, figureToHtml, lineChart, saveHtml, savePng } from "../../lib/viz";

after(closeRenderer);

const figure = lineChart(
  [
    { name: "train", y: [0.9, 0.6, 0.45, 0.4] },
    { name: "validation", y: [0.95, 0.7, 0.65, 0.7], dash: true },
  ],
  { title: "Learning curves", xTitle: "epoch", yTitle: "loss", width: 640, height: 400 },
);

test("HTML export is a standalone page with Plotly inlined and the figure's data", () => {
  const html = figureToHtml(figure);
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /plotly\.js v3\./);
  const page = html.replace(fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8"), "");
  assert.ok(!/<script[^>]*\ssrc=|<link/i.test(page), "no external resources: works offline");
  assert.match(html, /"name":"validation"/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "viz-"));
  const file = saveHtml(figure, path.join(dir, "curves.html"));
  assert.equal(fs.readFileSync(file, "utf8"), figureToHtml(figure, "curves"));
  assert.deepEqual(fs.readdirSync(dir), ["curves.html"], "no temp file left behind");
});

test("PNG export renders the figure at the requested size and it is not blank", { skip: findChromium() === null && process.env.RECSYS_REQUIRE_CHROMIUM !== "1" && "Chromium is not installed (apt-get install chromium)" }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "viz-"));
  const file = await savePng(figure, path.join(dir, "curves.png"));
  const png = PNG.sync.read(fs.readFileSync(file));
  assert.equal(png.width, 640);
  assert.equal(png.height, 400);
  // Count pixel colours: a blank (or all-white) image has one; axes, text and two coloured lines give many.
  const colours = new Set<number>();
  let nonWhite = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 240 || g < 240 || b < 240) nonWhite++;
  }
  assert.ok(colours.size > 20, `only ${colours.size} distinct colours`);
  assert.ok(nonWhite > 2000, `only ${nonWhite} non-white pixels`);
  // Plotly's default first two trace colours (blue #1f77b4, orange #ff7f0e) are both drawn.
  const near = (r: number, g: number, b: number) => {
    for (let i = 0; i < png.data.length; i += 4) {
      if (Math.abs(png.data[i]! - r) < 12 && Math.abs(png.data[i + 1]! - g) < 12 && Math.abs(png.data[i + 2]! - b) < 12) return true;
    }
    return false;
  };
  assert.ok(near(0x1f, 0x77, 0xb4), "blue training line drawn");
  assert.ok(near(0xff, 0x7f, 0x0e), "orange validation line drawn");
});
