// The compiled command line checks every option before it starts a backend or loads (maybe downloads) a dataset:
// a typo in --epochs must not cost a download or a backend start first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
// A folder that does not exist, and a mirror nobody listens on: if an option were checked only after the dataset
// load, the command would try to download (and fail fast with exit 1) instead of failing with a usage error (2).
const MISSING = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "checks-")), "no-such-folder");
const ML100K = ["--dataset", "ml-100k", "--data-dir", MISSING];
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, "dist", "cli.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, RECSYS_BACKEND: "wasm", RECSYS_DATASET_MIRROR: "http://127.0.0.1:9" },
    timeout: 30_000,
  });

/** Runs the command and asserts a usage error with the message, before the backend line or any download. */
function rejectsFirst(args: string[], message: RegExp): void {
  const r = cli(...args);
  assert.equal(r.status, 2, `${args.join(" ")}\nstatus ${r.status}\n${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /TensorFlow\.js backend/); // initBackend's line: the backend never started
  assert.doesNotMatch(r.stderr, /download|127\.0\.0\.1/i);
  assert.equal(r.stdout, "");
  assert.ok(!fs.existsSync(MISSING));
}

test("train --negatives 0 with loss bce is a usage error, given before the backend starts or the dataset loads", () => {
  rejectsFirst(["train", "--negatives", "0", ...ML100K], /^train: --negatives must be at least 1 with --loss bce, got 0: a model trained without negatives learns to say yes to everything/);
  rejectsFirst(["train", "--negatives", "4", "--loss", "bpr", ...ML100K], /train: --negatives applies to --loss bce only \(got --loss bpr\)/);
});

test("train checks counts, rates and weights before anything starts", () => {
  const cases: [string[], RegExp][] = [
    [["--epochs", "0"], /train: --epochs must be at least 1, got 0/],
    [["--batch", "-3"], /train: --batch must be at least 1, got -3/],
    [["--k", "0"], /train: --k must be at least 1, got 0/],
    [["--patience", "0"], /train: --patience must be at least 1, got 0/],
    [["--sampled-negatives", "0"], /train: --sampled-negatives must be at least 1, got 0/],
    [["--factors", "0"], /train: --factors must be at least 1, got 0/],
    [["--lr", "0"], /train: --lr must be greater than 0, got 0/],
    [["--dropout", "1"], /train: --dropout must be in \[0, 1\), got 1/],
    [["--embedding-dropout", "-0.1"], /train: --embedding-dropout must be in \[0, 1\), got -0.1/],
    [["--dense-l2", "-1"], /train: --dense-l2 must be at least 0, got -1/],
    [["--layers", "16,x"], /train: --layers must be comma-separated positive integers/],
  ];
  for (const [args, message] of cases) rejectsFirst(["train", ...args, ...ML100K], message);
});

test("--loss mse and --min-rating on a CSV without --rating-column are usage errors before the file is read", () => {
  const csv = ["--dataset", "csv", "--file", path.join(MISSING, "log.csv"), "--user-column", "u", "--item-column", "i"];
  rejectsFirst(["train", "--loss", "mse", ...csv], /train: --loss mse trains on ratings; give --rating-column/);
  rejectsFirst(["data", "stats", "--min-rating", "4", ...csv], /data: --min-rating needs ratings; give --rating-column/);
});
