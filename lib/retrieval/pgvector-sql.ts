/**
 * The SQL of the pgvector index, shared by PGlite and a PostgreSQL server. Values always travel as parameters; the
 * only text spliced into statements is the table name (checked against a strict pattern) and integers checked by
 * the caller (dim, m, ef_construction, ef_search, memory).
 *
 * Arrays are sent as PostgreSQL array literals built here ('{1,2}', '{"[0.5,1]","[2,3]"}'): both clients pass a
 * string parameter through untouched, whereas their array serializers differ (PGlite's does not quote elements, so
 * a vector's commas would split it).
 */

/** Table names: lower-case SQL identifiers, short enough for the index name beside them. */
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

export function checkTableName(where: string, table: unknown): string {
  if (typeof table !== "string" || !TABLE_NAME.test(table)) {
    throw new Error(`${where}: table must be a lower-case identifier of at most 48 characters (letters, digits, _), got ${JSON.stringify(table)}`);
  }
  return table;
}

/** Every statement the index runs on one table of `dim`-sized vectors. */
export function statements(table: string, dim: number) {
  const t = `"${checkTableName("pgvector", table)}"`;
  const hnsw = `"${table}_hnsw"`;
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`pgvector: dim must be a positive integer, got ${dim}`);
  // The k best per query in one statement: the queries (and each one's excluded ids) are unnested into a
  // materialized list (so each exclusion list is parsed once, not once per candidate row), and a lateral top-k runs
  // per query. `<#>` is the NEGATIVE inner product, so ascending distance is descending score. With the HNSW index
  // the lateral scan is an index scan ordered by distance.
  const search = `WITH q AS MATERIALIZED (
      SELECT u.i::int AS q, u.v AS v, u.e::int[] AS e FROM unnest($1::vector[], $2::text[]) WITH ORDINALITY AS u(v, e, i))
    SELECT q.q, r.id, r.distance FROM q CROSS JOIN LATERAL (
      SELECT t.id, t.embedding <#> q.v AS distance FROM ${t} t WHERE t.id <> ALL(q.e) ORDER BY t.embedding <#> q.v LIMIT $3) r
    ORDER BY q.q, r.distance, r.id`;
  // One query; its exclusion list a parameter (folded to a constant array, tested by hashing).
  const searchOne = `SELECT 1 AS q, r.id, r.distance FROM (
      SELECT t.id, t.embedding <#> $1::vector AS distance FROM ${t} t WHERE t.id <> ALL($2::int[]) ORDER BY t.embedding <#> $1::vector LIMIT $3) r
    ORDER BY r.distance, r.id`;
  return {
    extension: "CREATE EXTENSION IF NOT EXISTS vector",
    extensionVersion: "SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'",
    createTable: `CREATE TABLE ${t} (id integer PRIMARY KEY, metadata jsonb, embedding vector(${dim}) NOT NULL)`,
    /** The table's vector size (the type modifier of `embedding`), or no row when the table does not exist. */
    tableDim: `SELECT a.atttypmod AS dim FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attname = 'embedding'`,
    hasHnsw: "SELECT to_regclass($1) IS NOT NULL AS present",
    hnswName: `${table}_hnsw`,
    count: `SELECT count(*)::int AS n FROM ${t}`,
    present: `SELECT id FROM ${t} WHERE id = ANY($1::int[])`,
    // Rows as three parallel arrays; metadata (a JSON array, or NULL for none) is matched by position.
    insert: `INSERT INTO ${t} (id, embedding, metadata)
      SELECT u.id, u.embedding, NULLIF(m.value, 'null'::jsonb)
      FROM unnest($1::int[], $2::vector[]) WITH ORDINALITY AS u(id, embedding, i)
      LEFT JOIN jsonb_array_elements($3::jsonb) WITH ORDINALITY AS m(value, j) ON m.j = u.i`,
    remove: `DELETE FROM ${t} WHERE id = ANY($1::int[]) RETURNING id`,
    metadata: `SELECT id, metadata FROM ${t} WHERE id = ANY($1::int[])`,
    buildHnsw: (m: number, efConstruction: number) => `CREATE INDEX ${hnsw} ON ${t} USING hnsw (embedding vector_ip_ops) WITH (m = ${int(m)}, ef_construction = ${int(efConstruction)})`,
    dropHnsw: `DROP INDEX IF EXISTS ${hnsw}`,
    buildMemory: (mb: number) => `SET maintenance_work_mem = '${int(mb)}MB'`,
    resetBuildMemory: "RESET maintenance_work_mem",
    /** Search settings of an HNSW scan: the candidate list, and (pgvector >= 0.8) scanning on when filters drop rows. */
    // strict_order keeps results in distance order; null: pgvector < 0.8 has no iterative scan.
    searchSettings: (efSearch: number, iterative: boolean | null) =>
      `SET hnsw.ef_search = ${int(efSearch)}${iterative === null ? "" : `; SET hnsw.iterative_scan = ${iterative ? "strict_order" : "off"}`}`,
    /** Inside a transaction: this transaction scans the table (exact) even when an HNSW index exists. */
    exactScan: "SET LOCAL enable_indexscan = off",
    search,
    searchOne,
  };
}

export type Statements = ReturnType<typeof statements>;

function int(x: number): number {
  if (!Number.isInteger(x)) throw new Error(`pgvector: internal error, ${x} is not an integer`);
  return x;
}

/** '{1,2,3}' */
export function intArrayLiteral(ids: ArrayLike<number>, start = 0, end = ids.length): string {
  const parts = new Array<string>(end - start);
  for (let k = start; k < end; k++) parts[k - start] = String(ids[k]!);
  return `{${parts.join(",")}}`;
}

/**
 * '[0.5,-1.25,...]': 9 significant digits give back exactly the same float32 (FLT_DECIMAL_DIG), and are shorter
 * and about 3x faster to format than a double's shortest form.
 */
export function vectorLiteral(values: Float32Array, start: number, dim: number): string {
  const parts = new Array<string>(dim);
  for (let d = 0; d < dim; d++) parts[d] = values[start + d]!.toPrecision(9);
  return `[${parts.join(",")}]`;
}

/** A text array literal of elements that hold no quotes or backslashes (vector and int-array literals). */
export function quotedArrayLiteral(elements: readonly string[]): string {
  return `{${elements.map((e) => `"${e}"`).join(",")}}`;
}
