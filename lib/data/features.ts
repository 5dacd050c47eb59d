/**
 * Side features of users and items, columnar like `Interactions`: row r of every column describes dense index r
 * (user r or item r), so a model looks features up with the same ids it embeds.
 *
 * Four kinds of column:
 * - numeric:     Float32Array, NaN where the value is unknown (e.g. a movie without a year);
 * - categorical: Int32Array codes into a vocabulary (e.g. occupation); an unknown value gets its own code for the
 *                vocabulary entry "<missing>", so every code is a valid embedding row;
 * - set:         several codes per row (genres, title tokens) in CSR form: row r holds
 *                `indices[indptr[r] .. indptr[r+1])`, ascending and distinct;
 * - text:        the raw string (titles), for display and for tokenising differently.
 */

export interface NumericFeature {
  kind: "numeric";
  values: Float32Array;
  description: string;
}

export interface CategoricalFeature {
  kind: "categorical";
  codes: Int32Array;
  vocabulary: readonly string[];
  description: string;
}

export interface SetFeature {
  kind: "set";
  indptr: Int32Array;
  indices: Int32Array;
  vocabulary: readonly string[];
  description: string;
}

export interface TextFeature {
  kind: "text";
  values: readonly string[];
  description: string;
}

export type FeatureColumn = NumericFeature | CategoricalFeature | SetFeature | TextFeature;

/** The side features of one entity type; every column has `size` rows. */
export interface FeatureTable {
  size: number;
  columns: Record<string, FeatureColumn>;
}

export const MISSING = "<missing>";

/** Number of rows of a column. */
export function columnSize(c: FeatureColumn): number {
  switch (c.kind) {
    case "numeric":
      return c.values.length;
    case "categorical":
      return c.codes.length;
    case "set":
      return c.indptr.length - 1;
    case "text":
      return c.values.length;
  }
}

/** Checks that every column has `table.size` rows and codes inside their vocabularies. */
export function checkFeatureTable(table: FeatureTable, what: string): void {
  for (const [name, c] of Object.entries(table.columns)) {
    const n = columnSize(c);
    if (n !== table.size) throw new Error(`${what} feature '${name}' has ${n} rows but there are ${table.size} ${what}s`);
    const codes = c.kind === "categorical" ? c.codes : c.kind === "set" ? c.indices : undefined;
    if (codes && c.kind !== "numeric" && c.kind !== "text") {
      for (let i = 0; i < codes.length; i++) {
        if (codes[i]! < 0 || codes[i]! >= c.vocabulary.length) {
          throw new Error(`${what} feature '${name}': code ${codes[i]} is outside its vocabulary of ${c.vocabulary.length}`);
        }
      }
    }
  }
}

/** Dense 0/1 matrix (rows × vocabulary, row-major) of a set column, e.g. genres as multi-hot vectors. */
export function multiHot(c: SetFeature): Float32Array {
  const rows = c.indptr.length - 1;
  const width = c.vocabulary.length;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) for (let k = c.indptr[r]!; k < c.indptr[r + 1]!; k++) out[r * width + c.indices[k]!] = 1;
  return out;
}

/** Dense one-hot matrix (rows × vocabulary, row-major) of a categorical column. */
export function oneHot(c: CategoricalFeature): Float32Array {
  const width = c.vocabulary.length;
  const out = new Float32Array(c.codes.length * width);
  for (let r = 0; r < c.codes.length; r++) out[r * width + c.codes[r]!] = 1;
  return out;
}

/** One line per column for summaries: name, kind, vocabulary size, rows with a missing value. */
export interface FeatureSummary {
  name: string;
  kind: FeatureColumn["kind"];
  vocabulary?: number;
  missing: number;
}

export function describeFeatures(table: FeatureTable | undefined): FeatureSummary[] {
  if (!table) return [];
  return Object.entries(table.columns).map(([name, c]) => {
    switch (c.kind) {
      case "numeric":
        return { name, kind: c.kind, missing: c.values.reduce((m, v) => m + (Number.isNaN(v) ? 1 : 0), 0) };
      case "categorical": {
        const miss = c.vocabulary.indexOf(MISSING);
        return { name, kind: c.kind, vocabulary: c.vocabulary.length, missing: miss < 0 ? 0 : c.codes.reduce((m, v) => m + (v === miss ? 1 : 0), 0) };
      }
      case "set": {
        let empty = 0;
        for (let r = 0; r + 1 < c.indptr.length; r++) if (c.indptr[r] === c.indptr[r + 1]) empty++;
        return { name, kind: c.kind, vocabulary: c.vocabulary.length, missing: empty };
      }
      case "text":
        return { name, kind: c.kind, missing: c.values.reduce((m, v) => m + (v ? 0 : 1), 0) };
    }
  });
}

