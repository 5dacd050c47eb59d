/**
 * The built-in exact index: every item scored by one matrix product per block of queries (the active TensorFlow.js
 * backend's matMul, as full-ranking evaluation does) and the top k + |excluded| selected on the backend (TopK), so
 * only those come back to the host, where excluded ids are dropped. Exact maximum inner product search.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { checkAdd, checkSearch, emptyResult, type IndexManifest, type SearchOptions, type SearchResult, type VectorIndex } from "./vector-index";
import { readManifest, writeIndexFolder } from "./files";

/** Scores per product block (about 16 MB of float32). */
const SCORES_PER_BLOCK = 1 << 22;

export class ExactIndex implements VectorIndex {
  readonly kind = "exact";
  readonly isExact = true;
  private ids = new Int32Array(0);
  private vectors = new Float32Array(0);
  private count = 0;
  private position = new Map<number, number>();
  /** The transposed item matrix on the backend, rebuilt after a change. */
  private itemsT: tf.Tensor2D | null = null;

  constructor(readonly dim: number) {
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`ExactIndex: dim must be a positive integer, got ${dim}`);
  }

  size(): number {
    return this.count;
  }

  async add(ids: ArrayLike<number>, vectors: Float32Array): Promise<void> {
    checkAdd("ExactIndex.add", this.dim, ids, vectors, (id) => this.position.has(id));
    const n = this.count + ids.length;
    if (n > this.ids.length) {
      const cap = Math.max(n, 2 * this.ids.length, 1024);
      const grownIds = new Int32Array(cap);
      grownIds.set(this.ids.subarray(0, this.count));
      const grown = new Float32Array(cap * this.dim);
      grown.set(this.vectors.subarray(0, this.count * this.dim));
      this.ids = grownIds;
      this.vectors = grown;
    }
    for (let k = 0; k < ids.length; k++) {
      this.ids[this.count + k] = ids[k]!;
      this.position.set(ids[k]!, this.count + k);
    }
    this.vectors.set(vectors, this.count * this.dim);
    this.count = n;
    this.invalidate();
  }

  async remove(ids: ArrayLike<number>): Promise<void> {
    for (let k = 0; k < ids.length; k++) {
      if (!this.position.has(ids[k]!)) throw new Error(`ExactIndex.remove: id ${ids[k]} is not in the index`);
    }
    const gone = new Set(Array.from(ids));
    let w = 0;
    for (let r = 0; r < this.count; r++) {
      if (gone.has(this.ids[r]!)) continue;
      this.ids[w] = this.ids[r]!;
      this.vectors.copyWithin(w * this.dim, r * this.dim, (r + 1) * this.dim);
      w++;
    }
    this.count = w;
    this.position = new Map(Array.from(this.ids.subarray(0, w), (id, r) => [id, r]));
    this.invalidate();
  }

  async search(queries: Float32Array, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    const n = checkSearch("ExactIndex.search", this.dim, queries, k, options);
    const out = emptyResult(n, k);
    if (!this.count || !n) return out;
    this.itemsT ??= tf.keep(tf.tidy(() => tf.transpose(tf.tensor2d(this.vectors.subarray(0, this.count * this.dim), [this.count, this.dim]))));
    const rowsPerBlock = Math.max(1, Math.floor(SCORES_PER_BLOCK / this.count));
    for (let start = 0; start < n; start += rowsPerBlock) {
      const rows = Math.min(rowsPerBlock, n - start);
      // Excluded items can push at most their own number out of the top: take that many more, then drop them.
      let extra = 0;
      for (let r = 0; r < rows; r++) extra = Math.max(extra, options.exclude?.[start + r]?.length ?? 0);
      const depth = Math.min(this.count, k + extra);
      // The selection runs on the backend (TopK): only [rows x depth] comes back instead of every score.
      const { values, indices } = tf.tidy(() => tf.topk(tf.matMul(tf.tensor2d(queries.subarray(start * this.dim, (start + rows) * this.dim), [rows, this.dim]), this.itemsT!), depth));
      const positions = (await indices.data()) as Int32Array;
      const scores = (await values.data()) as Float32Array;
      tf.dispose([values, indices]);
      for (let r = 0; r < rows; r++) {
        const q = start + r;
        const excluded = options.exclude?.[q];
        const skip = excluded && excluded.length ? new Set(Array.from(excluded)) : null;
        for (let j = 0, w = 0; j < depth && w < k; j++) {
          const id = this.ids[positions[r * depth + j]!]!;
          if (skip && skip.has(id)) continue;
          out.ids[q * k + w] = id;
          out.scores[q * k + w] = scores[r * depth + j]!;
          w++;
        }
      }
    }
    return out;
  }

  /** Host copies of the items held: ids and vectors [size x dim], in insertion order (after removals compacted). */
  items(): { ids: Int32Array; vectors: Float32Array } {
    return { ids: this.ids.slice(0, this.count), vectors: this.vectors.slice(0, this.count * this.dim) };
  }

  async save(dir: string): Promise<void> {
    const { ids, vectors } = this.items();
    const manifest: IndexManifest = { format: "recsys-lab-index", version: 1, kind: this.kind, dim: this.dim, size: this.count, settings: {} };
    await writeIndexFolder(dir, manifest, { "ids.bin": Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength), "vectors.bin": Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength) });
  }

  static async load(dir: string): Promise<ExactIndex> {
    const manifest = await readManifest(dir, "exact");
    const index = new ExactIndex(manifest.dim);
    const ids = new Int32Array(toArrayBuffer(await fs.promises.readFile(path.join(dir, "ids.bin"))));
    const vectors = new Float32Array(toArrayBuffer(await fs.promises.readFile(path.join(dir, "vectors.bin"))));
    if (ids.length !== manifest.size || vectors.length !== manifest.size * manifest.dim) {
      throw new Error(`ExactIndex.load: ${dir} holds ${ids.length} ids and ${vectors.length} values; index.json says ${manifest.size} x ${manifest.dim}`);
    }
    await index.add(ids, vectors);
    return index;
  }

  async close(): Promise<void> {
    this.invalidate();
  }

  private invalidate(): void {
    this.itemsT?.dispose();
    this.itemsT = null;
  }
}

/** A Buffer's bytes as their own ArrayBuffer (typed arrays need aligned, exclusive memory). */
function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
