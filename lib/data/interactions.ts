/**
 * `Interactions`: the one data type every loader produces and every split, sampler, trainer and evaluator reads.
 *
 * Columnar typed arrays (one entry per interaction) with dense 0-based user and item indices, plus the maps back
 * to the raw ids of the source. Immutable by convention: operations return new objects sharing the id maps.
 * Row order is meaningful: it is the order of the source file, which breaks timestamp ties (the later line is the
 * later event).
 */
import { createHash } from "crypto";

export interface InteractionsInit {
  /** User index of each interaction, in [0, numUsers). */
  users: Int32Array;
  /** Item index of each interaction, in [0, numItems). */
  items: Int32Array;
  /** Explicit rating of each interaction (absent for implicit feedback). */
  ratings?: Float32Array;
  /** Time of each interaction in seconds since the epoch (Float64 keeps sub-second and large values exact). */
  timestamps?: Float64Array;
  /** Number of users in the index space (may exceed the largest index present, e.g. after a split). */
  numUsers: number;
  /** Number of items in the index space. */
  numItems: number;
  /** Raw id of each user index (length numUsers). Default: the index as a string. */
  userIds?: readonly string[];
  /** Raw id of each item index (length numItems). Default: the index as a string. */
  itemIds?: readonly string[];
}

/** Compressed sparse rows by user: the items of user u are `indices[indptr[u] .. indptr[u+1])`, ascending. */
export interface UserItemCsr {
  indptr: Int32Array;
  indices: Int32Array;
}

export class Interactions {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly ratings: Float32Array | undefined;
  readonly timestamps: Float64Array | undefined;
  readonly numUsers: number;
  readonly numItems: number;
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  private csrCache: UserItemCsr | undefined;

