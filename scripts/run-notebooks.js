#!/usr/bin/env node
// Executes notebooks headlessly and fails on any failing cell, type error or rejected top-level await.
//   node scripts/run-notebooks.js [--engine auto|jupyter|tslab] [--out DIR] [notebooks...]
// Engines: `jupyter` runs `jupyter nbconvert --execute` with the project's tslab kernel (the real kernel, as a
// user's Jupyter would); `tslab` runs the cells in-process through tslab's executor, for machines without
// Jupyter. `auto` (default) uses Jupyter when it is installed. RECSYS_NOTEBOOK_ENGINE sets the default.
// Executed copies go to results/notebooks/ (the committed notebooks stay clean). Values a notebook records with
// `record(name, value)` go to <out>/<notebook>.record.json for tests to read.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const kernel = require("./install-kernel");

const root = path.join(__dirname, "..");

function jupyterCommand() {
  for (const j of ["/usr/bin/jupyter", "jupyter"]) {
    const r = spawnSync(j, ["nbconvert", "--version"], { stdio: "ignore" });
    if (r.status === 0) return j;
  }
  return null;
}

function chooseEngine(requested) {
  const engine = requested || process.env.RECSYS_NOTEBOOK_ENGINE || "auto";
  if (!["auto", "jupyter", "tslab"].includes(engine)) throw new Error(`unknown engine '${engine}' (auto, jupyter, tslab)`);
  if (engine === "tslab") return { engine: "tslab" };
  const jupyter = jupyterCommand();
  const python = jupyter && kernel.findPython();
  if (jupyter && python) return { engine: "jupyter", jupyter };
  if (engine === "jupyter") throw new Error("Jupyter's nbconvert (with ipykernel) is not installed; see README 'Set-up'");
  return { engine: "tslab" };
}

/** Execute one notebook; returns { ok, engine, output, record, log }. */
function runNotebook(notebook, { engine: requested, outDir = path.join(root, "results", "notebooks"), env = {} } = {}) {
  const abs = path.resolve(notebook);
  if (!fs.existsSync(abs)) throw new Error(`notebook not found: ${abs}`);
  const { engine, jupyter } = chooseEngine(requested);
  fs.mkdirSync(outDir, { recursive: true });
  const base = path.basename(abs, ".ipynb");
  const output = path.join(path.resolve(outDir), `${base}.ipynb`);
  const record = path.join(path.resolve(outDir), `${base}.record.json`);
  fs.rmSync(record, { force: true });
  const childEnv = { ...process.env, RECSYS_RECORD_FILE: record, ...env };
  let r;
  if (engine === "jupyter") {
    const { jupyterPath } = kernel.install({ quiet: true });
    childEnv.JUPYTER_PATH = [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
    r = spawnSync(
      jupyter,
      [
        "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.kernel_name=tslab",
        `--ExecutePreprocessor.timeout=${process.env.RECSYS_CELL_TIMEOUT || 1200}`,
        "--output-dir", path.dirname(output), "--output", path.basename(output), abs,
      ],
      { cwd: path.dirname(abs), env: childEnv, encoding: "utf8", maxBuffer: 64 << 20 },
    );
  } else {
    r = spawnSync(process.execPath, [path.join(__dirname, "tslab-exec.js"), abs, output], {
      cwd: path.dirname(abs), env: childEnv, encoding: "utf8", maxBuffer: 64 << 20,
    });
  }
  const log = `${r.stdout || ""}${r.stderr || ""}${r.error ? String(r.error) : ""}`;
  return { ok: r.status === 0, status: r.status, engine, output, record, log };
}

module.exports = { runNotebook, chooseEngine };

if (require.main === module) {
  const args = process.argv.slice(2);
  let engine;
  let outDir;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--engine") engine = args[++i];
    else if (args[i] === "--out") outDir = args[++i];
    else files.push(args[i]);
  }
  const notebooks = files.length
    ? files
    : fs.readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(root, "notebooks", f));
  let failed = 0;
  for (const nb of notebooks) {
    const t0 = Date.now();
    const res = runNotebook(nb, { engine, outDir });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (res.ok) console.log(`ok   ${path.relative(root, nb)} (${res.engine}, ${secs} s) -> ${path.relative(root, res.output)}`);
    else {
      failed++;
      console.log(`FAIL ${path.relative(root, nb)} (${res.engine}, ${secs} s, exit ${res.status})\n${res.log.split("\n").slice(-40).join("\n")}`);
    }
  }
  console.log(`${notebooks.length - failed} of ${notebooks.length} notebooks ran without error`);
  process.exit(failed ? 1 : 0);
}
