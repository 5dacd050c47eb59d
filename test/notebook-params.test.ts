import { test } from "node:test";
import assert from "node:assert/strict";
import { notebookParams } from "../lib/notebook";

/** Run `fn` with the given environment variables set (undefined: unset), restoring them afterwards. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  }
}

const full = { dataset: "synthetic", epochs: 12, layers: [64, 32] };
const quick = { epochs: 2 };
const quiet = <T>(fn: () => T): T => {
  const log = console.log;
  console.log = () => {};
  try {
    return fn();
  } finally {
    console.log = log;
  }
};

test("notebookParams: full settings, quick overrides in quick mode, RECSYS_PARAMS on top of either", () => {
  assert.deepEqual(quiet(() => withEnv({ RECSYS_QUICK: undefined, RECSYS_PARAMS: undefined }, () => notebookParams(full, quick))), full);
  assert.equal(quiet(() => withEnv({ RECSYS_QUICK: "1", RECSYS_PARAMS: undefined }, () => notebookParams(full, quick))).epochs, 2);
  const both = quiet(() => withEnv({ RECSYS_QUICK: "1", RECSYS_PARAMS: '{"dataset":"ml-100k","layers":[8]}' }, () => notebookParams(full, quick)));
  assert.deepEqual(both, { dataset: "ml-100k", epochs: 2, layers: [8] });
  const over = quiet(() => withEnv({ RECSYS_QUICK: undefined, RECSYS_PARAMS: '{"epochs":30}' }, () => notebookParams(full, quick)));
  assert.equal(over.epochs, 30);
  assert.equal(full.epochs, 12, "the notebook's own object is not modified");
});

test("notebookParams: RECSYS_PARAMS that is not a JSON object, or names an unknown parameter, is an error naming it", () => {
  const run = (text: string) => () => quiet(() => withEnv({ RECSYS_QUICK: undefined, RECSYS_PARAMS: text }, () => notebookParams(full, quick)));
  assert.throws(run("{dataset: ml-100k}"), /RECSYS_PARAMS is not valid JSON/);
  assert.throws(run("[1, 2]"), /RECSYS_PARAMS must be a JSON object/);
  assert.throws(run('{"epoch": 3}'), /unknown parameter\(s\) epoch\. This notebook's parameters: dataset, epochs, layers/);
});
