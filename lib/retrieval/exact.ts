/**
 * The built-in exact index: exact maximum inner product search as a blocked matrix product. A block of queries is
 * multiplied by one chunk of items at a time on the active TensorFlow.js backend (its matMul, as full-ranking
 * evaluation uses), and each chunk's scores are read back and offered to a bounded top-(k + |excluded|) heap per
 * query on typed arrays (RowTopK); excluded ids are dropped at the end. Blocking both ways keeps every product
 * large enough to run at the GEMM's speed and its scores small (a few MB), at any number of items.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { checkAdd, checkSearch, emptyResult, type IndexManifest, type SearchOptions, type SearchResult, type VectorIndex } from "./vector-index";
import { readManifest, writeIndexFolder } from "./files";
import { RowTopK } from "./top-k";

/** Items per product: the columns of one chunk of the transposed item matrix. */
const ITEMS_PER_CHUNK = 8192;
/** Queries per product: the rows of one block (scores per product: 256 x 8192 floats, 8 MB). */
const QUERIES_PER_BLOCK = 256;

export class ExactIndex implements VectorIndex {
  readonly kind = "exact";
  readonly isExact = true;
  private ids = new Int32Array(0);
  private vectors = new Float32Array(0);
  private count = 0;
  private position = new Map<number, number>();
  /** The transposed item matrix on the backend in chunks of ITEMS_PER_CHUNK columns, rebuilt after a change. */
  private chunksT: tf.Tensor2D[] | null = null;

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
    const chunks = this.itemChunks();
    for (let start = 0; start < n; start += QUERIES_PER_BLOCK) {
      const rows = Math.min(QUERIES_PER_BLOCK, n - start);
      // Excluded items can push at most their own number out of the top: keep that many more, then drop them.
      let extra = 0;
      for (let r = 0; r < rows; r++) extra = Math.max(extra, options.exclude?.[start + r]?.length ?? 0);
      const depth = Math.min(this.count, k + extra);
      const top = new RowTopK(rows, depth);
      const block = tf.tensor2d(queries.subarray(start * this.dim, (start + rows) * this.dim), [rows, this.dim]);
      try {
        for (let c = 0, first = 0; c < chunks.length; first += chunks[c]!.shape[1], c++) {
          const width = chunks[c]!.shape[1];
          const product = tf.matMul(block, chunks[c]!);
          const scores = (await product.data()) as Float32Array;
          product.dispose();
          for (let r = 0; r < rows; r++) top.offer(r, scores, r * width, width, first);
        }
      } finally {
        block.dispose();
      }
      const scores = new Float32Array(depth);
      const positions = new Int32Array(depth);
      for (let r = 0; r < rows; r++) {
        const q = start + r;
        const excluded = options.exclude?.[q];
        const skip = excluded && excluded.length ? new Set(Array.from(excluded)) : null;
        const kept = top.sorted(r, scores, positions);
        for (let j = 0, w = 0; j < kept && w < k; j++) {
          const id = this.ids[positions[j]!]!;
          if (skip && skip.has(id)) continue;
          out.ids[q * k + w] = id;
          out.scores[q * k + w] = scores[j]!;
          w++;
        }
      }
    }
    return out;
  }

  /** The item matrix on the backend, transposed, in chunks of ITEMS_PER_CHUNK items (built once per change). */
  private itemChunks(): tf.Tensor2D[] {
    if (!this.chunksT) {
      const chunks: tf.Tensor2D[] = [];
      for (let first = 0; first < this.count; first += ITEMS_PER_CHUNK) {
        const width = Math.min(ITEMS_PER_CHUNK, this.count - first);
        const rows = this.vectors.subarray(first * this.dim, (first + width) * this.dim);
        chunks.push(tf.keep(tf.tidy(() => tf.transpose(tf.tensor2d(rows, [width, this.dim])))));
      }
      this.chunksT = chunks;
    }
    return this.chunksT;
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
    if (this.chunksT) tf.dispose(this.chunksT);
    this.chunksT = null;
  }
}

/** A Buffer's bytes as their own ArrayBuffer (typed arrays need aligned, exclusive memory). */
function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
