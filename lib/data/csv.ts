/**
 * Reading interactions from delimited files: the shared reader behind every loader, and `loadCsv`, the generic
 * loader for any CSV/TSV with a header whose user, item, rating and timestamp columns the caller names.
 */
import * as path from "path";
import { Column, IdIndexer, remapInPlace } from "./columns";
import type { Dataset } from "./dataset";
import { Interactions } from "./interactions";
import { type DelimitedOptions, DataFileError, detectDelimiter, readDelimited, readFirstLine, type Row } from "./parse";

/** Which field holds what: a 0-based field number, or a header name when the file has a header. */
export interface ColumnSpec {
  user: number | string;
  item: number | string;
  rating?: number | string;
  timestamp?: number | string;
}

/** A publisher's rating scale: every rating is a multiple of `step` between `min` and `max`. */
export interface RatingScale {
  /** Whose scale it is, for error messages, e.g. "ml-100k". */
  name: string;
  min: number;
  max: number;
  /** 1 for whole stars, 0.5 for half stars. */
  step: number;
}

export interface ReadInteractionsOptions extends DelimitedOptions {
  /** The first record names the columns. */
  header: boolean;
  columns: ColumnSpec;
  /**
   * The scale the publisher documents; a rating off it is an error naming the line (a corrupt or edited file would
   * otherwise train and evaluate silently on values the dataset cannot contain). Default: any finite number.
   */
  ratingScale?: RatingScale;
  /** The option names shown in errors about columns, e.g. "--user-column" (default: the column spec keys). */
  optionNames?: Partial<Record<keyof ColumnSpec, string>>;
}

export interface ReadInteractionsResult {
  interactions: Interactions;
  /** Raw id -> dense index maps, for aligning side-feature files. */
  users: IdIndexer;
  items: IdIndexer;
}

/**
 * Reads every record of `file` as one interaction, in file order. Ids become dense indices in sorted raw-id order;
 * ratings must be numbers; timestamps are numbers (seconds) or dates that `Date.parse` understands.
 */
export function readInteractions(file: string, options: ReadInteractionsOptions): ReadInteractionsResult {
  const users = new IdIndexer();
  const items = new IdIndexer();
  const u = new Column(Int32Array, 1 << 16);
  const it = new Column(Int32Array, 1 << 16);
  const ratings = options.columns.rating !== undefined ? new Column(Float32Array, 1 << 16) : undefined;
  const timestamps = options.columns.timestamp !== undefined ? new Column(Float64Array, 1 << 16) : undefined;
  const scale = options.ratingScale;
  let fields: { user: number; item: number; rating?: number; timestamp?: number } | undefined = options.header
    ? undefined
    : (options.columns as { user: number; item: number; rating?: number; timestamp?: number });
  let needed = fields ? Math.max(fields.user, fields.item, fields.rating ?? 0, fields.timestamp ?? 0) + 1 : 0;
  for (const [k, v] of Object.entries(options.columns)) {
    if (!options.header && v !== undefined && typeof v !== "number") {
      throw new Error(`readInteractions: ${file} has no header, so column '${k}' must be a field number, not '${v}'`);
    }
  }
  readDelimited(file, options, (row: Row) => {
    if (!fields) {
      fields = resolveColumns(row, options);
      needed = Math.max(fields.user, fields.item, fields.rating ?? 0, fields.timestamp ?? 0) + 1;
      return;
    }
    if (row.count < needed) {
      row.fail(`expected ${needed} fields separated by ${JSON.stringify(options.delimiter)} but found ${row.count}: ${JSON.stringify(row.texts().join(options.delimiter))}; fix or remove this line`);
    }
    u.push(users.fromRow(row, fields.user));
    it.push(items.fromRow(row, fields.item));
    if (ratings) {
      const r = row.number(fields.rating!);
      if (!Number.isFinite(r)) row.fail(`rating ${JSON.stringify(row.text(fields.rating!))} is not a number; fix this line or choose another rating column`);
      if (scale && !onScale(r, scale)) {
        row.fail(`rating ${row.text(fields.rating!).trim()} is outside ${scale.name}'s scale ${scale.min}-${scale.max} (${stepWords(scale.step)}); fix or remove this line`);
      }
      ratings.push(r);
    }
    if (timestamps) timestamps.push(parseTime(row, fields.timestamp!));
  });
  if (!fields) throw new DataFileError(file, 1, "the file is empty; expected a header line naming the columns");
  if (u.length === 0) throw new DataFileError(file, 2, "the file has no interactions (no data lines)");
  const uIds = users.finish();
  const iIds = items.finish();
  const userCol = u.finish();
  const itemCol = it.finish();
  remapInPlace(userCol, uIds.remap);
  remapInPlace(itemCol, iIds.remap);
  const interactions = new Interactions({
    users: userCol,
    items: itemCol,
    ratings: ratings?.finish(),
    timestamps: timestamps?.finish(),
    numUsers: uIds.ids.length,
    numItems: iIds.ids.length,
    userIds: uIds.ids,
    itemIds: iIds.ids,
  });
  return { interactions, users, items };
}

