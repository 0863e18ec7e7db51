/**
 * What tables a database holds, read from the database itself (never a hard-coded list), so that
 * backup, restore and migrate-to-postgres include every table another migration adds. Each dialect
 * reads its own catalog (sqlite_master / information_schema); the rest is shared.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface TableInfo {
  name: string;
  /** In declaration order. */
  columns: string[];
  /** Primary-key columns in key order; empty when the table has none. */
  primaryKey: string[];
  /** Tables this one has foreign keys to (copied first). */
  references: string[];
}

/**
 * Tables whose rows only mean something to a running process: leases name a live worker (a
 * restored server would wait out a dead owner's lease), listeners a live LISTEN connection, the
 * auth epoch only the API-key caches of processes running on this database (auth-epoch.ts; its
 * triggers recreate it on the first change). The migration bookkeeping is written by the
 * target's own migrations.
 */
export const TRANSIENT_TABLES = new Set(['schema_migrations', 'session_leases', 'oma_listeners', 'oma_auth_epoch']);

export async function listSqliteTables(db: Kysely<Database>): Promise<TableInfo[]> {
  const { rows: tables } = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`.execute(db);
  const out: TableInfo[] = [];
  for (const { name } of tables) {
    const { rows: cols } = await sql<{ name: string; pk: number }>`SELECT name, pk FROM pragma_table_info(${name}) ORDER BY cid`.execute(db);
    const { rows: fks } = await sql<{ table: string }>`SELECT DISTINCT "table" FROM pragma_foreign_key_list(${name})`.execute(db);
    out.push({
      name,
      columns: cols.map((c) => c.name),
      primaryKey: cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
      references: fks.map((f) => f.table).filter((t) => t !== name),
    });
  }
  return out;
}

export async function listPostgresTables(db: Kysely<Database>): Promise<TableInfo[]> {
  const { rows: cols } = await sql<{ table_name: string; column_name: string }>`
    SELECT c.table_name, c.column_name FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name, c.ordinal_position`.execute(db);
  const { rows: pks } = await sql<{ table_name: string; column_name: string }>`
    SELECT tc.table_name, k.column_name FROM information_schema.table_constraints tc
    JOIN information_schema.key_column_usage k ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name
    WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()
    ORDER BY tc.table_name, k.ordinal_position`.execute(db);
  const { rows: fks } = await sql<{ table_name: string; referenced: string }>`
    SELECT DISTINCT cl.relname AS table_name, ref.relname AS referenced FROM pg_constraint con
    JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_class ref ON ref.oid = con.confrelid
    WHERE con.contype = 'f' AND con.connamespace = current_schema()::regnamespace`.execute(db);
  const byName = new Map<string, TableInfo>();
  for (const c of cols) {
    let t = byName.get(c.table_name);
    if (!t) byName.set(c.table_name, (t = { name: c.table_name, columns: [], primaryKey: [], references: [] }));
    t.columns.push(c.column_name);
  }
  for (const k of pks) byName.get(k.table_name)?.primaryKey.push(k.column_name);
  for (const f of fks) if (f.referenced !== f.table_name) byName.get(f.table_name)?.references.push(f.referenced);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Parents before children (foreign keys), otherwise by name; a cycle keeps the remaining order. */
export function inDependencyOrder(tables: TableInfo[]): TableInfo[] {
  const names = new Set(tables.map((t) => t.name));
  const done = new Set<string>();
  const out: TableInfo[] = [];
  let pending = [...tables];
  while (pending.length > 0) {
    const ready = pending.filter((t) => t.references.every((r) => done.has(r) || !names.has(r)));
    const batch = ready.length > 0 ? ready : pending;
    for (const t of batch) {
      out.push(t);
      done.add(t.name);
    }
    pending = pending.filter((t) => !done.has(t.name));
  }
  return out;
}
