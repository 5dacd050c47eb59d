/**
 * A small, fast reader of delimited text files (CSV, TSV, MovieLens `|` and `::` files), written by hand because the
 * loaders must read 25 million lines without building an object or even a string per field.
 *
 * The file is read synchronously in chunks; each record is handed to a callback as a `Row` of field boundaries into
 * the current chunk (valid only during the callback). Numbers are parsed straight from the bytes; text is decoded only
 * when asked for. Double quotes follow RFC 4180 when `quotes` is on (a field may contain the delimiter, `""` and line
 * breaks); MovieLens `.dat` and `u.*` files are not quoted and their titles may contain `"`, so they turn it off.
 * Line numbers are 1-based and count physical lines, so errors point at the line an editor shows.
 */
import * as fs from "fs";

export interface DelimitedOptions {
  /** Field separator: one or more ASCII characters, e.g. ",", "\t", "|", "::". */
  delimiter: string;
  /** Honour RFC 4180 double quotes. Default true. */
  quotes?: boolean;
  /** Text encoding of the file. MovieLens `u.item` and `movies.dat` are Latin-1. Default "utf8". */
  encoding?: "utf8" | "latin1";
  /** Bytes read at a time (tests use tiny chunks to exercise the boundaries). Default 4 MiB. */
  chunkSize?: number;
}

const NL = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const TAB = 9;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

/** The error thrown for a malformed file: always names the file and the 1-based line, then what to do. */
export class DataFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = "DataFileError";
  }
}

/** One record of a delimited file. Only valid inside the callback that received it. */
export class Row {
  /** 1-based line on which this record starts. */
  line = 0;
  /** Number of fields. */
  count = 0;
  buf: Buffer = Buffer.alloc(0);
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  /** 1 when a quoted field contains `""` escapes that text() must undo. */
  escaped = new Uint8Array(16);

  constructor(
    readonly file: string,
    private readonly encoding: "utf8" | "latin1",
  ) {}

  /** The field decoded as text (surrounding whitespace is kept; use trim() where it matters). */
  text(i: number): string {
    this.check(i);
    const s = this.buf.toString(this.encoding, this.starts[i]!, this.ends[i]!);
    return this.escaped[i] ? s.replace(/""/g, '"') : s;
  }

  /** The field as a number, or NaN when it is empty or not a number. Exact: same result as Number(text). */
  number(i: number): number {
    this.check(i);
    const buf = this.buf;
    let s = this.starts[i]!;
    let e = this.ends[i]!;
    while (s < e && (buf[s] === SPACE || buf[s] === TAB)) s++;
    while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--;
    if (s === e) return NaN;
    // Fast path for plain decimals: an integer mantissa divided by an exact power of ten is correctly rounded, so
    // it equals Number(text) while the digits stay below 2^53.
    let p = s;
    let negative = false;
    if (buf[p] === MINUS || buf[p] === PLUS) negative = buf[p++] === MINUS;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let seenDot = false;
    for (; p < e; p++) {
      const c = buf[p]!;
      if (c >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        if (seenDot) scale++;
      } else if (c === DOT && !seenDot) seenDot = true;
      else break;
    }
    if (p === e && digits > 0 && digits <= 15) {
      const v = scale ? mantissa / POW10[scale]! : mantissa;
      return negative ? -v : v;
    }
    const text = buf.toString("latin1", s, e);
    // Number("") is 0 and Number("0x1f") is 31: accept only what a person would call a decimal number.
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return NaN;
    return Number(text);
  }

  /**
   * The field as a key for an id map: a non-negative integer when the field is a plain integer without a leading
   * zero (so "7" and "07" stay different ids), else -1 and the caller should use text().
   */
  intKey(i: number): number {
    this.check(i);
    const buf = this.buf;
    const s = this.starts[i]!;
    const e = this.ends[i]!;
    const len = e - s;
    if (len === 0 || len > 15 || (buf[s] === ZERO && len > 1)) return -1;
    let v = 0;
    for (let p = s; p < e; p++) {
      const c = buf[p]!;
      if (c < ZERO || c > NINE) return -1;
      v = v * 10 + (c - ZERO);
    }
    return v;
  }

  /** True when the field has no characters (after removing spaces). */
  isBlank(i: number): boolean {
    this.check(i);
    for (let p = this.starts[i]!; p < this.ends[i]!; p++) if (this.buf[p] !== SPACE && this.buf[p] !== TAB) return false;
    return true;
  }

  /** All fields as text (for headers and error messages). */
  texts(): string[] {
    return Array.from({ length: this.count }, (_, i) => this.text(i));
  }

  fail(problem: string): never {
    throw new DataFileError(this.file, this.line, problem);
  }

  private check(i: number): void {
    if (i >= this.count) this.fail(`expected at least ${i + 1} fields but found ${this.count}`);
  }

