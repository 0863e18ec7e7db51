/**
 * Vault and credential rules: tenancy (a foreign id is an unknown id), archive (read-only, cascades
 * to credentials), delete (cascades), one live credential per URL or variable name in a vault, and
 * sealing of every secret field. Secrets are written here and never read back on the API path.
 */
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import type { Store } from '../store/store.ts';
import type { VaultCredentialTable, VaultTable } from '../store/schema.ts';
import { toCredential, toVault } from '../store/vaults-repository.ts';
import type { Page } from '../store/pagination.ts';
import { parseJson, toJson } from '../store/json.ts';
import { applyMetadataPatch } from '../agents/agent-service.ts';
import type { Credential, CredentialAuth, CredentialCreate, CredentialUpdate, Vault, VaultCreate, VaultUpdate } from '../api/schemas/vaults.ts';
import type { SecretBox } from './secret-box.ts';
import { sealContext, sealedColumn } from './sealed-columns.ts';
import { applyAuthUpdate, credentialUrl, splitCreateAuth, type CredentialSecret, type SplitAuth } from './credential-auth.ts';

/** The sealed column holding every credential's secret fields. */
export const CREDENTIAL_SECRET_COLUMN = sealedColumn('vault_credentials', 'secret');

type ListOptions = { limit: number; page?: string; includeArchived: boolean };

export class VaultService {
  constructor(private readonly deps: { store: Store; secretBox: SecretBox }) {}

  async create(tenantId: string, input: VaultCreate): Promise<Vault> {
    const now = Date.now();
    const row: VaultTable = { id: newId('vlt'), tenant_id: tenantId, display_name: input.display_name, metadata: toJson(input.metadata ?? {}), created_at: now, updated_at: now, archived_at: null };
    await this.deps.store.vaults.insert(row);
    return toVault(row);
  }

  /** The tenant's vault row; throws NotFoundError for unknown and foreign ids alike. */
  async getRow(tenantId: string, id: string): Promise<VaultTable> {
    const row = await this.deps.store.vaults.find(tenantId, id);
    if (!row) throw new NotFoundError(`vault ${JSON.stringify(id)} not found`);
    return row;
  }

  async get(tenantId: string, id: string): Promise<Vault> {
    return toVault(await this.getRow(tenantId, id));
  }

  list(tenantId: string, options: ListOptions): Promise<Page<Vault>> {
    return this.deps.store.vaults.list(tenantId, options);
  }

