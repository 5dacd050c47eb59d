#!/usr/bin/env node
// `npm run jupyter`: registers the project's tslab kernel and opens Jupyter on notebooks/ with it.
// Uses JupyterLab or the classic Notebook, whichever is installed (Debian: apt-get install -y jupyter-notebook).
"use strict";
const path = require("path");
const { spawn, spawnSync } = require("child_process");
const kernel = require("./install-kernel");

const root = path.join(__dirname, "..");
let jupyterPath;
try {
  ({ jupyterPath } = kernel.install());
} catch (err) {
  console.error(`jupyter: ${err.message}`);
  process.exit(1);
}
const env = { ...process.env, JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter) };
const jupyter = ["/usr/bin/jupyter", "jupyter"].find((j) => spawnSync(j, ["--version"], { stdio: "ignore" }).status === 0);
const app = jupyter && ["lab", "notebook"].find((a) => spawnSync(jupyter, [a, "--version"], { stdio: "ignore", env }).status === 0);
if (!app) {
  console.error(
    "jupyter: neither JupyterLab nor the classic Notebook is installed. Debian/Ubuntu: apt-get install -y jupyter-notebook;\n" +
      `elsewhere: pip install jupyterlab. Then run this again, or start Jupyter yourself with JUPYTER_PATH=${jupyterPath}`,
  );
  process.exit(1);
}
const extra = process.argv.slice(2);
console.log(`Starting Jupyter ${app} in notebooks/ with the tslab kernel (JUPYTER_PATH=${jupyterPath})`);
const child = spawn(jupyter, [app, ...extra], { cwd: path.join(root, "notebooks"), env, stdio: "inherit" });
child.on("exit", (code) => process.exit(code ?? 0));