  constructor(init: InteractionsInit) {
    const { users, items, ratings, timestamps, numUsers, numItems } = init;
    const n = users.length;
    if (!(users instanceof Int32Array) || !(items instanceof Int32Array)) {
      throw new Error("Interactions: users and items must be Int32Array");
    }
    if (items.length !== n) throw new Error(`Interactions: users has ${n} entries but items has ${items.length}`);
    if (ratings && ratings.length !== n) throw new Error(`Interactions: users has ${n} entries but ratings has ${ratings.length}`);
    if (timestamps && timestamps.length !== n) {
      throw new Error(`Interactions: users has ${n} entries but timestamps has ${timestamps.length}`);
    }
    if (!Number.isInteger(numUsers) || numUsers < 0) throw new Error(`Interactions: numUsers must be a non-negative integer, got ${numUsers}`);
    if (!Number.isInteger(numItems) || numItems < 0) throw new Error(`Interactions: numItems must be a non-negative integer, got ${numItems}`);
    for (let i = 0; i < n; i++) {
      const u = users[i]!;
      const it = items[i]!;
      if (u < 0 || u >= numUsers) throw new Error(`Interactions: users[${i}] = ${u} is outside [0, ${numUsers})`);
      if (it < 0 || it >= numItems) throw new Error(`Interactions: items[${i}] = ${it} is outside [0, ${numItems})`);
    }
    if (ratings) {
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(ratings[i]!)) throw new Error(`Interactions: ratings[${i}] = ${ratings[i]} is not a finite number`);
      }
    }
    if (init.userIds && init.userIds.length !== numUsers) {
      throw new Error(`Interactions: userIds has ${init.userIds.length} entries but numUsers is ${numUsers}`);
    }
    if (init.itemIds && init.itemIds.length !== numItems) {
      throw new Error(`Interactions: itemIds has ${init.itemIds.length} entries but numItems is ${numItems}`);
    }
    this.users = users;
    this.items = items;
    this.ratings = ratings;
    this.timestamps = timestamps;
    this.numUsers = numUsers;
    this.numItems = numItems;
    this.userIds = init.userIds ?? indexIds(numUsers);
    this.itemIds = init.itemIds ?? indexIds(numItems);
  }

  /** Number of interactions. */
  get length(): number {
    return this.users.length;
  }

  /** Interactions per (numUsers * numItems). */
  get density(): number {
    return this.numUsers && this.numItems ? this.length / (this.numUsers * this.numItems) : 0;
  }

  /** The interactions at the given row positions (in that order), in the same index space. */
  select(rows: Int32Array): Interactions {
    const pick = <T extends Int32Array | Float32Array | Float64Array>(a: T | undefined): T | undefined => {
      if (!a) return undefined;
      const out = new (a.constructor as new (n: number) => T)(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]!]!;
      return out;
    };
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (!(r >= 0 && r < this.length)) throw new Error(`Interactions.select: row ${r} is outside [0, ${this.length})`);
    }
    return this.with({ users: pick(this.users)!, items: pick(this.items)!, ratings: pick(this.ratings), timestamps: pick(this.timestamps) });
  }

  /** The rows for which `keep(row)` is true, in order. */
  filter(keep: (row: number) => boolean): Interactions {
    const rows: number[] = [];
    for (let i = 0; i < this.length; i++) if (keep(i)) rows.push(i);
    return this.select(Int32Array.from(rows));
  }

  /**
   * Implicit feedback: every interaction counts as a positive, or with `minRating`, only those rated at least that.
   * Ratings are dropped from the result; timestamps are kept.
   */
  toImplicit(minRating?: number): Interactions {
    let kept: Interactions = this;
    if (minRating !== undefined) {
      const r = this.ratings;
      if (!r) throw new Error("Interactions.toImplicit: a rating threshold was given but these interactions have no ratings");
      // A pair counts by its LATEST rating (a film re-rated from 5 to 2 is no longer liked); its rows are kept, so
      // a split still merges and counts them.
      const { latestRow } = this.latestOfEachPair();
      kept = this.filter((i) => r[latestRow[i]!]! >= minRating);
    }
    return kept.with({ users: kept.users, items: kept.items, ratings: undefined, timestamps: kept.timestamps });
  }

  /**
   * One row per (user, item) pair: the latest (largest timestamp, on a tie the later row; without timestamps the
   * last row), in source order. Repeated pairs otherwise leak a held-out item into training after a split. Returns
   * this object when there is nothing to merge; `length` minus the result's length is the number of rows merged.
   */
  deduplicate(): Interactions {
    const { latestRow, merged } = this.latestOfEachPair();
    if (merged === 0) return this;
    const rows = new Int32Array(this.length - merged);
    for (let r = 0, k = 0; r < this.length; r++) if (latestRow[r] === r) rows[k++] = r;
    return this.select(rows);
  }

  /**
   * For every row, the row that survives of its (user, item) pair (itself when it is the latest). Linear, with typed arrays only: a Map keyed by pair would
   * be slower and cannot hold more than 2^24 entries (ml-20m and ml-25m have more rows than that). Each user's rows
   * are visited in source order, and `owner` tells whether the item was already seen for this user.
   */
  private latestOfEachPair(): { latestRow: Int32Array; merged: number } {
    const { indptr, rows } = rowsByUser(this);
    const ts = this.timestamps;
    const owner = new Int32Array(this.numItems).fill(-1);
    const latest = new Int32Array(this.numItems);
    const latestRow = new Int32Array(this.length);
    let merged = 0;
    for (let u = 0; u < this.numUsers; u++) {
      const lo = indptr[u]!;
      const hi = indptr[u + 1]!;
      for (let j = lo; j < hi; j++) {
        const r = rows[j]!;
        const it = this.items[r]!;
        if (owner[it] !== u) {
          owner[it] = u;
          latest[it] = r;
          continue;
        }
        merged++;
        // >= : rows come in source order, so a later row with the same timestamp wins the tie.
        if (!ts || ts[r]! >= ts[latest[it]!]!) latest[it] = r;
      }
      for (let j = lo; j < hi; j++) latestRow[rows[j]!] = latest[this.items[rows[j]!]!]!;
    }
    return { latestRow, merged };
  }

  /** Items of each user as CSR (items ascending within a user; duplicates kept). Computed once per object. */
  csr(): UserItemCsr {
    if (this.csrCache) return this.csrCache;
    const indptr = new Int32Array(this.numUsers + 1);
    for (let i = 0; i < this.length; i++) indptr[this.users[i]! + 1]!++;
    for (let u = 0; u < this.numUsers; u++) indptr[u + 1]! += indptr[u]!;
    const fill = indptr.slice(0, this.numUsers);
    const indices = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) indices[fill[this.users[i]!]!++] = this.items[i]!;
    for (let u = 0; u < this.numUsers; u++) indices.subarray(indptr[u]!, indptr[u + 1]!).sort();
    this.csrCache = { indptr, indices };
    return this.csrCache;
  }

  /**
   * SHA-256 (hex) of the index space and the rows: numUsers, numItems, the raw ids, users, items and ratings (when
   * present). Two Interactions with the same fingerprint hold the same data in the same order; saved models keep
   * the fingerprint of their training data so they can tell when they are evaluated against other data.
   */
  fingerprint(): string {
    const h = createHash("sha256");
    h.update(`${this.numUsers} ${this.numItems}\n`);
    h.update(this.userIds.join("\u0000") + "\n" + this.itemIds.join("\u0000") + "\n");
    for (const column of [this.users, this.items, this.ratings]) {
      if (column) h.update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
    }
    return h.digest("hex");
  }

  /** Interactions per user (length numUsers). */
  userCounts(): Int32Array {
    return countOf(this.users, this.numUsers);
  }

  /** Interactions per item (length numItems): the popularity used by samplers and MostPopular. */
  itemCounts(): Int32Array {
    return countOf(this.items, this.numItems);
  }

  /** A new Interactions in this index space (same sizes and id maps) with other columns. */
  with(columns: Pick<InteractionsInit, "users" | "items" | "ratings" | "timestamps">): Interactions {
    return new Interactions({ ...columns, numUsers: this.numUsers, numItems: this.numItems, userIds: this.userIds, itemIds: this.itemIds });
  }

  /** Concatenate interactions that share one index space (e.g. train + validation). */
  static concat(parts: readonly Interactions[]): Interactions {
    if (!parts.length) throw new Error("Interactions.concat: nothing to concatenate");
    const first = parts[0]!;
    for (const p of parts) {
      if (p.numUsers !== first.numUsers || p.numItems !== first.numItems) {
        throw new Error(
          `Interactions.concat: index spaces differ (${p.numUsers}x${p.numItems} vs ${first.numUsers}x${first.numItems})`,
        );
      }
    }
    const n = parts.reduce((s, p) => s + p.length, 0);
    const join = <T extends Int32Array | Float32Array | Float64Array>(get: (p: Interactions) => T | undefined, make: new (n: number) => T) => {
      if (parts.some((p) => !get(p))) return undefined;
      const out = new make(n);
      let o = 0;
      for (const p of parts) {
        out.set(get(p)!, o);
        o += p.length;
      }
      return out;
    };
    return first.with({
      users: join((p) => p.users, Int32Array)!,
      items: join((p) => p.items, Int32Array)!,
      ratings: join((p) => p.ratings, Float32Array),
      timestamps: join((p) => p.timestamps, Float64Array),
    });
  }
}

/** Row numbers grouped by user: the rows of user u are rows[indptr[u] .. indptr[u+1]), ascending. */
export function rowsByUser(data: Interactions): { indptr: Int32Array; rows: Int32Array } {
  const indptr = new Int32Array(data.numUsers + 1);
  for (let r = 0; r < data.length; r++) indptr[data.users[r]! + 1]!++;
  for (let u = 0; u < data.numUsers; u++) indptr[u + 1]! += indptr[u]!;
  const fill = indptr.slice(0, data.numUsers);
  const rows = new Int32Array(data.length);
  for (let r = 0; r < data.length; r++) rows[fill[data.users[r]!]!++] = r;
  return { indptr, rows };
}

function countOf(ids: Int32Array, size: number): Int32Array {
  const counts = new Int32Array(size);
  for (let i = 0; i < ids.length; i++) counts[ids[i]!]!++;
  return counts;
}

function indexIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}
