#!/usr/bin/env node
// Registers the tslab TypeScript kernel inside the project (.jupyter/share/jupyter/kernels/tslab), so nothing
// outside the checkout changes. Jupyter finds it through JUPYTER_PATH=<project>/.jupyter/share/jupyter, which
// scripts/jupyter.js and the notebook runner set.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.join(__dirname, "..");
const prefix = path.join(root, ".jupyter");
const jupyterPath = path.join(prefix, "share", "jupyter");
const tslab = path.join(root, "node_modules", ".bin", "tslab");

/** The Python that has Jupyter: RECSYS_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH. */
function findPython() {
  const candidates = [process.env.RECSYS_PYTHON, "/usr/bin/python3", "python3"].filter(Boolean);
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import jupyter_client, ipykernel"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  return null;
}

/** True when the kernel is already registered for this checkout's tslab (re-registering costs about a second). */
function registered() {
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(jupyterPath, "kernels", "tslab", "kernel.json"), "utf8"));
    return spec.argv[0] === tslab && fs.existsSync(tslab);
  } catch {
    return false;
  }
}

function install({ quiet = false, force = false } = {}) {
  const python = findPython();
  if (!python) {
    throw new Error(
      "No Python with jupyter_client and ipykernel found. On Debian/Ubuntu: apt-get install -y jupyter-nbconvert python3-nbclient jupyter-client jupyter-core python3-ipykernel (see README 'Set-up'); or set RECSYS_PYTHON.",
    );
  }
  if (!fs.existsSync(tslab)) throw new Error(`${tslab} is missing: run 'npm ci' first`);
  if (!force && registered()) {
    if (!quiet) console.log(`tslab kernel already registered in ${jupyterPath}/kernels`);
    return { python, jupyterPath };
  }
  const r = spawnSync(tslab, ["install", `--python=${python}`, `--binary=${tslab}`, `--prefix=${prefix}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tslab install failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  if (!quiet) console.log(`tslab kernel registered in ${jupyterPath}/kernels (python: ${python})`);
  return { python, jupyterPath };
}

module.exports = { install, findPython, jupyterPath };

if (require.main === module) {
  try {
    install({ force: process.argv.includes("--force") });
  } catch (err) {
    console.error(`install-kernel: ${err.message}`);
    process.exit(1);
  }
}
