#!/usr/bin/env node
// Runs the test suite with Node's built-in runner (node:test) over TypeScript sources loaded by tsx.
// Usage: node scripts/run-tests.js [--unit | --notebooks] [files...]
// Unit tests are test/**/*.test.ts outside test/notebooks; notebook execution tests live in test/notebooks/.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.join(__dirname, "..");
const args = process.argv.slice(2);
const only = args.includes("--unit") ? "unit" : args.includes("--notebooks") ? "notebooks" : "all";
const explicit = args.filter((a) => !a.startsWith("--"));

function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith(".test.ts") ? [p] : [];
  });
}

const notebookDir = path.join(root, "test", "notebooks") + path.sep;
let files = explicit.length ? explicit.map((f) => path.resolve(f)) : walk(path.join(root, "test")).sort();
if (!explicit.length && only === "unit") files = files.filter((f) => !f.startsWith(notebookDir));
if (!explicit.length && only === "notebooks") files = files.filter((f) => f.startsWith(notebookDir));
if (!files.length) {
  console.error("run-tests: no test files found");
  process.exit(1);
}

// Unit tests first (fast feedback), then the notebooks; one file per process, files run two at a time.
files.sort((a, b) => Number(a.startsWith(notebookDir)) - Number(b.startsWith(notebookDir)) || a.localeCompare(b));
// A test file whose tests have all finished ends even if something it started still holds the event loop (a failed
// test can leave a server client retrying): the failure is reported instead of the suite hanging (Node >= 20.10).
const [major, minor] = process.versions.node.split(".").map(Number);
const forceExit = major > 20 || (major === 20 && minor >= 10) ? ["--test-force-exit"] : [];
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", ...forceExit, "--test-reporter=spec", "--test-concurrency=2", ...files.map((f) => path.relative(root, f))],
  { cwd: root, stdio: "inherit", env: { ...process.env, RECSYS_TEST: "1" } },
);
process.exit(r.status ?? 1);
