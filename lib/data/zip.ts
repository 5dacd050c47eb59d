/**
 * Extracting a zip archive with node's own zlib: the central directory is read from the end of the file and each
 * entry is streamed (inflate -> file), so a 250 MB MovieLens archive never sits in memory. Stored (0) and deflated
 * (8) entries are supported, which is what zip tools write; zip64 and encrypted archives are refused with a message.
 * Every entry's size and CRC-32 are checked.
 */
import * as fs from "fs";
import * as path from "path";
import { Transform, type TransformCallback } from "stream";
import { pipeline } from "stream/promises";
import * as zlib from "zlib";

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  isDirectory: boolean;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** CRC-32 (IEEE), continuing from `value`. zlib.crc32 exists from Node 20.15; older Nodes use a table. */
export function crc32(data: Uint8Array, value = 0): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (native) return native(data, value);
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The entries of a zip file, from its central directory. */
export function listZip(file: string): ZipEntry[] {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const tailLength = Math.min(size, 22 + 65535);
    const tail = Buffer.alloc(tailLength);
    fs.readSync(fd, tail, 0, tailLength, size - tailLength);
    let at = -1;
    for (let p = tailLength - 22; p >= 0; p--) {
      if (tail.readUInt32LE(p) === EOCD) {
        at = p;
        break;
      }
    }
    if (at < 0) throw new Error(`${file} is not a zip archive (no end-of-central-directory record)`);
    const count = tail.readUInt16LE(at + 10);
    const dirSize = tail.readUInt32LE(at + 12);
    const dirOffset = tail.readUInt32LE(at + 16);
    if (count === 0xffff || dirOffset === 0xffffffff) throw new Error(`${file} is a zip64 archive, which this reader does not support; unpack it with 'unzip' instead`);
    const dir = Buffer.alloc(dirSize);
    fs.readSync(fd, dir, 0, dirSize, dirOffset);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (dir.readUInt32LE(p) !== CENTRAL) throw new Error(`${file}: damaged central directory at entry ${k}`);
      const flags = dir.readUInt16LE(p + 8);
      const nameLength = dir.readUInt16LE(p + 28);
      const extraLength = dir.readUInt16LE(p + 30);
      const commentLength = dir.readUInt16LE(p + 32);
      const name = dir.toString(flags & 0x800 ? "utf8" : "latin1", p + 46, p + 46 + nameLength);
      if (flags & 1) throw new Error(`${file}: entry ${name} is encrypted; unpack it by hand`);
      entries.push({
        name,
        method: dir.readUInt16LE(p + 10),
        crc32: dir.readUInt32LE(p + 16),
        compressedSize: dir.readUInt32LE(p + 20),
        size: dir.readUInt32LE(p + 24),
        localHeaderOffset: dir.readUInt32LE(p + 42),
        isDirectory: name.endsWith("/"),
      });
      p += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Extracts every entry of `file` into `destDir`. When all entries sit under one top folder (MovieLens zips hold
 * "ml-100k/..."), that folder is stripped so the files land directly in destDir. Returns the written paths relative
 * to destDir. Entry names that would escape destDir ("../x", "/etc/x") are refused.
 */
export async function extractZip(file: string, destDir: string): Promise<string[]> {
  const entries = listZip(file);
  const files = entries.filter((e) => !e.isDirectory && !e.name.startsWith("__MACOSX/"));
  const tops = new Set(files.map((e) => (e.name.includes("/") ? e.name.slice(0, e.name.indexOf("/") + 1) : "")));
  const strip = tops.size === 1 ? [...tops][0]! : "";
  const written: string[] = [];
  fs.mkdirSync(destDir, { recursive: true });
  const fd = fs.openSync(file, "r");
  try {
    for (const e of files) {
      const rel = e.name.slice(strip.length);
      const target = path.resolve(destDir, rel);
      if (!rel || path.isAbsolute(rel) || !target.startsWith(path.resolve(destDir) + path.sep)) {
        throw new Error(`${file}: entry '${e.name}' would be written outside ${destDir}; refusing to unpack this archive`);
      }
      const header = Buffer.alloc(30);
      fs.readSync(fd, header, 0, 30, e.localHeaderOffset);
      if (header.readUInt32LE(0) !== LOCAL) throw new Error(`${file}: damaged local header for ${e.name}`);
      const start = e.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const source = fs.createReadStream(file, { start, end: start + e.compressedSize - 1 });
      const check = new CrcCheck();
      const stages: NodeJS.ReadWriteStream[] = [];
      if (e.method === 8) stages.push(zlib.createInflateRaw());
      else if (e.method !== 0) throw new Error(`${file}: entry ${e.name} uses compression method ${e.method}; only stored and deflated entries are supported`);
      if (e.compressedSize === 0) fs.writeFileSync(target, "");
      else await pipeline([source, ...stages, check, fs.createWriteStream(target)]);
      if (check.length !== e.size || (check.length > 0 && check.crc !== e.crc32)) {
        throw new Error(`${file}: entry ${e.name} is corrupt (size ${check.length} vs ${e.size}, CRC ${check.crc.toString(16)} vs ${e.crc32.toString(16)}); download it again`);
      }
      written.push(rel);
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

class CrcCheck extends Transform {
  crc = 0;
  length = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.length += chunk.length;
    callback(null, chunk);
  }
}
