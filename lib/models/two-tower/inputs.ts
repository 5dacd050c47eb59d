/**
 * What a two-tower model reads, prepared once from a dataset and its training split as typed arrays: per-user
 * codes (gender, occupation, age bucket, zip prefix), per-item codes (release-year bucket) and bags (genres, title
 * tokens), each user's training items in time order (the history), and the training count of every item (for the
 * sampling-bias correction and to know which items are cold). A model keeps them, saves them and scores users and
 * items from them; nothing here is a tensor.
 */
import type { Dataset } from "../../data/dataset";
import type { CategoricalFeature, FeatureColumn, NumericFeature, SetFeature } from "../../data/features";
import type { Interactions } from "../../data/interactions";
import { userSequences, type UserSequences } from "../../data/sequences";

/** Inputs of the user tower, in the order they are concatenated. */
export const USER_FEATURES = ["user-id", "gender", "occupation", "age", "zip", "history"] as const;
/** Inputs of the item tower, in the order they are concatenated. */
export const ITEM_FEATURES = ["item-id", "genres", "year", "title"] as const;
export type UserFeature = (typeof USER_FEATURES)[number];
export type ItemFeature = (typeof ITEM_FEATURES)[number];
export type TowerFeature = UserFeature | ItemFeature;
/** Used unless features are named: the PyTorch reference's (zip is left out, as there). */
export const DEFAULT_FEATURES: readonly TowerFeature[] = ["user-id", "gender", "occupation", "age", "history", "item-id", "genres", "year", "title"];

/** One categorical input: a code in [0, size) per row (user or item). */
export interface CodeColumn {
  name: TowerFeature;
  codes: Int32Array;
  size: number;
}

/** One bag input per row (item): ids in [0, size), CSR. */
export interface BagColumn {
  name: TowerFeature;
  indptr: Int32Array;
  indices: Int32Array;
  size: number;
}

export interface TowerInputs {
  numUsers: number;
  numItems: number;
  features: TowerFeature[];
  userCodes: CodeColumn[];
  itemCodes: CodeColumn[];
  itemBags: BagColumn[];
  /** Each user's training items in time order (empty when "history" is not a feature). */
  history: UserSequences;
  /** Training interactions per item. */
  itemCounts: Int32Array;
  /** The user of each training row: batches name their examples by row (see TrainBatch.rows). */
  rowUsers: Int32Array;
}

/** Age in years -> bucket: 0 unknown, then decades 1..8 (70 and over share the last). */
export function ageBucket(age: number): number {
  return Number.isFinite(age) ? 1 + Math.min(Math.max(Math.floor(age / 10), 0), 7) : 0;
}

/** Release year -> bucket: 0 unknown, 1 before 1925, then five-year spans up to 16 (1995 and later). As the reference. */
export function yearBucket(year: number): number {
  return Number.isFinite(year) ? 1 + Math.min(Math.max(Math.floor((year - 1920) / 5), 0), 15) : 0;
}

/** The features this dataset can feed (ids and history always; the rest when its columns exist). */
export function availableFeatures(dataset: Dataset): TowerFeature[] {
  const u = dataset.userFeatures?.columns ?? {};
  const i = dataset.itemFeatures?.columns ?? {};
  const has = (c: FeatureColumn | undefined, kind: FeatureColumn["kind"]) => c?.kind === kind;
  const out: TowerFeature[] = ["user-id"];
  if (has(u.gender, "categorical")) out.push("gender");
  if (has(u.occupation, "categorical")) out.push("occupation");
  if (has(u.age, "numeric")) out.push("age");
  if (has(u.zip, "categorical")) out.push("zip");
  out.push("history", "item-id");
  if (has(i.genres, "set")) out.push("genres");
  if (has(i.year, "numeric")) out.push("year");
  if (has(i.titleTokens, "set")) out.push("title");
  return out;
}

/**
 * The inputs for `features` (default: DEFAULT_FEATURES that the dataset has). Asking for a feature the dataset
 * lacks is an error listing what it has. `train` gives the histories and item counts; it must share the dataset's
 * index space.
 */
