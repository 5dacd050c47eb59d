/**
 * recommend(user, k): the user's vector computed live (a Two-Tower's user tower, or a factorised model's user
 * factors) -> the index's nearest items by inner product -> the user's seen items excluded -> top-k raw ids with
 * titles and scores. Opened once from a model folder and an index bundle, it answers from memory.
 */
import * as fs from "fs";
import * as path from "path";
import { loadModel } from "../models/io";
import type { Model } from "../models/model";
import { loadIndex } from "../retrieval/registry";
import type { VectorIndex } from "../retrieval/vector-index";
import { retrievalVectors, type RetrievalVectors } from "../retrieval/vectors";
import { loadCatalog, type Catalog } from "./catalog";

export interface Recommendation {
  item: string;
  title?: string;
  score: number;
}

export interface RecommendResult {
  user: string;
  k: number;
  items: Recommendation[];
  /** How many seen items were excluded. */
  excluded: number;
  index: { kind: string; exact: boolean };
}

/** A request the service cannot answer because of its input (an HTTP 4xx). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

/** The most items one request may ask for. */
export const MAX_K = 1000;

export class RecommendationService {
  private readonly userIndex: Map<string, number>;

  private constructor(
    readonly model: Model,
    readonly index: VectorIndex,
    readonly catalog: Catalog,
    private readonly vectors: RetrievalVectors,
  ) {
    this.userIndex = new Map(catalog.userIds.map((id, u) => [id, u]));
    if (catalog.userIds.length !== model.numUsers || catalog.itemIds.length !== model.numItems) {
      throw new Error(`the index bundle is for ${catalog.userIds.length} users x ${catalog.itemIds.length} items, the model has ${model.numUsers} x ${model.numItems}; build the index from this model`);
    }
  }

  /** Open a model folder (saved by train --save) and an index bundle (written by index build). */
  static async open(modelDir: string, bundleDir: string, indexOverrides: Record<string, unknown> = {}): Promise<RecommendationService> {
    if (!fs.existsSync(path.join(bundleDir, "index", "index.json"))) throw new Error(`${bundleDir} is not an index bundle (no index/index.json); write one with 'recsys-lab index build'`);
    const model = await loadModel(modelDir);
    try {
      const catalog = await loadCatalog(bundleDir);
      const index = await loadIndex(path.join(bundleDir, "index"), indexOverrides);
      const vectors = retrievalVectors(model);
      if (vectors.dim !== index.dim) throw new Error(`the index holds ${index.dim}-dimensional vectors, the model gives ${vectors.dim}; build the index from this model`);
      return new RecommendationService(model, index, catalog, vectors);
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  /** The top-k unseen items for a user given by raw id. */
  async recommend(user: string, k = 10): Promise<RecommendResult> {
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new RequestError(`k must be an integer in [1, ${MAX_K}], got ${k}`, 400);
    const u = this.userIndex.get(user);
    if (u === undefined) throw new RequestError(`unknown user '${user}'`, 404);
    const seen = this.catalog.seen.items.subarray(this.catalog.seen.indptr[u]!, this.catalog.seen.indptr[u + 1]!);
    const found = await this.index.search(this.vectors.users(Int32Array.of(u)), k, { exclude: [seen] });
    const items: Recommendation[] = [];
    for (let r = 0; r < k; r++) {
      const i = found.ids[r]!;
      if (i < 0) break;
      const title = this.catalog.titles?.[i];
      items.push({ item: this.catalog.itemIds[i]!, ...(title !== undefined ? { title } : {}), score: found.scores[r]! });
    }
    return { user, k, items, excluded: seen.length, index: { kind: this.index.kind, exact: this.index.isExact } };
  }

  async close(): Promise<void> {
    await this.index.close();
    this.model.dispose();
  }
}