/** True when r is one of the scale's values. r / step is exact for the power-of-two steps 1 and 0.5. */
function onScale(r: number, scale: RatingScale): boolean {
  return r >= scale.min && r <= scale.max && Number.isInteger(r / scale.step);
}

function stepWords(step: number): string {
  return step === 1 ? "whole stars" : step === 0.5 ? "half stars" : `steps of ${step}`;
}

function resolveColumns(header: Row, options: ReadInteractionsOptions): { user: number; item: number; rating?: number; timestamp?: number } {
  const names = header.texts().map((s) => s.trim().replace(/^\uFEFF/, ""));
  const find = (key: keyof ColumnSpec): number | undefined => {
    const want = options.columns[key];
    if (want === undefined) return undefined;
    if (typeof want === "number") {
      if (want >= names.length) header.fail(`the ${key} column is field ${want + 1} but the header has only ${names.length} fields`);
      return want;
    }
    let at = names.indexOf(want);
    if (at < 0) at = names.findIndex((n) => n.toLowerCase() === want.toLowerCase());
    if (at < 0) {
      const option = options.optionNames?.[key] ?? `the '${key}' column option`;
      header.fail(`no column named '${want}' for the ${key}s; the header has: ${names.join(", ")}. Pass one of these with ${option}`);
    }
    return at;
  };
  return { user: find("user")!, item: find("item")!, rating: find("rating"), timestamp: find("timestamp") };
}

function parseTime(row: Row, field: number): number {
  const t = row.number(field);
  if (Number.isFinite(t)) return t;
  const text = row.text(field).trim();
  const ms = Date.parse(text);
  if (!text || Number.isNaN(ms)) {
    row.fail(`timestamp ${JSON.stringify(text)} is neither a number (seconds since 1970) nor a date; fix this line or choose another timestamp column`);
  }
  return ms / 1000;
}

export interface CsvOptions {
  /** Header name of the user id column (required). */
  user: string;
  /** Header name of the item id column (required). */
  item: string;
  /** Header name of the rating column (optional: implicit feedback without it). */
  rating?: string;
  /** Header name of the timestamp column (optional; seconds since 1970, or ISO dates). */
  timestamp?: string;
  /** Field separator; "auto" (default) picks the most frequent of , TAB ; | in the header line. */
  delimiter?: string;
  /** Text encoding. Default "utf8". */
  encoding?: "utf8" | "latin1";
  /** Dataset name. Default: the file name. */
  name?: string;
}

const CSV_OPTION_KEYS: readonly (keyof CsvOptions)[] = ["user", "item", "rating", "timestamp", "delimiter", "encoding", "name"];

/** Loads any delimited file of interactions with a header line (see CsvOptions). */
export function loadCsv(file: string, options: CsvOptions): Dataset {
  rejectUnknownKeys(options, CSV_OPTION_KEYS, "loadCsv");
  if (!options.user || !options.item) throw new Error("loadCsv: name the user and item columns, e.g. { user: 'userId', item: 'movieId' }");
  const encoding = options.encoding ?? "utf8";
  let delimiter = options.delimiter ?? "auto";
  if (delimiter === "auto") {
    const header = readFirstLine(file, encoding);
    const found = detectDelimiter(header);
    if (!found) {
      throw new DataFileError(file, 1, `cannot tell the delimiter from the header ${JSON.stringify(header)} (no , TAB ; or |); pass it explicitly (--delimiter)`);
    }
    delimiter = found;
  } else if (delimiter === "\\t" || delimiter === "tab") delimiter = "\t";
  const { interactions } = readInteractions(file, {
    delimiter,
    encoding,
    quotes: true,
    header: true,
    columns: { user: options.user, item: options.item, rating: options.rating, timestamp: options.timestamp },
    optionNames: { user: "--user-column", item: "--item-column", rating: "--rating-column", timestamp: "--timestamp-column" },
  });
  return { name: options.name ?? path.basename(file), interactions, source: path.resolve(file) };
}

/** Throws for option keys a function does not know (a misspelt option must not be silently ignored). */
export function rejectUnknownKeys(options: object, valid: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) throw new Error(`${where}: unknown option '${key}'. Valid options: ${valid.join(", ")}`);
  }
}