/** Fills a numeric column row by row; rows never set stay NaN (missing). */
export class NumericBuilder {
  readonly values: Float32Array;
  constructor(size: number) {
    this.values = new Float32Array(size).fill(NaN);
  }
  set(row: number, v: number): void {
    this.values[row] = v;
  }
  finish(description: string): NumericFeature {
    return { kind: "numeric", values: this.values, description };
  }
}

/**
 * Fills a categorical column; the vocabulary is sorted at the end (or fixed up front, e.g. MovieLens-1M occupation
 * names in code order) so codes do not depend on line order. Rows never set get the "<missing>" code.
 */
export class CategoricalBuilder {
  private readonly raw: (string | undefined)[];
  constructor(
    private readonly size: number,
    private readonly fixedVocabulary?: readonly string[],
  ) {
    this.raw = new Array<string | undefined>(size);
  }
  set(row: number, value: string): void {
    this.raw[row] = value;
  }
  finish(description: string): CategoricalFeature {
    const vocabulary = this.fixedVocabulary ? [...this.fixedVocabulary] : [...new Set(this.raw.filter((v): v is string => v !== undefined))].sort();
    const codeOf = new Map(vocabulary.map((v, i) => [v, i]));
    const codes = new Int32Array(this.size);
    for (let r = 0; r < this.size; r++) {
      const v = this.raw[r];
      let code = v === undefined ? undefined : codeOf.get(v);
      if (code === undefined) {
        if (v !== undefined) throw new Error(`categorical feature: value '${v}' is not in its vocabulary (${vocabulary.join(", ")})`);
        if (!codeOf.has(MISSING)) {
          codeOf.set(MISSING, vocabulary.length);
          vocabulary.push(MISSING);
        }
        code = codeOf.get(MISSING)!;
      }
      codes[r] = code;
    }
    return { kind: "categorical", codes, vocabulary, description };
  }
}

/** Fills a set column; values per row are de-duplicated and sorted by code. Rows never set are empty. */
export class SetBuilder {
  private readonly raw: (readonly string[] | undefined)[];
  constructor(
    private readonly size: number,
    private readonly fixedVocabulary?: readonly string[],
  ) {
    this.raw = new Array<readonly string[] | undefined>(size);
  }
  set(row: number, values: readonly string[]): void {
    this.raw[row] = values;
  }
  finish(description: string): SetFeature {
    const all = new Set<string>();
    if (!this.fixedVocabulary) for (const vs of this.raw) if (vs) for (const v of vs) all.add(v);
    const vocabulary = this.fixedVocabulary ? [...this.fixedVocabulary] : [...all].sort();
    const codeOf = new Map(vocabulary.map((v, i) => [v, i]));
    const indptr = new Int32Array(this.size + 1);
    const indices: number[] = [];
    for (let r = 0; r < this.size; r++) {
      const codes = [...new Set((this.raw[r] ?? []).map((v) => {
        const c = codeOf.get(v);
        if (c === undefined) throw new Error(`set feature: value '${v}' is not in its vocabulary (${vocabulary.join(", ")})`);
        return c;
      }))].sort((a, b) => a - b);
      indices.push(...codes);
      indptr[r + 1] = indices.length;
    }
    return { kind: "set", indptr, indices: Int32Array.from(indices), vocabulary, description };
  }
}

/** A text column from strings, one per row ("" when unknown). */
export function textFeature(values: readonly (string | undefined)[], description: string): TextFeature {
  return { kind: "text", values: Array.from(values, (v) => v ?? ""), description };
}

/**
 * Lower-case word tokens of a title, without the trailing "(1995)" year and without English articles that
 * MovieLens moves to the end ("Usual Suspects, The"). Letters of any script are kept (titles are Unicode).
 */
export function titleTokens(title: string): string[] {
  const withoutYear = title.replace(/\s*\(\d{4}(?:[-–]\d{0,4})?\)\s*$/, "");
  const words = withoutYear.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
  return words.filter((w) => !STOP_WORDS.has(w));
}

const STOP_WORDS = new Set(["the", "a", "an", "of", "and", "le", "la", "les", "el", "il", "der", "die", "das"]);

/** The release year written at the end of a MovieLens title, e.g. "Toy Story (1995)" -> 1995, else NaN. */
export function titleYear(title: string): number {
  const m = /\((\d{4})(?:[-–]\d{0,4})?\)\s*$/.exec(title);
  return m ? Number(m[1]) : NaN;
}
