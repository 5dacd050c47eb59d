#!/usr/bin/env node
// The README's notebook images: executes the notebooks (quick mode with --quick), then copies the PNG of each
// notebook's cell tagged "key-plot" to docs/images/<notebook>.png.
//   node scripts/notebook-images.js [--quick] [--no-run] [notebooks...]
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.join(__dirname, "..");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const run = !args.includes("--no-run");
const listed = args.filter((a) => !a.startsWith("--"));
const notebooks = listed.length
  ? listed.map((f) => path.resolve(f))
  : fs.readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(root, "notebooks", f));
const outDir = path.join(root, "results", "notebooks");
const imageDir = path.join(root, "docs", "images");
fs.mkdirSync(imageDir, { recursive: true });

if (run) {
  const r = spawnSync(process.execPath, [path.join(__dirname, "run-notebooks.js"), "--out", outDir, ...notebooks], {
    stdio: "inherit",
    env: { ...process.env, ...(quick ? { RECSYS_QUICK: "1" } : {}) },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

let failed = 0;
for (const nb of notebooks) {
  const name = path.basename(nb, ".ipynb");
  const executed = path.join(outDir, `${name}.ipynb`);
  if (!fs.existsSync(executed)) {
    console.error(`${name}: no executed copy in ${path.relative(root, outDir)}; run without --no-run`);
    failed++;
    continue;
  }
  const cells = JSON.parse(fs.readFileSync(executed, "utf8")).cells;
  const key = cells.find((c) => (c.metadata?.tags ?? []).includes("key-plot"));
  const png = key?.outputs?.map((o) => o.data?.["image/png"]).find(Boolean);
  if (!png) {
    console.error(`${name}: no cell tagged "key-plot" with a PNG output`);
    failed++;
    continue;
  }
  const file = path.join(imageDir, `${name}.png`);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.from(Array.isArray(png) ? png.join("") : png, "base64"));
  fs.renameSync(tmp, file);
  console.log(`${name}: ${path.relative(root, file)}`);
}
process.exit(failed ? 1 : 0);
