/**
 * Generic table copying for backup, restore and migrate-to-postgres: rows read in primary-key
 * order in batches (keyset pagination), written in batches into a database whose schema the
 * migrations made, then checked (per-table counts and a sample of rows looked up by key). Nothing
 * here names a table: the list comes from the source's catalog (catalog.ts).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import { inDependencyOrder, TRANSIENT_TABLES, type TableInfo } from './catalog.ts';

export type Row = Record<string, unknown>;

/** Where rows come from: a live database or a backup's exported files. */
export interface RowSource {
  /** The tables to copy (transient ones already left out), parents first. */
  tables(): Promise<TableInfo[]>;
  rows(table: TableInfo, batchSize: number): AsyncIterable<Row[]>;
  count(table: TableInfo): Promise<number>;
}

export const COPY_BATCH_ROWS = 500;
const SAMPLE_ROWS = 10;

// Our tables are ours and their names come from the catalog, but a quoted identifier costs nothing.
const ident = (name: string): RawBuilder<unknown> => sql.id(name) as unknown as RawBuilder<unknown>;
const anyDb = (db: Kysely<unknown>) => db as unknown as Kysely<Record<string, Row>>;

/** Bytes survive JSON as {"$base64": …}; everything else our columns hold is JSON already. */
export function encodeValue(v: unknown): unknown {
  return Buffer.isBuffer(v) || v instanceof Uint8Array ? { $base64: Buffer.from(v).toString('base64') } : v;
}

export function decodeValue(v: unknown): unknown {
  return v && typeof v === 'object' && typeof (v as { $base64?: unknown }).$base64 === 'string' ? Buffer.from((v as { $base64: string }).$base64, 'base64') : v;
}

/** The tables of a database worth copying, parents first. */
export async function copyableTables(dialect: StoreDialect): Promise<TableInfo[]> {
  return inDependencyOrder((await dialect.listTables()).filter((t) => !TRANSIENT_TABLES.has(t.name)));
}

/** Reads a table in primary-key order (keyset); a table without a key in one ordered scan of pages. */
export async function* readRows(db: Kysely<unknown>, table: TableInfo, batchSize: number): AsyncIterable<Row[]> {
  const key = table.primaryKey;
  const order = sql.join((key.length > 0 ? key : table.columns).map(ident));
  let after: unknown[] | undefined;
  for (let offset = 0; ; offset += batchSize) {
    const where = key.length > 0 && after ? sql`WHERE (${sql.join(key.map(ident))}) > (${sql.join(after)})` : sql``;
    const page = key.length > 0 ? sql`LIMIT ${batchSize}` : sql`LIMIT ${batchSize} OFFSET ${offset}`;
    const { rows } = await sql<Row>`SELECT * FROM ${ident(table.name)} ${where} ORDER BY ${order} ${page}`.execute(db);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    after = key.map((k) => rows.at(-1)![k]);
  }
}

export async function countRows(db: Kysely<unknown>, table: string): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${ident(table)}`.execute(db);
  return Number(rows[0]!.n);
}

/** A RowSource over a live database (read inside the caller's snapshot transaction if `db` is one). */
export function databaseRowSource(dialect: StoreDialect, db: Kysely<unknown> = dialect.db as unknown as Kysely<unknown>): RowSource {
  return {
    tables: () => copyableTables(dialect),
    rows: (table, batchSize) => readRows(db, table, batchSize),
    count: (table) => countRows(db, table.name),
  };
}

/** Row counts of every copyable table that has rows (an empty result: an empty database). */
export async function nonEmptyTables(dialect: StoreDialect): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of await copyableTables(dialect)) {
    const n = await countRows(dialect.db as unknown as Kysely<unknown>, t.name);
    if (n > 0) out[t.name] = n;
  }
  return out;
}

/** Deletes every row of every copyable table, children first, in one transaction (restore --force). */
export async function clearTables(dialect: StoreDialect): Promise<void> {
  const tables = (await copyableTables(dialect)).reverse();
  await dialect.transaction(async (tx) => {
    for (const t of tables) await sql`DELETE FROM ${ident(t.name)}`.execute(tx);
  });
}

/** Empties the transient tables (leases, listeners) of a database restored file for file. */
export async function clearTransientTables(dialect: StoreDialect): Promise<void> {
  const tables = (await dialect.listTables()).filter((t) => TRANSIENT_TABLES.has(t.name) && t.name !== 'schema_migrations');
  await dialect.transaction(async (tx) => {
    for (const t of tables) await sql`DELETE FROM ${ident(t.name)}`.execute(tx);
  });
}

function checkSchema(source: TableInfo[], target: TableInfo[]): void {
  const targets = new Map(target.map((t) => [t.name, t]));
  for (const t of source) {
    const there = targets.get(t.name);
    if (!there) throw new Error(`the target has no table ${t.name}: the source comes from a newer version of oma-server; upgrade this one first`);
    const missing = t.columns.filter((c) => !there.columns.includes(c));
    if (missing.length > 0) throw new Error(`the target's ${t.name} lacks column(s) ${missing.join(', ')}: the source comes from a newer version; upgrade first`);
  }
}

export interface CopyProgress {
  (table: string, copied: number): void;
}

/**
 * Copies every table of `source` into `target` (migrated, empty) in ONE target transaction: a
 * failure leaves the target as it was, so the command can simply be run again. Returns the
 * per-table row counts copied.
 */
export async function copyRows(source: RowSource, target: StoreDialect, progress?: CopyProgress): Promise<Record<string, number>> {
  const tables = await source.tables();
  checkSchema(tables, await target.listTables());
  const counts: Record<string, number> = {};
  await target.transaction(async (tx) => {
    for (const t of tables) {
      let copied = 0;
      for await (const batch of source.rows(t, COPY_BATCH_ROWS)) {
        const rows = batch.map((r) => Object.fromEntries(t.columns.map((c) => [c, decodeValue(r[c] ?? null)])));
        await anyDb(tx as unknown as Kysely<unknown>).insertInto(t.name).values(rows).execute();
        copied += rows.length;
        progress?.(t.name, copied);
      }
      counts[t.name] = copied;
    }
  });
  return counts;
}

const normalise = (row: Row, columns: string[]) => JSON.stringify(columns.map((c) => encodeValue(typeof row[c] === 'boolean' ? Number(row[c]) : (row[c] ?? null))));

/**
 * Checks a copy: the same row count per table, and the first rows of each table found in the
 * target by primary key with equal values. Returns the problems (empty: the copy is verified).
 */
export async function verifyCopy(source: RowSource, target: StoreDialect): Promise<string[]> {
  const problems: string[] = [];
  const db = target.db as unknown as Kysely<unknown>;
  for (const t of await source.tables()) {
    const [expected, actual] = [await source.count(t), await countRows(db, t.name)];
    if (expected !== actual) problems.push(`${t.name}: ${expected} rows in the source, ${actual} in the target`);
    if (t.primaryKey.length === 0) continue;
    for await (const batch of source.rows(t, SAMPLE_ROWS)) {
      for (const row of batch) {
        const where = sql.join(t.primaryKey.map((k) => sql`${ident(k)} = ${decodeValue(row[k])}`), sql` AND `);
        const { rows } = await sql<Row>`SELECT * FROM ${ident(t.name)} WHERE ${where}`.execute(db);
        if (rows.length !== 1 || normalise(rows[0]!, t.columns) !== normalise(row, t.columns)) {
          problems.push(`${t.name}: the row with key ${t.primaryKey.map((k) => String(row[k])).join('/')} differs in the target`);
        }
      }
      break;
    }
  }
  return problems;
}
