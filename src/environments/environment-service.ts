/** Environment rules: unique names per tenant, immutable config type, a per-tenant default. */
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import type { Store } from '../store/store.ts';
import { toEnvironment } from '../store/environments-repository.ts';
import type { EnvConfigParam, Environment, EnvironmentCreate, EnvironmentUpdate } from '../api/schemas/environments.ts';
import type { EnvironmentTable } from '../store/schema.ts';
import { parseJson, toJson } from '../store/json.ts';

const PACKAGE_MANAGERS = ['apt', 'cargo', 'gem', 'go', 'npm', 'pip'] as const;
export const DEFAULT_ENVIRONMENT_NAME = 'default';

type ResolvedConfig = Record<string, unknown>;

export function resolveEnvConfig(param: EnvConfigParam | null | undefined, stored?: ResolvedConfig): ResolvedConfig {
  if (!param) return stored ?? resolveEnvConfig({ type: 'cloud' });
  if (param.type === 'self_hosted') return { type: 'self_hosted' };
  const prev = (stored?.type === 'cloud' ? stored : {}) as { networking?: unknown; packages?: Record<string, string[]> };
  const networking = param.networking
    ? param.networking.type === 'limited'
      ? { type: 'limited', allowed_hosts: param.networking.allowed_hosts ?? [], allow_package_managers: param.networking.allow_package_managers ?? false, allow_mcp_servers: param.networking.allow_mcp_servers ?? false }
      : { type: 'unrestricted' }
    : (prev.networking ?? { type: 'unrestricted' });
  const packages: Record<string, unknown> = { type: 'packages' };
  for (const m of PACKAGE_MANAGERS) packages[m] = param.packages ? (param.packages[m] ?? []) : (prev.packages?.[m] ?? []);
  const hasPackages = PACKAGE_MANAGERS.some((m) => (packages[m] as string[]).length > 0);
  if (hasPackages && (networking as { type: string; allow_package_managers?: boolean }).type === 'limited' && !(networking as { allow_package_managers?: boolean }).allow_package_managers) {
    throw new InvalidRequestError('config.packages: installing packages under limited networking needs config.networking.allow_package_managers: true');
  }
  return { type: 'cloud', networking, packages };
}

export class EnvironmentService {
  constructor(private readonly store: Store) {}

  async create(tenantId: string, input: EnvironmentCreate, options: { isDefault?: boolean } = {}): Promise<Environment> {
    const now = Date.now();
    const row: EnvironmentTable = {
      id: newId('env'),
      tenant_id: tenantId,
      name: input.name,
      description: input.description ?? null,
      config: toJson(resolveEnvConfig(input.config)),
      metadata: toJson(input.metadata ?? {}),
      scope: input.scope ?? null,
      is_default: options.isDefault ? 1 : 0,
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    try {
      await this.store.environments.insert(row);
    } catch (err) {
      if (this.store.isUniqueViolation(err)) throw new ConflictError(`an environment named ${JSON.stringify(input.name)} already exists; pick another name or update that one`);
      throw err;
    }
    return toEnvironment(row);
  }

  async getRow(tenantId: string, id: string): Promise<EnvironmentTable> {
    const row = await this.store.environments.find(tenantId, id);
    if (!row) throw new NotFoundError(`environment ${JSON.stringify(id)} not found`, { details: { error_code: 'environment_not_found' } });
    return row;
  }

  async get(tenantId: string, id: string): Promise<Environment> {
    return toEnvironment(await this.getRow(tenantId, id));
  }

  /** The tenant's default environment, created on first use (sessions may omit environment_id). */
  async getOrCreateDefault(tenantId: string): Promise<EnvironmentTable> {
    const existing = await this.store.environments.findDefault(tenantId);
    if (existing) return existing;
    try {
      const env = await this.create(tenantId, { name: DEFAULT_ENVIRONMENT_NAME, description: 'Created automatically for sessions that name no environment' }, { isDefault: true });
      return this.getRow(tenantId, env.id);
    } catch (err) {
      // Another request created it concurrently, or a user environment is already called "default".
      const again = await this.store.environments.findDefault(tenantId);
      if (again) return again;
      if (!(err instanceof ConflictError)) throw err;
      const env = await this.create(tenantId, { name: `${DEFAULT_ENVIRONMENT_NAME}-${Date.now()}` }, { isDefault: true });
      return this.getRow(tenantId, env.id);
    }
  }

  async update(tenantId: string, id: string, input: EnvironmentUpdate): Promise<Environment> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at !== null) throw new InvalidRequestError(`environment ${id} is archived and cannot be updated`, { details: { error_code: 'environment_archived' } });
    const stored = parseJson<ResolvedConfig>(row.config, 'environments.config');
    if (input.config && input.config.type !== stored.type) {
      throw new InvalidRequestError(`config.type cannot change from ${String(stored.type)} to ${input.config.type}; create a new environment instead`, { details: { error_code: 'invalid_config_type_change' } });
    }
    const metadata = parseJson<Record<string, string>>(row.metadata, 'environments.metadata');
    for (const [k, v] of Object.entries(input.metadata ?? {})) {
      if (v === null || v === '') delete metadata[k];
      else metadata[k] = v;
    }
    if (Object.keys(metadata).length > 16) throw new InvalidRequestError('metadata: at most 16 pairs', { details: { error_code: 'invalid_metadata' } });
    const patch = {
      name: input.name ?? row.name,
      description: input.description === undefined ? row.description : input.description,
      config: input.config ? toJson(resolveEnvConfig(input.config, stored)) : row.config,
      metadata: toJson(metadata),
      scope: input.scope === undefined ? row.scope : input.scope,
      updated_at: Date.now(),
    };
    try {
      await this.store.environments.update(tenantId, id, patch);
    } catch (err) {
      if (this.store.isUniqueViolation(err)) throw new ConflictError(`an environment named ${JSON.stringify(patch.name)} already exists`);
      throw err;
    }
    return this.get(tenantId, id);
  }

  async archive(tenantId: string, id: string): Promise<Environment> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at === null) await this.store.environments.update(tenantId, id, { archived_at: Date.now(), updated_at: Date.now() });
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<{ id: string; type: 'environment_deleted' }> {
    await this.getRow(tenantId, id);
    const sessions = await this.store.environments.countSessions(tenantId, id);
    if (sessions > 0) throw new ConflictError(`environment ${id} is used by ${sessions} session(s); delete those sessions first or archive the environment instead`);
    await this.store.environments.delete(tenantId, id);
    return { id, type: 'environment_deleted' };
  }
}

