/**
 * Re-encrypts every sealed column of every table (`SEALED_COLUMNS`) from one root secret to another
 * and replaces the root-secret check value, all in one transaction: either every row opens under the
 * new secret afterwards, or nothing changed. Values that do not open under the old secret stop the
 * rotation (nothing is written) with the table, column and row named.
 */
import { sql } from 'kysely';
import type { Store } from '../store/store.ts';
import { AesGcmSecretBox } from './secret-box.ts';
import { SEALED_COLUMNS, sealContext } from './sealed-columns.ts';
import { ROOT_SECRET_CHECK_KEY, rootSecretCheckValue } from './root-secret-check.ts';

export interface RotationReport {
  /** `table.column` → number of values re-encrypted. */
  columns: Record<string, number>;
  total: number;
}

/** Rotates from `oldSecret` to `newSecret`; the caller makes sure no server uses the database meanwhile. */
export async function rotateRootSecret(store: Store, secrets: { oldSecret: string; newSecret: string }): Promise<RotationReport> {
  const from = new AesGcmSecretBox(secrets.oldSecret);
  const to = new AesGcmSecretBox(secrets.newSecret);
  return store.transaction(async (tx) => {
    const report: RotationReport = { columns: {}, total: 0 };
    for (const column of SEALED_COLUMNS) {
      const rows = await sql<{ id: string; tenant: string; value: string }>`
        SELECT ${sql.ref(column.idColumn)} AS id, ${sql.ref(column.tenantColumn)} AS tenant, ${sql.ref(column.column)} AS value
        FROM ${sql.table(column.table)} WHERE ${sql.ref(column.column)} IS NOT NULL`.execute(tx.db);
      for (const row of rows.rows) {
        const context = sealContext(column, row.tenant, row.id);
        const resealed = to.seal(context, from.open(context, row.value));
        await sql`UPDATE ${sql.table(column.table)} SET ${sql.ref(column.column)} = ${resealed} WHERE ${sql.ref(column.idColumn)} = ${row.id}`.execute(tx.db);
      }
      report.columns[`${column.table}.${column.column}`] = rows.rows.length;
      report.total += rows.rows.length;
    }
    await tx.meta.set(ROOT_SECRET_CHECK_KEY, rootSecretCheckValue(secrets.newSecret));
    return report;
  });
}
