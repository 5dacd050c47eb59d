/**
 * What serving needs besides the model and the index, saved beside the index by `index build`: the raw user and
 * item ids (requests name users by raw id; answers name items by raw id), the item titles when the dataset has
 * them, and each user's seen items (training and validation), which are never recommended.
 */
import * as fs from "fs";
import * as path from "path";
import type { Dataset } from "../data/dataset";
import type { Interactions } from "../data/interactions";
import { userItemSets } from "../eval/mask";

export interface Catalog {
  userIds: readonly string[];
  itemIds: readonly string[];
  /** Item titles by index, when the dataset has them. */
  titles: readonly string[] | null;
  /** Seen items of each user as CSR: items seen[indptr[u] .. indptr[u + 1]). */
  seen: { indptr: Int32Array; items: Int32Array };
}

/** The catalog of a dataset and the interactions its model was trained on (train, plus validation if any). */
export function buildCatalog(dataset: Dataset, seenIn: readonly Interactions[]): Catalog {
  const x = dataset.interactions;
  const title = dataset.itemFeatures?.columns.title;
  const sets = userItemSets(seenIn);
  return {
    userIds: x.userIds,
    itemIds: x.itemIds,
    titles: title?.kind === "text" ? title.values : null,
    seen: { indptr: sets.indptr, items: sets.indices.slice(0, sets.indptr[x.numUsers]) },
  };
}

export async function saveCatalog(dir: string, c: Catalog): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  await fs.promises.writeFile(path.join(dir, "catalog.json"), JSON.stringify({ userIds: c.userIds, itemIds: c.itemIds, titles: c.titles }) + "\n");
  const bytes = Buffer.alloc((c.seen.indptr.length + c.seen.items.length) * 4);
  Buffer.from(c.seen.indptr.buffer, c.seen.indptr.byteOffset, c.seen.indptr.byteLength).copy(bytes, 0);
  Buffer.from(c.seen.items.buffer, c.seen.items.byteOffset, c.seen.items.byteLength).copy(bytes, c.seen.indptr.byteLength);
  await fs.promises.writeFile(path.join(dir, "seen.bin"), bytes);
}

export async function loadCatalog(dir: string): Promise<Catalog> {
  const read = async (file: string) => {
    try {
      return await fs.promises.readFile(path.join(dir, file));
    } catch (err) {
      throw new Error(`cannot read ${path.join(dir, file)} (${(err as Error).message}); is ${dir} a folder written by 'recsys-lab index build'?`);
    }
  };
  const meta = JSON.parse((await read("catalog.json")).toString("utf8")) as { userIds: string[]; itemIds: string[]; titles: string[] | null };
  const bin = await read("seen.bin");
  const all = new Int32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer);
  const indptr = all.slice(0, meta.userIds.length + 1);
  const items = all.slice(meta.userIds.length + 1);
  if (indptr[meta.userIds.length] !== items.length) throw new Error(`${path.join(dir, "seen.bin")} is inconsistent with catalog.json (${meta.userIds.length} users); build the index again`);
  return { userIds: meta.userIds, itemIds: meta.itemIds, titles: meta.titles, seen: { indptr, items } };
}
