import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { loadDataset } from "../../lib/data/load";
import { extractZip } from "../../lib/data/zip";
import { FIXTURES, makeZip, serve, tmpDir, zipFolder } from "./helpers";

const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

/** A mirror serving the ml-100k fixture as GroupLens does: the zip and "MD5 (ml-100k.zip) = <hex>". */
async function mirror(options: { checksum?: string } = {}) {
  const zip = zipFolder(path.join(FIXTURES, "ml-100k"), "ml-100k");
  return serve({
    "/ml-100k.zip": zip,
    "/ml-100k.zip.md5": `MD5 (ml-100k.zip) = ${options.checksum ?? md5(zip)}\n`,
  });
}

test("absent files are downloaded from the mirror, verified, unpacked into the folder, then read from disk", async () => {
  const server = await mirror();
  try {
    const root = tmpDir();
    const dir = path.join(root, "ml-100k");
    const progress: [number, number | undefined, boolean][] = [];
    const d = await loadDataset("ml-100k", { dataDir: dir, mirror: server.url, progress: (r, t, done) => progress.push([r, t, done]) });
    assert.equal(d.interactions.length, 10);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["u.data", "u.genre", "u.item", "u.user"]); // top folder stripped
    assert.deepEqual(fs.readFileSync(path.join(dir, "u.item")), fs.readFileSync(path.join(FIXTURES, "ml-100k", "u.item")));
    assert.deepEqual(fs.readdirSync(root), ["ml-100k"]); // no temporary folder left behind
    assert.deepEqual(server.requests, ["/ml-100k.zip.md5", "/ml-100k.zip"]);
    assert.ok(progress.length >= 2 && progress.at(-1)![2] === true && progress.at(-1)![0] === progress.at(-1)![1]);
    await loadDataset("ml-100k", { dataDir: dir, mirror: server.url, progress: false });
    assert.equal(server.requests.length, 2, "a second load reads the folder without the network");
  } finally {
    await server.close();
  }
});

