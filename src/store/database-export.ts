/**
 * The database part of a backup, and its way back. SQLite: one consistent file (`VACUUM INTO`).
 * Postgres: a logical export — every table as JSON lines read in one REPEATABLE READ snapshot,
 * plus the catalog (columns, keys) it was read with — so it restores into either backend. Either
 * kind restores into an empty database whose schema our migrations make first.
 */
import { createReadStream, createWriteStream, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Kysely } from 'kysely';
import type { Config } from '../config/schema.ts';
import { openStore } from './open-store.ts';
import type { Store } from './store.ts';
import type { TableInfo } from './catalog.ts';
import { snapshotSqliteFile } from './sqlite/sqlite-snapshot.ts';

/** A consistent copy of a live SQLite file (auth.db too); see sqlite/sqlite-snapshot.ts. */
export { snapshotSqliteFile };
import { clearTables, clearTransientTables, copyableTables, copyRows, countRows, databaseRowSource, encodeValue, nonEmptyTables, readRows, verifyCopy, type Row, type RowSource } from './table-copy.ts';

export interface DatabaseExport {
  kind: 'sqlite' | 'postgres';
  /** Files written, relative to the export directory. */
  files: string[];
  /** Rows per copied table at the moment of the snapshot. */
  tables: Record<string, number>;
  migrationLevel: number;
}

async function migrationLevel(db: Kysely<unknown>): Promise<number> {
  const rows = await (db as unknown as Kysely<{ schema_migrations: { version: number } }>).selectFrom('schema_migrations').select('version').execute();
  return Math.max(0, ...rows.map((r) => Number(r.version)));
}

async function countAll(store: Store, db: Kysely<unknown>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of await copyableTables(store.dialect)) out[t.name] = await countRows(db, t.name);
  return out;
}

async function writeJsonLines(path: string, batches: AsyncIterable<Row[]>): Promise<void> {
  const out = createWriteStream(path, { mode: 0o600 });
  for await (const batch of batches) {
    for (const row of batch) {
      const line = `${JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, encodeValue(v)])))}\n`;
      if (!out.write(line)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}

/** Writes the configured database's consistent snapshot into `dir` (online: the server may be running). */
export async function exportDatabase(database: Config['database'], dir: string): Promise<DatabaseExport> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (database.kind === 'sqlite') {
    snapshotSqliteFile(database.path, join(dir, 'oma.db'));
    const snapshot = await openStore({ ...database, path: join(dir, 'oma.db') });
    try {
      const db = snapshot.db as unknown as Kysely<unknown>;
      return { kind: 'sqlite', files: ['oma.db'], tables: await countAll(snapshot, db), migrationLevel: await migrationLevel(db) };
    } finally {
      await snapshot.close();
    }
  }
  const store = await openStore(database);
  try {
    mkdirSync(join(dir, 'tables'), { mode: 0o700 });
    return await store.db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
      const db = trx as unknown as Kysely<unknown>;
      const tables = await copyableTables(store.dialect);
      const files = ['catalog.json'];
      for (const t of tables) {
        await writeJsonLines(join(dir, 'tables', `${t.name}.jsonl`), readRows(db, t, 1000));
        files.push(`tables/${t.name}.jsonl`);
      }
      writeFileSync(join(dir, 'catalog.json'), `${JSON.stringify(tables, null, 2)}\n`, { mode: 0o600 });
      return { kind: 'postgres' as const, files, tables: await countAll(store, db), migrationLevel: await migrationLevel(db) };
    });
  } finally {
    await store.close();
  }
}

/** Rows of a logical export (catalog.json + tables/<name>.jsonl). */
function exportRowSource(dir: string): RowSource {
  const tables = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as TableInfo[];
  async function* rows(table: TableInfo, batchSize: number): AsyncIterable<Row[]> {
    const lines = createInterface({ input: createReadStream(join(dir, 'tables', `${table.name}.jsonl`)), crlfDelay: Infinity });
    let batch: Row[] = [];
    for await (const line of lines) {
      if (line === '') continue;
      batch.push(JSON.parse(line) as Row);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
  return {
    tables: async () => tables,
    rows,
    async count(table) {
      let n = 0;
      for await (const b of rows(table, 1000)) n += b.length;
      return n;
    },
  };
}

export interface ImportResult {
  tables: Record<string, number>;
  /** Verification problems (empty: counts and sampled rows agree). */
  problems: string[];
}

/** Refuses a target with rows unless `force`, which deletes them first. */
export async function prepareEmptyTarget(target: Store, force: boolean, what: string): Promise<void> {
  const rows = await nonEmptyTables(target.dialect);
  if (Object.keys(rows).length === 0) return;
  if (!force) {
    const list = Object.entries(rows).slice(0, 5).map(([t, n]) => `${t}: ${n}`).join(', ');
    throw new TargetNotEmptyError(`${what} is not empty (${list}); use an empty one, or --force to delete its rows first`);
  }
  await clearTables(target.dialect);
}

export class TargetNotEmptyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetNotEmptyError';
  }
}

/** Copies every table from `source` into `target` (migrated, made empty), then verifies the copy. */
export async function copyStore(source: RowSource, target: Store, progress?: (table: string, copied: number) => void): Promise<ImportResult> {
  const tables = await copyRows(source, target.dialect, progress);
  return { tables, problems: await verifyCopy(source, target.dialect) };
}

/**
 * Restores an export (from `dir`, written by exportDatabase) into the configured database. A SQLite
 * file into SQLite is copied as it is; every other combination goes through the migrations and a
 * verified row copy.
 */
export async function importDatabase(dir: string, kind: DatabaseExport['kind'], database: Config['database'], force: boolean): Promise<ImportResult> {
  if (kind === 'sqlite' && database.kind === 'sqlite') return importSqliteFile(join(dir, 'oma.db'), database, force);
  let temp: string | undefined;
  let source: Store | undefined;
  const target = await openStore(database);
  try {
    await prepareEmptyTarget(target, force, 'the target database');
    let rows: RowSource;
    if (kind === 'sqlite') {
      temp = mkdtempSync(join(tmpdir(), 'oma-restore-'));
      copyFileSync(join(dir, 'oma.db'), join(temp, 'oma.db'));
      source = await openStore({ kind: 'sqlite', path: join(temp, 'oma.db'), synchronous: 'OFF' });
      rows = databaseRowSource(source.dialect);
    } else {
      rows = exportRowSource(dir);
    }
    return await copyStore(rows, target);
  } finally {
    await source?.close();
    await target.close();
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

async function importSqliteFile(file: string, database: Extract<Config['database'], { kind: 'sqlite' }>, force: boolean): Promise<ImportResult> {
  if (existsSync(database.path)) {
    const existing = await openStore(database);
    try {
      await prepareEmptyTarget(existing, force, `the database ${database.path}`);
    } finally {
      await existing.close();
    }
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${database.path}${suffix}`, { force: true });
  }
  mkdirSync(join(database.path, '..'), { recursive: true, mode: 0o700 });
  copyFileSync(file, database.path);
  const restored = await openStore(database); // Migrates a backup taken by an older version.
  try {
    // Leases name the backed-up server's workers: kept, they would hold its sessions for a lease TTL.
    await clearTransientTables(restored.dialect);
    return { tables: await countAll(restored, restored.db as unknown as Kysely<unknown>), problems: [] };
  } finally {
    await restored.close();
  }
}
