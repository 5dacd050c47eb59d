#!/usr/bin/env node
// postinstall: make faiss-node loadable. Its own install script downloads a prebuilt binary from GitHub and
// then clones faiss, both of which fail offline, so the project skips it (allowScripts) and instead compiles
// faiss-node's single source file with node-gyp against a system libfaiss (Debian: libfaiss-dev). This step
// never fails the install: faiss-node is optional and the library falls back to its exact built-in index.
// The addon is first built with recsys-lab's own addition (scripts/faiss-params.cc: nprobe / efSearch setters that
// faiss-node's API lacks); if that does not compile, faiss-node is built alone and the kit uses FAISS's defaults.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const log = (msg) => console.log(`[recsys-lab] faiss-node: ${msg}`);

// "setters" (loads with recsys-lab's parameter setters), "plain" (loads without them) or null (does not load).
function loads() {
  const probe = "process.exit(typeof require('faiss-node').setIndexParameter === 'function' ? 0 : 3)";
  const r = spawnSync(process.execPath, ["-e", probe], { stdio: "pipe" });
  return r.status === 0 ? "setters" : r.status === 3 ? "plain" : null;
}

function main() {
  let dir;
  try {
    dir = path.dirname(require.resolve("faiss-node/package.json"));
  } catch {
    log("not installed (optional); skipping");
    return;
  }
  const before = loads();
  // binding.gyp is not in faiss-node's package: when present, this script wrote it, so rebuilding replaces only our
  // own earlier build; a prebuilt binary (no binding.gyp) that loads is left alone.
  // RECSYS_FAISS_REBUILD=1 rebuilds from source anyway (e.g. to replace a prebuilt binary that lacks the setters).
  const ours = fs.existsSync(path.join(dir, "binding.gyp")) || process.env.RECSYS_FAISS_REBUILD === "1";
  if (before === "setters" || (before === "plain" && !ours)) {
    log(before === "setters" ? "loads (with nprobe/efSearch setters); nothing to build" : "loads (prebuilt, without nprobe/efSearch setters: FAISS defaults apply; RECSYS_FAISS_REBUILD=1 builds them); nothing to build");
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
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    log("node-gyp not found; cannot build. Skipping.");
    return;
  }
  const compatFlags = usesIdx ? [] : ["-include", compat];
  log("building from source against the system libfaiss (under a minute)...");
  // Our setters are compiled in the same translation unit as faiss.cc (they need its classes), so copy them beside it.
  const params = path.join(__dirname, "faiss-params.cc");
  if (fs.existsSync(params)) {
    fs.copyFileSync(params, path.join(dir, "src", "recsys_faiss_params.cc"));
    if (build(dir, nodeGyp, gypFile(addonApi, "src/recsys_faiss_params.cc", compatFlags)) && loads() === "setters") {
      log("built with the nprobe/efSearch setters and loads");
      return;
    }
    log("retrying without recsys-lab's setters (FAISS's defaults nprobe 1 / efSearch 16 will apply)...");
  }
  if (!build(dir, nodeGyp, gypFile(addonApi, "src/faiss.cc", compatFlags))) {
    log("the exact built-in index will be used");
    return;
  }
  log(loads() ? "built (without setters) and loads" : "built but does not load; the exact built-in index will be used");
}

function gypFile(addonApi, source, compatFlags) {
  return {
    targets: [
      {
        target_name: "faiss-node",
        sources: [source],
        include_dirs: ["src", addonApi],
        defines: ["NAPI_VERSION=6", "NAPI_CPP_EXCEPTIONS"],
        // RTTI: the setters check an index's FAISS type with dynamic_cast (node-gyp turns RTTI off by default).
        cflags_cc: ["-std=c++17", "-fexceptions", "-frtti", "-fopenmp", "-O2", ...compatFlags],
        "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
        libraries: ["-lfaiss", "-llapack", "-lblas", "-fopenmp"],
      },
    ],
  };
}

// Write binding.gyp and run node-gyp; true when it succeeded (a failure is logged, never thrown).
function build(dir, nodeGyp, gyp) {
  fs.writeFileSync(path.join(dir, "binding.gyp"), JSON.stringify(gyp, null, 2));
  // Build against the running Node's own headers when they are installed, so node-gyp needs no download.
  const prefix = path.join(path.dirname(process.execPath), "..");
  const nodedir = process.env.npm_config_nodedir || (fs.existsSync(path.join(prefix, "include", "node", "node_api.h")) ? prefix : null);
  const args = [nodeGyp, "rebuild", ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (r.status !== 0) {
    const errors = (r.stdout + r.stderr).split("\n").filter((l) => /error|ERR!/.test(l));
    log(`build of ${gyp.targets[0].sources[0]} failed (exit ${r.status}):\n${errors.slice(0, 15).join("\n")}`);
    return false;
  }
  return true;
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