test("RECSYS_DATA_DIR is a root with one folder per dataset; RECSYS_DATASET_MIRROR replaces the publisher", async () => {
  const server = await mirror();
  const saved = { dir: process.env.RECSYS_DATA_DIR, mirror: process.env.RECSYS_DATASET_MIRROR };
  try {
    const root = tmpDir();
    process.env.RECSYS_DATA_DIR = root;
    process.env.RECSYS_DATASET_MIRROR = server.url;
    const d = await loadDataset("ml-100k", { progress: false });
    assert.equal(d.source, path.join(root, "ml-100k"));
    assert.ok(fs.existsSync(path.join(root, "ml-100k", "u.data")));
  } finally {
    for (const [k, v] of [["RECSYS_DATA_DIR", saved.dir], ["RECSYS_DATASET_MIRROR", saved.mirror]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await server.close();
  }
});

test("a checksum mismatch fails with both digests and leaves nothing in the cache", async () => {
  const server = await mirror({ checksum: "0123456789abcdef0123456789abcdef" });
  try {
    const root = tmpDir();
    const dir = path.join(root, "ml-100k");
    await assert.rejects(loadDataset("ml-100k", { dataDir: dir, mirror: server.url, progress: false }), (err: Error) => {
      assert.match(err.message, /ml-100k: checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/ml-100k\.zip: its MD5 is [0-9a-f]{32} but .*ml-100k\.zip\.md5 says 0123456789abcdef0123456789abcdef\. Nothing was kept in /);
      assert.ok(err.message.includes(dir));
      return true;
    });
    assert.deepEqual(fs.readdirSync(root), [], "neither the dataset folder nor a temporary folder remains");
  } finally {
    await server.close();
  }
});

test("offline: the error names the URL and the folder to put the files in", async () => {
  const server = await mirror();
  const url = server.url;
  await server.close(); // nothing listens there any more
  const dir = path.join(tmpDir(), "ml-100k");
  await assert.rejects(loadDataset("ml-100k", { dataDir: dir, mirror: url, progress: false }), (err: Error) => {
    assert.match(err.message, /ml-100k: cannot download http:\/\/127\.0\.0\.1:\d+\/ml-100k\.zip\.md5 \(ECONNREFUSED; no network\?\)/);
    assert.ok(err.message.includes(`download ${url}/ml-100k.zip elsewhere, unzip it and put its files in ${dir} (so that ${path.join(dir, "u.data")} exists)`), err.message);
    return true;
  });
  assert.equal(fs.existsSync(path.dirname(dir)) ? fs.readdirSync(path.dirname(dir)).length : 0, 0);
  await assert.rejects(loadDataset("ml-100k", { dataDir: dir, download: false }), (err: Error) => {
    assert.ok(err.message.includes(`${path.join(dir, "u.data")} does not exist and downloading is off. Download https://files.grouplens.org/datasets/movielens/ml-100k.zip`), err.message);
    return true;
  });
});

test("HTTP errors and a folder with foreign content are refused without touching it", async () => {
  const server = await serve({});
  try {
    const dir = path.join(tmpDir(), "ml-100k");
    await assert.rejects(loadDataset("ml-100k", { dataDir: dir, mirror: server.url, progress: false }), /ml-100k\.zip\.md5 answered HTTP 404/);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
    await assert.rejects(loadDataset("ml-100k", { dataDir: dir, mirror: server.url, progress: false }), /exists but lacks u\.data; it will not be overwritten/);
    assert.deepEqual(fs.readdirSync(dir), ["notes.txt"]);
  } finally {
    await server.close();
  }
});

test("unknown dataset names list the valid ones; misspelt options are refused", async () => {
  await assert.rejects(loadDataset("ml-10m"), /unknown dataset 'ml-10m'\. Valid datasets: ml-100k, ml-1m, ml-latest-small, ml-20m, ml-25m, synthetic/);
  await assert.rejects(loadDataset("synthetic", { datadir: "x" } as never), /loadDataset: unknown option 'datadir'/);
});

test("extractZip: stored and deflated entries, CRC checked, and entries escaping the folder refused", async () => {
  const dir = tmpDir();
  const ok = path.join(dir, "ok.zip");
  fs.writeFileSync(ok, makeZip({ "a.txt": "hello", "sub/b.txt": "x".repeat(10000) }, {}));
  assert.deepEqual(await extractZip(ok, path.join(dir, "out")), ["a.txt", "sub/b.txt"]);
  assert.equal(fs.readFileSync(path.join(dir, "out", "sub", "b.txt"), "utf8"), "x".repeat(10000));
  const stored = path.join(dir, "stored.zip");
  fs.writeFileSync(stored, makeZip({ "top/a.txt": "hello" }, { stored: true }));
  assert.deepEqual(await extractZip(stored, path.join(dir, "out2")), ["a.txt"]);
  const evil = path.join(dir, "evil.zip");
  fs.writeFileSync(evil, makeZip({ "a/../../escape.txt": "x", "b/ok.txt": "y" }));
  await assert.rejects(extractZip(evil, path.join(dir, "out3")), /would be written outside/);
  assert.equal(fs.existsSync(path.join(dir, "escape.txt")), false);
  const corrupt = makeZip({ "a.txt": "hello world" }, { stored: true });
  corrupt[30 + "a.txt".length] = "j".charCodeAt(0); // flip the first content byte; CRC no longer matches
  fs.writeFileSync(path.join(dir, "bad.zip"), corrupt);
  await assert.rejects(extractZip(path.join(dir, "bad.zip"), path.join(dir, "out4")), /entry a\.txt is corrupt/);
  fs.writeFileSync(path.join(dir, "not.zip"), "plain text");
  await assert.rejects(extractZip(path.join(dir, "not.zip"), path.join(dir, "out5")), /is not a zip archive/);
});