  async update(tenantId: string, id: string, input: VaultUpdate): Promise<Vault> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at !== null) throw new InvalidRequestError(`vault ${id} is archived and read-only`);
    const metadata = applyMetadataPatch(parseJson(row.metadata, 'vaults.metadata'), input.metadata ?? undefined);
    await this.deps.store.vaults.update(tenantId, id, { display_name: input.display_name ?? row.display_name, metadata: toJson(metadata), updated_at: Date.now() });
    return this.get(tenantId, id);
  }

  /** Archives the vault and every live credential in it (the proxy stops injecting them at once). */
  async archive(tenantId: string, id: string): Promise<Vault> {
    await this.deps.store.transaction(async (tx) => {
      const row = await tx.vaults.find(tenantId, id);
      if (!row) throw new NotFoundError(`vault ${JSON.stringify(id)} not found`);
      if (row.archived_at !== null) return;
      const now = Date.now();
      await tx.vaults.update(tenantId, id, { archived_at: now, updated_at: now });
      await tx.vaults.archiveCredentials(tenantId, id, now);
    });
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<{ id: string; type: 'vault_deleted' }> {
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.vaults.find(tenantId, id))) throw new NotFoundError(`vault ${JSON.stringify(id)} not found`);
      await tx.vaults.delete(tenantId, id);
    });
    return { id, type: 'vault_deleted' };
  }

  /**
   * Checks that a new session may bind these vaults: each must be the tenant's (else 404, as for
   * any unknown id) and not archived (400). Returns the ids without duplicates, in order.
   */
  async checkBindable(tenantId: string, vaultIds: string[]): Promise<string[]> {
    const ids = [...new Set(vaultIds)];
    const rows = new Map((await this.deps.store.vaults.findMany(tenantId, ids)).map((r) => [r.id, r]));
    for (const id of ids) {
      const row = rows.get(id);
      if (!row) throw new NotFoundError(`vault ${JSON.stringify(id)} not found (vault_ids)`);
      if (row.archived_at !== null) throw new InvalidRequestError(`vault_ids: vault ${id} is archived; new sessions cannot use it`);
    }
    return ids;
  }

  async createCredential(tenantId: string, vaultId: string, input: CredentialCreate): Promise<Credential> {
    const vault = await this.getRow(tenantId, vaultId);
    if (vault.archived_at !== null) throw new InvalidRequestError(`vault ${vaultId} is archived and read-only; create the credential in another vault`);
    const now = Date.now();
    const split = splitCreateAuth(input.auth, now);
    const id = newId('vcrd');
    const row: VaultCredentialTable = {
      id,
      tenant_id: tenantId,
      vault_id: vaultId,
      display_name: input.display_name ?? null,
      metadata: toJson(input.metadata ?? {}),
      auth_type: split.auth.type,
      auth: toJson(split.auth),
      secret: this.seal(tenantId, id, split.secret),
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    await this.deps.store.transaction(async (tx) => {
      assertUnique(await tx.vaults.liveCredentials(tenantId, vaultId), split.auth);
      await tx.vaults.insertCredential(row);
    });
    return toCredential(row);
  }

  async getCredentialRow(tenantId: string, vaultId: string, id: string): Promise<VaultCredentialTable> {
    await this.getRow(tenantId, vaultId);
    const row = await this.deps.store.vaults.findCredential(tenantId, vaultId, id);
    if (!row) throw new NotFoundError(`credential ${JSON.stringify(id)} not found in vault ${vaultId}`);
    return row;
  }

  async getCredential(tenantId: string, vaultId: string, id: string): Promise<Credential> {
    return toCredential(await this.getCredentialRow(tenantId, vaultId, id));
  }

  async listCredentials(tenantId: string, vaultId: string, options: ListOptions): Promise<Page<Credential>> {
    await this.getRow(tenantId, vaultId);
    return this.deps.store.vaults.listCredentials(tenantId, vaultId, options);
  }

  async updateCredential(tenantId: string, vaultId: string, id: string, input: CredentialUpdate): Promise<Credential> {
    const row = await this.getCredentialRow(tenantId, vaultId, id);
    if (row.archived_at !== null) throw new InvalidRequestError(`credential ${id} is archived and read-only`);
    const patch: Parameters<Store['vaults']['updateCredential']>[2] = { updated_at: Date.now() };
    if (input.display_name !== undefined && input.display_name !== null) patch.display_name = input.display_name;
    if (input.metadata !== undefined) patch.metadata = toJson(applyMetadataPatch(parseJson(row.metadata, 'vault_credentials.metadata'), input.metadata ?? undefined));
    if (input.auth) {
      const next = applyAuthUpdate(this.openSplit(row), input.auth, Date.now());
      patch.auth = toJson(next.auth);
      patch.secret = this.seal(tenantId, id, next.secret);
    }
    await this.deps.store.vaults.updateCredential(tenantId, id, patch);
    return this.getCredential(tenantId, vaultId, id);
  }

  async archiveCredential(tenantId: string, vaultId: string, id: string): Promise<Credential> {
    const row = await this.getCredentialRow(tenantId, vaultId, id);
    if (row.archived_at === null) await this.deps.store.vaults.updateCredential(tenantId, id, { archived_at: Date.now(), updated_at: Date.now() });
    return this.getCredential(tenantId, vaultId, id);
  }

  async deleteCredential(tenantId: string, vaultId: string, id: string): Promise<{ id: string; type: 'vault_credential_deleted' }> {
    await this.getCredentialRow(tenantId, vaultId, id);
    await this.deps.store.vaults.deleteCredential(tenantId, id);
    return { id, type: 'vault_credential_deleted' };
  }

  /** The stored public configuration and opened secret of a credential row (server-side use only). */
  openSplit(row: VaultCredentialTable): SplitAuth {
    const text = this.deps.secretBox.open(sealContext(CREDENTIAL_SECRET_COLUMN, row.tenant_id, row.id), row.secret);
    return { auth: parseJson<CredentialAuth>(row.auth, 'vault_credentials.auth'), secret: JSON.parse(text) as CredentialSecret };
  }

  private seal(tenantId: string, id: string, secret: CredentialSecret): string {
    return this.deps.secretBox.seal(sealContext(CREDENTIAL_SECRET_COLUMN, tenantId, id), JSON.stringify(secret));
  }
}

/** One live credential per URL (bearer, OAuth) or per variable name (environment_variable) in a vault. */
function assertUnique(live: VaultCredentialTable[], auth: CredentialAuth): void {
  for (const other of live) {
    const theirs = parseJson<CredentialAuth>(other.auth, 'vault_credentials.auth');
    const url = credentialUrl(auth);
    if (url !== undefined && credentialUrl(theirs) === url) {
      throw new ConflictError(`credential ${other.id} in this vault already authenticates ${url}; update or archive it instead`);
    }
    if (auth.secret_name !== undefined && theirs.secret_name === auth.secret_name) {
      throw new ConflictError(`credential ${other.id} in this vault already defines ${auth.secret_name}; update or archive it instead`);
    }
  }
}
