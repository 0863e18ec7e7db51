/**
 * The indexes the lists page on (migration 61): [index, table, columns, the index it replaces].
 * Every list pages by (created_at, id) after a cursor (pagination.ts keysetPage); each index is the
 * list's equality filter (tenant or parent) then (created_at, id), so a page after a cursor is a
 * range on it and costs what the first page does. Each replaces the (filter, created_at) index it
 * extends (environments had none). Filters other than these (status, archived_at, operation …)
 * are applied to the rows the range reads.
 */
export const LIST_INDEXES: readonly (readonly [string, string, string, string | null])[] = [
  ['agents_keyset', 'agents', 'tenant_id, created_at, id', 'agents_tenant'],
  ['environments_keyset', 'environments', 'tenant_id, created_at, id', null],
  ['vaults_keyset', 'vaults', 'tenant_id, created_at, id', 'vaults_tenant'],
  ['vault_credentials_keyset', 'vault_credentials', 'vault_id, created_at, id', 'vault_credentials_vault'],
  ['memory_stores_keyset', 'memory_stores', 'tenant_id, created_at, id', 'memory_stores_tenant'],
  ['memory_versions_keyset', 'memory_versions', 'memory_store_id, created_at, id', 'memory_versions_store'],
  ['memory_versions_memory_keyset', 'memory_versions', 'memory_id, created_at, id', 'memory_versions_memory'],
  ['model_cards_keyset', 'model_cards', 'tenant_id, created_at, id', 'model_cards_tenant_created'],
  ['webhooks_keyset', 'webhooks', 'tenant_id, created_at, id', 'webhooks_tenant'],
  ['webhook_deliveries_keyset', 'webhook_deliveries', 'webhook_id, created_at, id', 'webhook_deliveries_list'],
  ['deployments_keyset', 'deployments', 'tenant_id, created_at, id', 'deployments_tenant'],
  ['deployment_runs_keyset', 'deployment_runs', 'tenant_id, created_at, id', 'deployment_runs_tenant'],
  ['deployment_runs_deployment_keyset', 'deployment_runs', 'deployment_id, created_at, id', 'deployment_runs_deployment'],
  ['skills_keyset', 'skills', 'tenant_id, created_at, id', 'skills_tenant'],
  ['skill_versions_keyset', 'skill_versions', 'skill_id, created_at, version', null],
  ['files_keyset', 'files', 'tenant_id, created_at, id', 'files_tenant'],
  ['files_scope_keyset', 'files', 'tenant_id, scope_id, created_at, id', 'files_scope'],
];
