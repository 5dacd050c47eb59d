/**
 * Fetching a publisher's zip into a dataset folder, all or nothing: the checksum file and the archive go to a
 * temporary folder beside the target, the archive's MD5 is compared with the one the publisher prints beside it
 * (GroupLens: `<zip>.md5`, "MD5 (ml-100k.zip) = <hex>"), it is unpacked there, and only then renamed to the target.
 * On any failure (no network, HTTP error, checksum mismatch, corrupt archive) the temporary folder is removed, so
 * the cache never holds a half-written dataset.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Readable, Transform, type TransformCallback } from "stream";
import { pipeline } from "stream/promises";
import { extractZip } from "./zip";
import { createProgress } from "../progress";

/** Called as bytes arrive (total is undefined when the server does not say), and once more with done = true. */
export type ProgressReporter = (received: number, total: number | undefined, done: boolean) => void;

export interface DownloadOptions {
  /** Dataset name, for messages. */
  name: string;
  /** The zip archive. */
  url: string;
  /** The publisher's checksum file for it (an MD5 digest somewhere in its text). */
  checksumUrl: string;
  /** The folder to create with the archive's files in it. Must not exist, or be empty. */
  targetDir: string;
  /** The file that proves the folder is complete (named in the offline message). */
  requiredFile: string;
  /** true (default): a progress line on stderr; false: silent; a function: your own display. */
  progress?: boolean | ProgressReporter;
}

/** A download that failed; the message names the URL, the folder to fill by hand, and how. */
export class DownloadError extends Error {
  override name = "DownloadError";
}

export async function downloadDataset(o: DownloadOptions): Promise<void> {
  const target = path.resolve(o.targetDir);
  const parent = path.dirname(target);
  const manual = `To work offline, download ${o.url} elsewhere, unzip it and put its files in ${target} (so that ${path.join(target, o.requiredFile)} exists), or point --data-dir / the dataDir option / RECSYS_DATA_DIR at a folder that has them.`;
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
    throw new DownloadError(`${o.name}: ${target} exists but lacks ${o.requiredFile}; it will not be overwritten. Remove or empty it to download again, or put the files there by hand.`);
  }
  try {
    fs.mkdirSync(parent, { recursive: true });
  } catch (err) {
    throw new DownloadError(`${o.name}: cannot create ${parent} (${(err as Error).message}). ${manual}`);
  }
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.partial-`));
  try {
    const checksumText = await fetchText(o.checksumUrl, o.name, manual);
    const expected = /\b([0-9a-fA-F]{32})\b/.exec(checksumText)?.[1]?.toLowerCase();
    if (!expected) throw new DownloadError(`${o.name}: ${o.checksumUrl} holds no MD5 digest (got ${JSON.stringify(checksumText.slice(0, 100))}). ${manual}`);
    const archive = path.join(tmp, path.basename(new URL(o.url).pathname) || "archive.zip");
    const actual = await fetchToFile(o.url, archive, o.name, manual, reporter(o.progress, o.url));
    if (actual !== expected) {
      throw new DownloadError(
        `${o.name}: checksum mismatch for ${o.url}: its MD5 is ${actual} but ${o.checksumUrl} says ${expected}. Nothing was kept in ${target}. ` +
          `The download was corrupted or the file changed: try again, or ${manual.charAt(0).toLowerCase()}${manual.slice(1)}`,
      );
    }
    const unpacked = path.join(tmp, "unpacked");
    const files = await extractZip(archive, unpacked);
    if (!files.includes(o.requiredFile)) {
      throw new DownloadError(`${o.name}: ${o.url} does not contain ${o.requiredFile} (it has ${files.slice(0, 10).join(", ")}); nothing was kept. ${manual}`);
    }
    if (fs.existsSync(target)) fs.rmdirSync(target); // empty (checked above); rename needs it gone
    fs.renameSync(unpacked, target);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function fetchText(url: string, name: string, manual: string): Promise<string> {
  const res = await get(url, name, manual);
  return await res.text();
}

/** Streams url into file; returns the MD5 hex digest of the bytes. */
async function fetchToFile(url: string, file: string, name: string, manual: string, progress: ProgressReporter | undefined): Promise<string> {
  const res = await get(url, name, manual);
  if (!res.body) throw new DownloadError(`${name}: ${url} returned no body. ${manual}`);
  const total = Number(res.headers.get("content-length")) || undefined;
  const hash = createHash("md5");
  let received = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      hash.update(chunk);
      received += chunk.length;
      progress?.(received, total, false);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import("stream/web").ReadableStream<Uint8Array>), tap, fs.createWriteStream(file));
  } catch (err) {
    throw new DownloadError(`${name}: the download of ${url} broke off after ${received} bytes (${(err as Error).message}). ${manual}`);
  } finally {
    progress?.(received, total, true);
  }
  return hash.digest("hex");
}

async function get(url: string, name: string, manual: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new DownloadError(`${name}: cannot download ${url} (${why}; no network?). ${manual}`);
  }
  if (!res.ok) throw new DownloadError(`${name}: ${url} answered HTTP ${res.status} ${res.statusText}. ${manual}`);
  return res;
}

function reporter(option: boolean | ProgressReporter | undefined, url: string): ProgressReporter | undefined {
  if (typeof option === "function") return option;
  if (option === false) return undefined;
  return stderrProgress(url);
}

/**
 * "Downloading <url>: 12.3 / 45.0 MB (27%)" on the shared progress line (lib/progress.ts: redrawn in place on a
 * terminal, an updating display in a notebook, throttled lines in logs), redrawn at most every 100 ms.
 */
export function stderrProgress(label: string): ProgressReporter {
  const line = createProgress();
  let lastDraw = 0;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return (received, total, done) => {
    const text = `Downloading ${label}: ${mb(received)}${total ? ` / ${mb(total)} MB (${Math.floor((100 * received) / total)}%)` : " MB"}`;
    if (done) return line.done(text);
    const now = Date.now();
    if (now - lastDraw > 100) {
      lastDraw = now;
      line.update(text);
    }
  };
}