  /** @internal */
  push(start: number, end: number, escaped: boolean): void {
    if (this.count === this.starts.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
      this.escaped = grow(this.escaped);
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.escaped[this.count] = escaped ? 1 : 0;
    this.count++;
  }
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * Calls `onRow` for every non-empty record of `file`, in order. Blank lines are skipped. A trailing `\r` (Windows
 * line ends) is dropped. Throws DataFileError for an unterminated quote or text after a closing quote.
 */
export function readDelimited(file: string, options: DelimitedOptions, onRow: (row: Row) => void): void {
  const delimiter = Buffer.from(options.delimiter, "latin1");
  if (!delimiter.length || delimiter.includes(NL) || delimiter.includes(QUOTE)) {
    throw new Error(`readDelimited: delimiter ${JSON.stringify(options.delimiter)} is not usable; use e.g. ",", "\\t", "|" or "::"`);
  }
  const quotes = options.quotes ?? true;
  const row = new Row(file, options.encoding ?? "utf8");
  const chunkSize = options.chunkSize ?? 4 << 20;
  const fd = open(file);
  try {
    let carry = Buffer.alloc(0);
    let line = 1;
    for (;;) {
      const fresh = Buffer.allocUnsafe(chunkSize);
      const got = fs.readSync(fd, fresh, 0, chunkSize, null);
      const last = got === 0;
      const buf = carry.length ? Buffer.concat([carry, fresh.subarray(0, got)]) : fresh.subarray(0, got);
      const done = scan(buf, last, line, delimiter, quotes, row, onRow);
      line = done.line;
      if (last) break;
      carry = Buffer.from(buf.subarray(done.consumed));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Scans complete records of buf; returns where the first incomplete record starts (all of buf when last). */
function scan(
  buf: Buffer,
  last: boolean,
  firstLine: number,
  delimiter: Buffer,
  quotes: boolean,
  row: Row,
  onRow: (row: Row) => void,
): { consumed: number; line: number } {
  const end = buf.length;
  const d0 = delimiter[0]!;
  const dlen = delimiter.length;
  let p = 0;
  let line = firstLine;
  row.buf = buf;
  while (p < end) {
    const recordStart = p;
    const recordLine = line;
    row.count = 0;
    row.line = recordLine;
    let complete = false;
    for (;;) {
      // One field starts at p.
      if (quotes && buf[p] === QUOTE) {
        let q = p + 1;
        let escaped = false;
        let closed = -1;
        while (q < end) {
          const c = buf[q]!;
          if (c === QUOTE) {
            if (buf[q + 1] === QUOTE) {
              escaped = true;
              q += 2;
              continue;
            }
            if (q + 1 === end && !last) break; // the next chunk might start with the second quote of an escape
            closed = q;
            break;
          }
          if (c === NL) line++;
          q++;
        }
        if (closed < 0) {
          if (!last) return { consumed: recordStart, line: recordLine };
          throw new DataFileError(row.file, recordLine, "a quoted field is never closed (a \" without its partner); fix the quoting of this line");
        }
        row.push(p + 1, closed, escaped);
        p = closed + 1;
        if (p < end && buf[p] === CR) p++;
        if (p === end) {
          if (!last) return { consumed: recordStart, line: recordLine };
          complete = true;
          break;
        }
        if (buf[p] === NL) {
          p++;
          line++;
          complete = true;
          break;
        }
        if (!isDelimiter(buf, p, end, d0, delimiter, dlen)) {
          throw new DataFileError(row.file, line, `unexpected character '${String.fromCharCode(buf[p]!)}' after a closing quote; quote the whole field and double any " inside it`);
        }
        p += dlen;
        continue;
      }
      let q = p;
      while (q < end) {
        const c = buf[q]!;
        if (c === NL || (c === d0 && isDelimiter(buf, q, end, d0, delimiter, dlen))) break;
        q++;
      }
      if (q === end && !last) return { consumed: recordStart, line: recordLine };
      const fieldEnd = q > p && buf[q - 1] === CR && (q === end || buf[q] === NL) ? q - 1 : q;
      row.push(p, fieldEnd, false);
      if (q === end) {
        complete = true;
        p = q;
        break;
      }
      if (buf[q] === NL) {
        p = q + 1;
        line++;
        complete = true;
        break;
      }
      p = q + dlen;
    }
    if (complete && !(row.count === 1 && row.starts[0] === row.ends[0] && !(quotes && buf[recordStart] === QUOTE))) onRow(row);
  }
  return { consumed: end, line };
}

function isDelimiter(buf: Buffer, p: number, end: number, d0: number, delimiter: Buffer, dlen: number): boolean {
  if (buf[p] !== d0) return false;
  if (dlen === 1) return true;
  if (p + dlen > end) return false;
  for (let k = 1; k < dlen; k++) if (buf[p + k] !== delimiter[k]) return false;
  return true;
}

/** The first line of a file as text (for delimiter detection and header checks). */
export function readFirstLine(file: string, encoding: "utf8" | "latin1" = "utf8"): string {
  const fd = open(file);
  try {
    const buf = Buffer.alloc(64 * 1024);
    const got = fs.readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString(encoding, 0, got);
    const nl = text.indexOf("\n");
    return (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, "");
  } finally {
    fs.closeSync(fd);
  }
}

/** Picks the delimiter of a header line among , TAB ; | (the most frequent one outside quotes). */
export function detectDelimiter(header: string): string | undefined {
  const unquoted = header.replace(/"[^"]*"/g, "");
  let best: string | undefined;
  let bestCount = 0;
  for (const d of [",", "\t", ";", "|"]) {
    const count = unquoted.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

function open(file: string): number {
  try {
    return fs.openSync(file, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === "ENOENT" ? "; check the path" : code === "EISDIR" ? "; give a file, not a folder" : "";
    throw new Error(`cannot open ${file}: ${code ?? (err as Error).message}${hint}`);
  }
}
