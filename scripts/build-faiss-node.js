#!/usr/bin/env node
// postinstall: make faiss-node loadable. Its own install script downloads a prebuilt binary from GitHub and
// then clones faiss, both of which fail offline, so the project skips it (allowScripts) and instead compiles
// faiss-node's single source file with node-gyp against a system libfaiss (Debian: libfaiss-dev). This step
// never fails the install: faiss-node is optional and the library falls back to its exact built-in index.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const log = (msg) => console.log(`[recsys-lab] faiss-node: ${msg}`);

function loads() {
  const r = spawnSync(process.execPath, ["-e", "require('faiss-node')"], { stdio: "pipe" });
  return r.status === 0;
}

function main() {
  let dir;
  try {
    dir = path.dirname(require.resolve("faiss-node/package.json"));
  } catch {
    log("not installed (optional); skipping");
    return;
  }
  if (loads()) {
    log("loads; nothing to build");
    return;
  }
  const header = ["/usr/include/faiss/IndexFlat.h", "/usr/local/include/faiss/IndexFlat.h"].find((f) => fs.existsSync(f));
  if (!header) {
    log("no system libfaiss headers found; install libfaiss-dev (Debian/Ubuntu) to enable FAISS. Skipping.");
    return;
  }
  const addonApi = path.dirname(require.resolve("node-addon-api/package.json", { paths: [dir] }));
  // Debian's faiss 1.7.3 predates faiss::idx_t, which faiss-node 0.5.1 uses: force-include an alias.
  const compat = path.join(dir, "src", "faiss_idx_compat.h");
  fs.writeFileSync(compat, "#pragma once\n#include <cstdint>\n#include <faiss/Index.h>\nnamespace faiss { using idx_t = int64_t; }\n");
  // faiss >= 1.7.4 declares faiss::idx_t in MetricType.h; 1.7.3 only has Index::idx_t.
  const usesIdx = /using idx_t\s*=/.test(fs.readFileSync(header.replace("IndexFlat.h", "MetricType.h"), "utf8"));
  const gyp = {
    targets: [
      {
        target_name: "faiss-node",
        sources: ["src/faiss.cc"],
        include_dirs: [addonApi],
        defines: ["NAPI_VERSION=6", "NAPI_CPP_EXCEPTIONS"],
        cflags_cc: ["-std=c++17", "-fexceptions", "-fopenmp", "-O2", ...(usesIdx ? [] : ["-include", compat])],
        "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
        libraries: ["-lfaiss", "-llapack", "-lblas", "-fopenmp"],
      },
    ],
  };
  fs.writeFileSync(path.join(dir, "binding.gyp"), JSON.stringify(gyp, null, 2));
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    log("node-gyp not found; cannot build. Skipping.");
    return;
  }
  log("building from source against the system libfaiss (about a minute)...");
  // Build against the running Node's own headers when they are installed, so node-gyp needs no download.
  const prefix = path.join(path.dirname(process.execPath), "..");
  const nodedir = process.env.npm_config_nodedir || (fs.existsSync(path.join(prefix, "include", "node", "node_api.h")) ? prefix : null);
  const args = [nodeGyp, "rebuild", ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (r.status !== 0) {
    log(`build failed (exit ${r.status}); the exact built-in index will be used.\n${(r.stderr || "").split("\n").slice(-15).join("\n")}`);
    return;
  }
  log(loads() ? "built and loads" : "built but does not load; the exact built-in index will be used");
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(require.resolve("node-gyp/bin/node-gyp.js"));
  } catch {}
  const npmDir = path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm");
  candidates.push(path.join(npmDir, "node_modules", "node-gyp", "bin", "node-gyp.js"));
  return candidates.find((c) => c && fs.existsSync(c));
}

try {
  main();
} catch (err) {
  log(`skipped after an unexpected error: ${err && err.message}`);
}
