/**
 * API keys: `oma_` + 40 random base58 characters. Only a SHA-256 hash is stored (keys are random
 * and long, so a fast hash is enough); the plaintext is shown once at creation.
 */
import * as crypto from 'node:crypto';
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { newId } from '../lib/ids.ts';
import { toIso } from '../lib/time.ts';
import type { ApiKeyTable } from '../store/schema.ts';

const KEY_PREFIX = 'oma_';

/**
 * SHA-256 hex, once per authenticated request: the one-shot crypto.hash (Node ≥ 20.12) skips the
 * Hash object createHash builds; older Node 20 releases (no such export) use createHash.
 */
export const hashApiKey: (key: string) => string = typeof crypto.hash === 'function'
  ? (key) => crypto.hash('sha256', key, 'hex')
  : (key) => crypto.createHash('sha256').update(key).digest('hex');

export function toWireApiKey(row: ApiKeyTable) {
  return {
    id: row.id,
    type: 'api_key',
    name: row.name,
    prefix: row.prefix,
    created_at: toIso(row.created_at),
    last_used_at: toIso(row.last_used_at),
    revoked_at: toIso(row.revoked_at),
  };
}

export async function createApiKey(store: Store, options: { tenantId: string; name: string; createdBy?: string }) {
  const key = `${KEY_PREFIX}${randomBytes(30).toString('base64url')}`;
  const row: ApiKeyTable = {
    id: newId('apikey'),
    tenant_id: options.tenantId,
    name: options.name,
    prefix: key.slice(0, 12),
    key_hash: hashApiKey(key),
    created_by: options.createdBy ?? null,
    created_at: Date.now(),
    last_used_at: null,
    revoked_at: null,
  };
  await store.db.insertInto('api_keys').values(row).execute();
  return { ...toWireApiKey(row), key };
}

/** The live key with this plaintext, or undefined (unknown or revoked). Records last_used_at. */
export async function findApiKey(store: Store, key: string): Promise<ApiKeyTable | undefined> {
  const row = await store.db.selectFrom('api_keys').selectAll().where('key_hash', '=', hashApiKey(key)).executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  const now = Date.now();
  if (row.last_used_at === null || now - row.last_used_at > LAST_USED_RESOLUTION_MS) await touchApiKey(store, row.id, now);
  return row;
}

/** Coarse: one last_used_at write per key per minute at most, so hot keys do not turn reads into writes. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export async function touchApiKey(store: Store, id: string, now: number): Promise<void> {
  await store.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}

/** The tenant's live keys, newest first (never the secret or its hash). */
export async function listApiKeys(store: Store, tenantId: string): Promise<ApiKeyTable[]> {
  return store.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).where('revoked_at', 'is', null).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}

/** The tenant's live key with this id, or undefined. */
export async function findLiveApiKeyById(store: Store, tenantId: string, id: string): Promise<ApiKeyTable | undefined> {
  return store.db.selectFrom('api_keys').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).where('revoked_at', 'is', null).executeTakeFirst();
}

/** Revokes at once: the next request with the key is refused. True when a live key was revoked. */
export async function revokeApiKey(store: Store, tenantId: string, id: string): Promise<boolean> {
  const res = await store.db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', id).where('tenant_id', '=', tenantId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
