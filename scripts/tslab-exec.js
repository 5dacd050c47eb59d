#!/usr/bin/env node
// Executes a notebook's code cells in this process with tslab's own executor (type-check + transpile + run, as
// the tslab kernel does), for machines without Jupyter. Run with the notebook's folder as the working directory
// (tslab resolves imports from there, as Jupyter would). Writes the executed notebook with its outputs.
// Usage: node scripts/tslab-exec.js <notebook.ipynb> <executed-output.ipynb>
// Exit 0 when every cell succeeded; 1 at the first failing cell (a thrown error, a type error or a rejected
// top-level await), after writing the outputs so far.
"use strict";
const fs = require("fs");
const path = require("path");

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: tslab-exec.js <notebook.ipynb> <output.ipynb>");
  process.exit(2);
}

const nb = JSON.parse(fs.readFileSync(input, "utf8"));
const { createConverter } = require("tslab/dist/converter");
const { createExecutor } = require("tslab/dist/executor");
const { JupyterHandlerImpl } = require("tslab/dist/jupyter");

const realStdout = process.stdout.write.bind(process.stdout);
const realStderr = process.stderr.write.bind(process.stderr);
let cellOutputs = [];

function pushStream(name, text) {
  const last = cellOutputs[cellOutputs.length - 1];
  if (last && last.output_type === "stream" && last.name === name) last.text.push(text);
  else cellOutputs.push({ output_type: "stream", name, text: [text] });
  (name === "stderr" ? realStderr : realStdout)(text);
}

const convs = { node: createConverter({ isJS: false, isBrowser: false }), browser: null, close() { this.node.close(); } };
const executor = createExecutor(process.cwd(), convs, {
  log: (...args) => pushStream("stdout", args.map(String).join(" ") + "\n"),
  error: (...args) => pushStream("stderr", args.map((a) => (a instanceof Error ? a.stack || a.message : String(a))).join(" ") + "\n"),
});
const handler = new JupyterHandlerImpl(executor, false);
const writeDisplayData = (data) => {
  cellOutputs.push({ output_type: "display_data", data: data.data, metadata: data.metadata || {} });
  const kinds = Object.keys(data.data).join(", ");
  realStdout(`[display: ${kinds}]\n`);
};

function save() {
  fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
  fs.writeFileSync(output, JSON.stringify(nb, null, 1) + "\n");
}

(async () => {
  let count = 0;
  for (const [index, cell] of nb.cells.entries()) {
    if (cell.cell_type !== "code") continue;
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    cellOutputs = [];
    realStdout(`--- cell ${index + 1} ---\n`);
    const reply = await handler.handleExecute({ code: source }, pushStream, writeDisplayData);
    // handleExecute redirects process.stdout/stderr into the cell; restore them between cells.
    process.stdout.write = realStdout;
    process.stderr.write = realStderr;
    cell.outputs = cellOutputs;
    cell.execution_count = ++count;
    if (reply.status !== "ok") {
      cell.outputs.push({ output_type: "error", ename: "CellError", evalue: `cell ${index + 1} failed`, traceback: [] });
      save();
      realStderr(`tslab-exec: ${input}: cell ${index + 1} failed (status ${reply.status})\n`);
      process.exit(1);
    }
  }
  save();
  executor.close();
  process.exit(0);
})().catch((err) => {
  realStderr(`tslab-exec: ${err && err.stack}\n`);
  process.exit(1);
});
