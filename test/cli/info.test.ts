import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";
import { loadFaiss } from "../../lib/retrieval/faiss-loader";
import { nativeBackendLoads } from "../native";

const ROOT = path.join(__dirname, "..", "..");
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, "dist", "cli.js"), ...args], { encoding: "utf8", env: { ...process.env, RECSYS_BACKEND: "" } });

test("recsys-lab info prints one JSON object with version, backend, tfjs version, faiss and CPU count", () => {
  const r = cli("info");
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.version, require(path.join(ROOT, "package.json")).version);
  assert.equal(info.backend, nativeBackendLoads() ? "tensorflow" : "wasm");
  assert.match(info.tfjsVersion, /^\d+\.\d+\.\d+$/);
  assert.equal(info.faiss, loadFaiss().module !== null);
  assert.equal(typeof info.cpus, "number");
  if (process.env.RECSYS_REQUIRE_FAISS === "1") assert.equal(info.faiss, true, info.faissStatus);
});

test("recsys-lab rejects an unknown command and an unknown option with the valid names", () => {
  const a = cli("fly");
  assert.equal(a.status, 2);
  assert.match(a.stderr, /unknown command 'fly'\. Commands: .*info/);
  const b = cli("info", "--bakend", "cpu");
  assert.equal(b.status, 2);
  assert.match(b.stderr, /unknown option --bakend\. Valid options: --backend/);
});

test("recsys-lab info --backend cpu starts the requested backend", () => {
  const r = cli("info", "--backend", "cpu");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).backend, "cpu");
});
