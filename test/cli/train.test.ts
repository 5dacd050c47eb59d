// The compiled command line (dist/), as a user runs it: training on the wasm backend through the kit's own
// WebAssembly kernels, saving, and the JSON result.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const TINY = ["--dataset", "synthetic", "--users", "80", "--items", "300", "--per-user", "12"];
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, "dist", "cli.js"), ...args], { encoding: "utf8", env: { ...process.env, RECSYS_BACKEND: "wasm" } });

test("recsys-lab train (compiled) trains NeuMF on wasm, reports both protocols and saves the model", () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "train-")), "model");
  const r = cli("train", ...TINY, "--model", "neumf", "--epochs", "2", "--batch", "64", "--seed", "3", "--save", dir, "--quiet");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.backend, "wasm");
  assert.equal(out.model, "NeuMF");
  assert.equal(out.epochs, 2);
  assert.equal(out.history.length, 2);
  assert.ok(out.history[1].trainLoss < out.history[0].trainLoss, JSON.stringify(out.history));
  assert.match(out.test.full.protocol, /full ranking/);
  assert.match(out.test.sampled.protocol, /paper reproduction/);
  for (const v of [out.test.full["hr@10"], out.test.full["ndcg@10"], out.test.sampled["hr@10"]]) assert.ok(v >= 0 && v <= 1);
  assert.equal(out.test.usersEvaluated, 80);
  assert.equal(out.mergedDuplicates, 0); // the synthetic world has no repeated pairs
  assert.ok(out.examplesPerSecond > 0);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["config.json", "ids.json", "optimizer.bin", "weights.bin", "weights.json"]);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).className, "NeuMF");

  // evaluate --model-dir rebuilds the split from the saved run and reproduces the test metrics exactly.
  const e = cli("evaluate", "--model-dir", dir);
  assert.equal(e.status, 0, e.stderr);
  const again = JSON.parse(e.stdout);
  assert.deepEqual(again.test, out.test);
  assert.equal(again.model, "NeuMF");
  assert.equal(again.epochsTrained, 2);
  // Other data: a different world (same ids, other interactions) or other sizes is an error that says so.
  const other = cli("evaluate", "--model-dir", dir, "--data-seed", "7");
  assert.equal(other.status, 1);
  assert.match(other.stderr, /trained on \d+ interactions with fingerprint [0-9a-f]{12}…, but this training split has \d+ .*another dataset version, split or seed/);
  const bigger = cli("evaluate", "--model-dir", dir, "--users", "81");
  assert.equal(bigger.status, 1);
  assert.match(bigger.stderr, /was trained on 80 users x 300 items, but this data has 81 x 300; load it with the dataset it was trained on/);
  const clash = cli("evaluate", "--model-dir", dir, "--seed", "4");
  assert.equal(clash.status, 2);
  assert.match(clash.stderr, /--seed comes from the saved run with --model-dir; leave it out/);
});

test("recsys-lab train: the same seed gives the same result, a different seed a different one", () => {
  const run = (seed: string) => {
    const r = cli("train", ...TINY, "--model", "mf", "--epochs", "2", "--batch", "64", "--seed", seed, "--quiet");
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    return { loss: o.finalTrainLoss, test: o.test };
  };
  const a = run("1");
  assert.deepEqual(run("1"), a);
  assert.notDeepEqual(run("2").loss, a.loss);
});

test("recsys-lab train rejects options that do not fit the model, naming them", () => {
  const r = cli("train", ...TINY, "--model", "mf", "--layers", "16,8", "--quiet");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--layers applies to mlp and neumf, not mf/);
  const s = cli("train", ...TINY, "--model", "neumf", "--layers", "16,x", "--quiet");
  assert.equal(s.status, 2);
  assert.match(s.stderr, /--layers must be comma-separated positive integers/);
});

test("recsys-lab train --model two-tower: in-batch softmax by default, the cold-start figure, save and evaluate --model-dir", () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "train-tt-")), "model");
  const r = cli("train", ...TINY, "--model", "two-tower", "--epochs", "2", "--batch", "128", "--features", "user-id,age,history,item-id,genres", "--save", dir, "--quiet");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.model, "TwoTower");
  assert.equal(out.loss, "softmax");
  assert.match(out.test.coldStart.protocol, /features alone/);
  assert.ok(out.test.full["hr@10"] > 0 && out.test.coldStart["hr@10"] >= 0);
  const e = cli("evaluate", "--model-dir", dir);
  assert.equal(e.status, 0, e.stderr);
  assert.deepEqual(JSON.parse(e.stdout).test, out.test);
  const bad = cli("train", ...TINY, "--model", "two-tower", "--layers", "16,8", "--quiet");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--layers does not apply to two-tower; its options are --features/);
  const missing = cli("train", ...TINY, "--model", "two-tower", "--features", "user-id,zip,item-id", "--quiet");
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /synthetic has no 'zip' feature; it has: user-id, gender, occupation, age, history, item-id, genres, year, title/);
});

test("recsys-lab train --workers 2 (compiled) trains on two threads as on one, within float tolerance; bad values are usage errors", () => {
  const args = ["train", ...TINY, "--model", "neumf", "--epochs", "2", "--batch", "64", "--seed", "3", "--quiet"];
  const one = cli(...args);
  const two = cli(...args, "--workers", "2");
  assert.equal(two.status, 0, two.stderr);
  const [a, b] = [JSON.parse(one.stdout), JSON.parse(two.stdout)];
  assert.equal(b.workers, 2);
  assert.equal(a.workers, undefined);
  a.history.forEach((h: { trainLoss: number }, e: number) => assert.ok(Math.abs(h.trainLoss - b.history[e].trainLoss) < 1e-4, JSON.stringify([a.history, b.history])));
  const bad = cli("train", ...TINY, "--workers", "two");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /train: --workers must be a positive integer or 'auto', got 'two'/);
  const softmax = cli("train", ...TINY, "--model", "two-tower", "--workers", "2");
  assert.equal(softmax.status, 2);
  assert.match(softmax.stderr, /train: --workers 2 cannot split the in-batch softmax \(--loss softmax\)/);
});
