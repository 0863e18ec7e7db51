/**
 * The one registry of columns that hold values sealed by `secret-box.ts`. `rotate-root-secret`
 * re-encrypts exactly these, so a feature that seals a column MUST append it here (in the same
 * change as the migration that creates the column). A sealed column is TEXT, NULL when empty, and
 * holds only `sb1.…` strings sealed with `{ tenantId: <tenant column>, field: '<table>.<column>',
 * rowId: <id column> }` — use `sealContext(column, tenantId, rowId)` to build that context.
 */
import type { SealContext } from './secret-box.ts';

export interface SealedColumn {
  /** Table name as in store/schema.ts. */
  table: string;
  /** The single-column primary key; its value is the seal context's rowId. */
  idColumn: string;
  /** The row's tenant; its value is the seal context's tenantId. */
  tenantColumn: string;
  /** The TEXT column holding the sealed value (NULL allowed). */
  column: string;
}

/** Every sealed column of every table. Append-only; order does not matter. */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  // Model cards (issue #15, migration 22): the provider key, and the extra headers as one sealed JSON object.
  { table: 'model_cards', idColumn: 'id', tenantColumn: 'tenant_id', column: 'api_key' },
  { table: 'model_cards', idColumn: 'id', tenantColumn: 'tenant_id', column: 'headers' },
  /** Vault credentials: token / access and refresh tokens / client secret / secret value, as one JSON value. */
  { table: 'vault_credentials', idColumn: 'id', tenantColumn: 'tenant_id', column: 'secret' },
  // Webhook endpoints (issue #23, migration 45): the Standard Webhooks signing secret, and the one it replaced while its grace period lasts.
  { table: 'webhooks', idColumn: 'id', tenantColumn: 'tenant_id', column: 'secret' },
  { table: 'webhooks', idColumn: 'id', tenantColumn: 'tenant_id', column: 'previous_secret' },
  // github_repository session resources (issue #20, migration 36): the clone's authorization_token.
  { table: 'session_repositories', idColumn: 'id', tenantColumn: 'tenant_id', column: 'authorization_token' },
];

/** Looks up a registered column; throws when it is not registered (a sealing feature forgot to append it). */
export function sealedColumn(table: string, column: string): SealedColumn {
  const found = SEALED_COLUMNS.find((c) => c.table === table && c.column === column);
  if (!found) throw new Error(`${table}.${column} is not registered in SEALED_COLUMNS (src/vault/sealed-columns.ts)`);
  return found;
}

/** The `field` part of a seal context for a registered column: `table.column`. */
export function sealedField(column: SealedColumn): string {
  return `${column.table}.${column.column}`;
}

/** The seal context of one row's value in a registered column. */
export function sealContext(column: SealedColumn, tenantId: string, rowId: string): SealContext {
  return { tenantId, field: sealedField(column), rowId };
}
