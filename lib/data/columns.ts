/**
 * Building blocks for loaders: growable typed-array columns and the map from raw ids to dense indices.
 */
import type { Row } from "./parse";

type Typed = Int32Array | Float32Array | Float64Array;

/** A typed array that grows by doubling; `finish()` returns a right-sized copy. */
export class Column<T extends Typed> {
  private data: T;
  length = 0;

  constructor(private readonly make: new (n: number) => T, capacity = 1024) {
    this.data = new make(capacity);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/**
 * Assigns dense indices to raw ids as they are met, then renumbers them in sorted order of the raw ids
 * (numerically when every id is an integer, e.g. MovieLens user 1 becomes index 0), so the index space does not
 * depend on the order of the lines.
 */
export class IdIndexer {
  private readonly byInt = new Map<number, number>();
  private readonly byText = new Map<string, number>();
  private readonly raw: (number | string)[] = [];
  private order: Int32Array | undefined;

  get size(): number {
    return this.raw.length;
  }

  /** Provisional index of the id in a row's field (creates it when new). */
  fromRow(row: Row, field: number): number {
    const k = row.intKey(field);
    if (k >= 0) return this.fromInt(k);
    const text = row.text(field).trim();
    if (!text) row.fail(`empty id in field ${field + 1}; every line needs a user and an item id`);
    const asInt = intKeyOf(text);
    return asInt >= 0 ? this.fromInt(asInt) : this.fromText(text);
  }

  /** Provisional index of an id given as text (creates it when new). */
  fromString(id: string): number {
    const asInt = intKeyOf(id);
    return asInt >= 0 ? this.fromInt(asInt) : this.fromText(id);
  }

  private fromInt(k: number): number {
    let idx = this.byInt.get(k);
    if (idx === undefined) {
      idx = this.raw.length;
      this.byInt.set(k, idx);
      this.raw.push(k);
    }
    return idx;
  }

  private fromText(k: string): number {
    let idx = this.byText.get(k);
    if (idx === undefined) {
      idx = this.raw.length;
      this.byText.set(k, idx);
      this.raw.push(k);
    }
    return idx;
  }

  /**
   * Sorts the ids (integers ascending, then other ids in code-unit order) and returns the raw id of each final
   * index and `remap[provisional] = final`. No new ids may be added afterwards.
   */
  finish(): { ids: string[]; remap: Int32Array } {
    const n = this.raw.length;
    const provisional = Array.from({ length: n }, (_, i) => i);
    provisional.sort((a, b) => {
      const x = this.raw[a]!;
      const y = this.raw[b]!;
      if (typeof x === "number") return typeof y === "number" ? x - y : -1;
      if (typeof y === "number") return 1;
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const remap = new Int32Array(n);
    provisional.forEach((p, final) => (remap[p] = final));
    this.order = remap;
    return { ids: provisional.map((p) => String(this.raw[p])), remap };
  }

  /** Final index of a raw id (after finish), or -1 when the id was never seen. */
  lookup(id: string): number {
    if (!this.order) throw new Error("IdIndexer.lookup: call finish() first");
    const asInt = intKeyOf(id);
    const p = asInt >= 0 ? this.byInt.get(asInt) : this.byText.get(id);
    return p === undefined ? -1 : this.order[p]!;
  }

  /** Final index of the id in a row's field (after finish), or -1. */
  lookupRow(row: Row, field: number): number {
    if (!this.order) throw new Error("IdIndexer.lookupRow: call finish() first");
    const k = row.intKey(field);
    if (k >= 0) {
      const p = this.byInt.get(k);
      return p === undefined ? -1 : this.order[p]!;
    }
    return this.lookup(row.text(field).trim());
  }
}

/** Same rule as Row.intKey, for text. */
function intKeyOf(s: string): number {
  if (!/^(0|[1-9]\d{0,14})$/.test(s)) return -1;
  return Number(s);
}

/** Applies `remap` in place: ids[i] = remap[ids[i]]. */
export function remapInPlace(ids: Int32Array, remap: Int32Array): void {
  for (let i = 0; i < ids.length; i++) ids[i] = remap[ids[i]!]!;
}