export function towerInputs(dataset: Dataset, train: Interactions, features?: readonly string[]): TowerInputs {
  const available = availableFeatures(dataset);
  const known = [...USER_FEATURES, ...ITEM_FEATURES] as readonly string[];
  let chosen: TowerFeature[];
  if (features) {
    for (const f of features) {
      if (!known.includes(f)) throw new Error(`two-tower: unknown feature '${f}'. Features: ${known.join(", ")}`);
      if (!available.includes(f as TowerFeature)) {
        throw new Error(`two-tower: ${dataset.name} has no '${f}' feature; it has: ${available.join(", ")}`);
      }
    }
    chosen = available.filter((f) => features.includes(f));
  } else {
    chosen = available.filter((f) => DEFAULT_FEATURES.includes(f));
  }
  if (!chosen.some((f) => (USER_FEATURES as readonly string[]).includes(f)) || !chosen.some((f) => (ITEM_FEATURES as readonly string[]).includes(f))) {
    throw new Error(`two-tower: each tower needs at least one feature (user: ${USER_FEATURES.join(", ")}; item: ${ITEM_FEATURES.join(", ")}); got ${chosen.join(", ")}`);
  }
  const { numUsers, numItems } = dataset.interactions;
  if (train.numUsers !== numUsers || train.numItems !== numItems) {
    throw new Error(`two-tower: the training split has ${train.numUsers} users x ${train.numItems} items but ${dataset.name} has ${numUsers} x ${numItems}`);
  }
  const u = dataset.userFeatures?.columns ?? {};
  const i = dataset.itemFeatures?.columns ?? {};
  const userCodes: CodeColumn[] = [];
  const itemCodes: CodeColumn[] = [];
  const itemBags: BagColumn[] = [];
  for (const f of chosen) {
    switch (f) {
      case "gender":
      case "occupation": {
        const c = u[f] as CategoricalFeature;
        userCodes.push({ name: f, codes: Int32Array.from(c.codes), size: c.vocabulary.length });
        break;
      }
      case "age": {
        const ages = (u.age as NumericFeature).values;
        userCodes.push({ name: f, codes: Int32Array.from(ages, ageBucket), size: 9 });
        break;
      }
      case "zip":
        userCodes.push(zipPrefix(u.zip as CategoricalFeature));
        break;
      case "year": {
        const years = (i.year as NumericFeature).values;
        itemCodes.push({ name: f, codes: Int32Array.from(years, yearBucket), size: 17 });
        break;
      }
      case "genres":
      case "title": {
        const c = i[f === "genres" ? "genres" : "titleTokens"] as SetFeature;
        itemBags.push({ name: f, indptr: Int32Array.from(c.indptr), indices: Int32Array.from(c.indices), size: Math.max(1, c.vocabulary.length) });
        break;
      }
    }
  }
  const history = chosen.includes("history")
    ? userSequences(train)
    : { indptr: new Int32Array(numUsers + 1), items: new Int32Array(0), position: new Int32Array(train.length) };
  return { numUsers, numItems, features: chosen, userCodes, itemCodes, itemBags, history, itemCounts: train.itemCounts(), rowUsers: train.users.slice() };
}

/** The first character of each zip code as a category (US zips: a region; others keep their own first character). */
function zipPrefix(zip: CategoricalFeature): CodeColumn {
  const prefixes = new Map<string, number>();
  const ofCode = zip.vocabulary.map((z) => {
    const p = z.slice(0, 1).toUpperCase();
    if (!prefixes.has(p)) prefixes.set(p, prefixes.size);
    return prefixes.get(p)!;
  });
  return { name: "zip", codes: Int32Array.from(zip.codes, (c) => ofCode[c]!), size: prefixes.size };
}

/** Inputs as JSON-safe metadata plus one binary blob (int32, little-endian), to save beside a model. */
export function encodeInputs(inputs: TowerInputs): { meta: object; bytes: Buffer } {
  const arrays: Int32Array[] = [];
  const ref = (a: Int32Array) => (arrays.push(a), arrays.length - 1);
  const meta = {
    numUsers: inputs.numUsers,
    numItems: inputs.numItems,
    features: inputs.features,
    userCodes: inputs.userCodes.map((c) => ({ name: c.name, size: c.size, codes: ref(c.codes) })),
    itemCodes: inputs.itemCodes.map((c) => ({ name: c.name, size: c.size, codes: ref(c.codes) })),
    itemBags: inputs.itemBags.map((c) => ({ name: c.name, size: c.size, indptr: ref(c.indptr), indices: ref(c.indices) })),
    history: { indptr: ref(inputs.history.indptr), items: ref(inputs.history.items), position: ref(inputs.history.position) },
    itemCounts: ref(inputs.itemCounts),
    rowUsers: ref(inputs.rowUsers),
    lengths: [] as number[],
  };
  meta.lengths = arrays.map((a) => a.length);
  const bytes = Buffer.alloc(meta.lengths.reduce((s, n) => s + n, 0) * 4);
  let o = 0;
  for (const a of arrays) for (let k = 0; k < a.length; k++, o += 4) bytes.writeInt32LE(a[k]!, o);
  return { meta, bytes };
}

/** The inverse of encodeInputs. */
export function decodeInputs(meta: ReturnType<typeof encodeInputs>["meta"], bytes: Buffer): TowerInputs {
  const m = meta as {
    numUsers: number;
    numItems: number;
    features: TowerFeature[];
    userCodes: { name: TowerFeature; size: number; codes: number }[];
    itemCodes: { name: TowerFeature; size: number; codes: number }[];
    itemBags: { name: TowerFeature; size: number; indptr: number; indices: number }[];
    history: { indptr: number; items: number; position: number };
    itemCounts: number;
    rowUsers: number;
    lengths: number[];
  };
  const total = m.lengths.reduce((s, n) => s + n, 0);
  if (bytes.length !== total * 4) throw new Error(`two-tower inputs: expected ${total * 4} bytes, found ${bytes.length}`);
  const arrays: Int32Array[] = [];
  let o = 0;
  for (const n of m.lengths) {
    const a = new Int32Array(n);
    for (let k = 0; k < n; k++, o += 4) a[k] = bytes.readInt32LE(o);
    arrays.push(a);
  }
  return {
    numUsers: m.numUsers,
    numItems: m.numItems,
    features: m.features,
    userCodes: m.userCodes.map((c) => ({ name: c.name, size: c.size, codes: arrays[c.codes]! })),
    itemCodes: m.itemCodes.map((c) => ({ name: c.name, size: c.size, codes: arrays[c.codes]! })),
    itemBags: m.itemBags.map((c) => ({ name: c.name, size: c.size, indptr: arrays[c.indptr]!, indices: arrays[c.indices]! })),
    history: { indptr: arrays[m.history.indptr]!, items: arrays[m.history.items]!, position: arrays[m.history.position]! },
    itemCounts: arrays[m.itemCounts]!,
    rowUsers: arrays[m.rowUsers]!,
  };
}
