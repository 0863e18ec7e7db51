/** SQL for vaults and their credentials. Every query is scoped by tenant. */
import type { Kysely } from 'kysely';
import type { Database, VaultCredentialTable, VaultTable } from './schema.ts';
import { parseJson } from './json.ts';
import { decodeCursor, keysetPage, toPage, type Page } from './pagination.ts';
import type { Credential, CredentialAuth, Vault } from '../api/schemas/vaults.ts';
import { toIso } from '../lib/time.ts';

export function toVault(row: VaultTable): Vault {
  return {
    id: row.id,
    type: 'vault',
    display_name: row.display_name,
    metadata: parseJson(row.metadata, 'vaults.metadata'),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    archived_at: toIso(row.archived_at),
  };
}

/** The wire credential: the stored public `auth`, never the sealed secret column. */
export function toCredential(row: VaultCredentialTable): Credential {
  return {
    id: row.id,
    type: 'vault_credential',
    vault_id: row.vault_id,
    display_name: row.display_name,
    auth: parseJson<CredentialAuth>(row.auth, 'vault_credentials.auth'),
    metadata: parseJson(row.metadata, 'vault_credentials.metadata'),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    archived_at: toIso(row.archived_at),
  };
}

type ListOptions = { limit: number; page?: string; includeArchived: boolean };
type CredentialPatch = Partial<Pick<VaultCredentialTable, 'display_name' | 'metadata' | 'auth' | 'secret' | 'updated_at' | 'archived_at'>>;

export class VaultsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: VaultTable): Promise<void> {
    await this.db.insertInto('vaults').values(row).execute();
  }

  find(tenantId: string, id: string): Promise<VaultTable | undefined> {
    return this.db.selectFrom('vaults').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  /** The tenant's vaults among `ids` (unknown and foreign ids are simply absent). */
  findMany(tenantId: string, ids: string[]): Promise<VaultTable[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('vaults').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
  }

  async update(tenantId: string, id: string, patch: Partial<Pick<VaultTable, 'display_name' | 'metadata' | 'updated_at' | 'archived_at'>>): Promise<void> {
    await this.db.updateTable('vaults').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  /** Deletes the vault and (ON DELETE CASCADE, and explicitly for clarity) its credentials. */
  async delete(tenantId: string, id: string): Promise<void> {
    await this.db.deleteFrom('vault_credentials').where('vault_id', '=', id).where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('vaults').where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  list(tenantId: string, options: ListOptions): Promise<Page<Vault>> {
    const cursor = decodeCursor(options.page, 'desc');
    let q = this.db.selectFrom('vaults').selectAll().where('tenant_id', '=', tenantId);
    if (!options.includeArchived) q = q.where('archived_at', 'is', null);
    return keysetPage(q, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: options.limit })
      .execute()
      .then((rows) => toPage(rows, { limit: options.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.id }) }, toVault));
  }

  async insertCredential(row: VaultCredentialTable): Promise<void> {
    await this.db.insertInto('vault_credentials').values(row).execute();
  }

  findCredential(tenantId: string, vaultId: string, id: string): Promise<VaultCredentialTable | undefined> {
    return this.db
      .selectFrom('vault_credentials')
      .selectAll()
      .where('id', '=', id)
      .where('vault_id', '=', vaultId)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
  }

  /** Live (not archived) credentials of one vault, for uniqueness checks. */
  liveCredentials(tenantId: string, vaultId: string): Promise<VaultCredentialTable[]> {
    return this.db.selectFrom('vault_credentials').selectAll().where('tenant_id', '=', tenantId).where('vault_id', '=', vaultId).where('archived_at', 'is', null).execute();
  }

  async updateCredential(tenantId: string, id: string, patch: CredentialPatch): Promise<void> {
    await this.db.updateTable('vault_credentials').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  /**
   * Stores refreshed tokens only if the row still has the auth and secret the refresher read (and
   * is live): false when another refresher or a user update wrote it meanwhile, whose write stands.
   */
  async swapCredentialTokens(tenantId: string, id: string, read: Pick<VaultCredentialTable, 'auth' | 'secret'>, patch: Pick<VaultCredentialTable, 'auth' | 'secret' | 'updated_at'>): Promise<boolean> {
    const res = await this.db.updateTable('vault_credentials').set(patch)
      .where('id', '=', id).where('tenant_id', '=', tenantId).where('archived_at', 'is', null)
      .where('auth', '=', read.auth).where('secret', '=', read.secret)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async archiveCredentials(tenantId: string, vaultId: string, at: number): Promise<void> {
    await this.db
      .updateTable('vault_credentials')
      .set({ archived_at: at, updated_at: at })
      .where('tenant_id', '=', tenantId)
      .where('vault_id', '=', vaultId)
      .where('archived_at', 'is', null)
      .execute();
  }

  async deleteCredential(tenantId: string, id: string): Promise<void> {
    await this.db.deleteFrom('vault_credentials').where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  listCredentials(tenantId: string, vaultId: string, options: ListOptions): Promise<Page<Credential>> {
    const cursor = decodeCursor(options.page, 'desc');
    let q = this.db.selectFrom('vault_credentials').selectAll().where('tenant_id', '=', tenantId).where('vault_id', '=', vaultId);
    if (!options.includeArchived) q = q.where('archived_at', 'is', null);
    return keysetPage(q, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: options.limit })
      .execute()
      .then((rows) => toPage(rows, { limit: options.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.id }) }, toCredential));
  }

  /**
   * The credentials a session may use right now: live credentials of the session's live vaults,
   * all of the session's tenant. Unknown, archived or deleted sessions have none. Also returns the
   * environment config the session's sandbox runs with (its snapshot; for sessions older than the
   * snapshot, the environment as it is now; null when that is gone).
   */
  async credentialsForSession(sessionId: string): Promise<{ tenantId: string; environmentConfig: string | null; credentials: VaultCredentialTable[] } | undefined> {
    const session = await this.db
      .selectFrom('sessions')
      .select(['tenant_id', 'vault_ids', 'archived_at', 'environment_id', 'environment_config'])
      .where('id', '=', sessionId)
      .executeTakeFirst();
    if (!session || session.archived_at !== null) return undefined;
    const environmentConfig = session.environment_config ?? (await this.db
      .selectFrom('environments')
      .select('config')
      .where('id', '=', session.environment_id)
      .where('tenant_id', '=', session.tenant_id)
      .executeTakeFirst())?.config ?? null;
    const vaultIds = parseJson<string[]>(session.vault_ids, 'sessions.vault_ids');
    if (vaultIds.length === 0) return { tenantId: session.tenant_id, environmentConfig, credentials: [] };
    const credentials = await this.db
      .selectFrom('vault_credentials as c')
      .innerJoin('vaults as v', 'v.id', 'c.vault_id')
      .selectAll('c')
      .where('c.tenant_id', '=', session.tenant_id)
      .where('v.tenant_id', '=', session.tenant_id)
      .where('c.vault_id', 'in', vaultIds)
      .where('c.archived_at', 'is', null)
      .where('v.archived_at', 'is', null)
      .orderBy('c.created_at', 'asc')
      .execute();
    return { tenantId: session.tenant_id, environmentConfig, credentials };
  }
}
