/**
 * Applies pending migrations in one transaction under the dialect's migration lock. Safe to call on
 * every boot and from several instances at once; returns the versions it applied.
 */
import { sql } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL, type Migration } from './migrations.ts';

export async function migrate(dialect: StoreDialect, migrations: Migration[] = MIGRATIONS): Promise<number[]> {
  return dialect.transaction(async (tx) => {
    await dialect.lockForMigration(tx);
    await sql.raw(SCHEMA_MIGRATIONS_DDL).execute(tx);
    const done = new Set((await tx.selectFrom('schema_migrations').select('version').execute()).map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await m.up({ db: tx, kind: dialect.kind, capabilities: dialect.capabilities, addColumn: (table, column, def) => dialect.addColumn(tx, table, column, def), ddl: { authEpoch: dialect.authEpochDdl } });
      await tx.insertInto('schema_migrations').values({ version: m.version, name: m.name, applied_at: Date.now() }).execute();
      applied.push(m.version);
    }
    return applied;
  });
}
