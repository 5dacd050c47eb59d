import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { describeBackend, initBackend, parseBackendName } from "../lib/backend";
import { nativeBackendLoads } from "./native";

test("parseBackendName accepts names and aliases and lists the valid ones otherwise", () => {
  assert.equal(parseBackendName("auto"), "auto");
  assert.equal(parseBackendName("WASM"), "wasm");
  assert.equal(parseBackendName("node"), "tensorflow");
  assert.throws(() => parseBackendName("gpu", "RECSYS_BACKEND"), /RECSYS_BACKEND: unknown backend 'gpu'\. Valid: auto, tensorflow, wasm, cpu/);
});

test("auto picks the best backend that starts and says why better ones were skipped", async () => {
  const info = await initBackend({ backend: "auto" });
  assert.equal(tf.getBackend(), info.backend);
  const loadsNative = nativeBackendLoads();
  if (loadsNative) {
    assert.equal(info.backend, "tensorflow");
  } else {
    assert.equal(info.backend, "wasm");
    assert.match(info.unavailable.tensorflow ?? "", /tfjs-node/);
    assert.match(describeBackend(info), /backend: wasm; not used: tensorflow: /);
  }
});

test("an explicit request that cannot start is an error, not a silent fallback", async () => {
  const loadsNative = nativeBackendLoads();
  if (loadsNative) {
    const info = await initBackend({ backend: "tensorflow" });
    assert.equal(info.backend, "tensorflow");
  } else {
    await assert.rejects(initBackend({ backend: "tensorflow" }), /Backend 'tensorflow' was requested .* cannot start: @tensorflow\/tfjs-node is not installed/);
  }
  const cpu = await initBackend({ backend: "cpu" });
  assert.equal(cpu.backend, "cpu");
  assert.equal(tf.getBackend(), "cpu");
});
