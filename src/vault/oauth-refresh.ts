/**
 * Refreshes `mcp_oauth` credentials: the standard refresh_token grant against the credential's
 * token endpoint (client authentication none / client_secret_basic / client_secret_post), then the
 * rotated tokens are sealed and stored before anyone uses them, unless the row changed since it was
 * read (another refresher, a user update): then the newer row stands. Captured responses have every
 * secret of the credential and any token field scrubbed before they leave this module.
 */
import type { Store } from '../store/store.ts';
import type { VaultCredentialTable } from '../store/schema.ts';
import type { SecretBox } from './secret-box.ts';
import { sealContext } from './sealed-columns.ts';
import { CREDENTIAL_SECRET_COLUMN } from './vault-service.ts';
import type { CredentialSecret, SplitAuth } from './credential-auth.ts';
import type { VaultHttp, VaultHttpResponse } from './vault-http.ts';
import { parseJson, toJson } from '../store/json.ts';
import type { CredentialAuth } from '../api/schemas/vaults.ts';
import { toIso } from '../lib/time.ts';

export type RefreshOutcome =
  | { status: 'succeeded'; accessToken: string }
  | { status: 'failed'; response: VaultHttpResponse }
  | { status: 'connect_error'; reason: string }
  | { status: 'no_refresh_token' };

/** Refresh this long before the stored expiry, so a token does not expire in flight. */
const EXPIRY_MARGIN_MS = 30_000;

export class OAuthRefresher {
  constructor(private readonly deps: { store: Store; secretBox: SecretBox; http: VaultHttp }) {}

  /** The opened public auth and secret of a credential row. */
  open(row: VaultCredentialTable): SplitAuth {
    const text = this.deps.secretBox.open(sealContext(CREDENTIAL_SECRET_COLUMN, row.tenant_id, row.id), row.secret);
    return { auth: parseJson<CredentialAuth>(row.auth, 'vault_credentials.auth'), secret: JSON.parse(text) as CredentialSecret };
  }

  /** Whether the stored access token has expired (or is about to); unknown expiry counts as valid. */
  isExpired(auth: CredentialAuth, now: number): boolean {
    return typeof auth.expires_at === 'string' && Date.parse(auth.expires_at) - EXPIRY_MARGIN_MS <= now;
  }

  /** Exchanges the refresh token for a new access token and persists the rotated tokens. */
  async refresh(row: VaultCredentialTable): Promise<RefreshOutcome> {
    const { auth, secret } = this.open(row);
    const refresh = auth.refresh;
    if (!refresh || !secret.refresh_token) return { status: 'no_refresh_token' };
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: secret.refresh_token, client_id: refresh.client_id });
    if (refresh.scope) form.set('scope', refresh.scope);
    if (refresh.resource) form.set('resource', refresh.resource);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (refresh.token_endpoint_auth.type === 'client_secret_post' && secret.client_secret) form.set('client_secret', secret.client_secret);
    if (refresh.token_endpoint_auth.type === 'client_secret_basic' && secret.client_secret) {
      // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(refresh.client_id)}:${encodeURIComponent(secret.client_secret)}`).toString('base64')}`;
    }
    let response: VaultHttpResponse;
    try {
      response = await this.deps.http.post(refresh.token_endpoint, { headers, body: form.toString() });
    } catch (err) {
      const elsewhere = await this.refreshedElsewhere(row);
      if (elsewhere) return elsewhere;
      await this.announceFailure(row);
      return { status: 'connect_error', reason: (err as Error).message };
    }
    const tokens = parseTokens(response);
    if (!tokens) {
      const elsewhere = await this.refreshedElsewhere(row);
      if (elsewhere) return elsewhere;
      await this.announceFailure(row);
      return { status: 'failed', response: scrub(response, secret) };
    }
    const next: CredentialSecret = { ...secret, access_token: tokens.access_token, refresh_token: tokens.refresh_token ?? secret.refresh_token };
    const nextAuth: CredentialAuth = { ...auth, expires_at: tokens.expires_in ? toIso(Date.now() + tokens.expires_in * 1000) : null };
    const stored = await this.deps.store.vaults.swapCredentialTokens(row.tenant_id, row.id, row, {
      auth: toJson(nextAuth),
      secret: this.deps.secretBox.seal(sealContext(CREDENTIAL_SECRET_COLUMN, row.tenant_id, row.id), JSON.stringify(next)),
      updated_at: Date.now(),
    });
    // Lost the race: the newer row stands; its live token is used, else the one just issued (once).
    if (!stored) return (await this.refreshedElsewhere(row)) ?? { status: 'succeeded', accessToken: tokens.access_token };
    return { status: 'succeeded', accessToken: tokens.access_token };
  }

  /**
   * After a failed refresh: the live token another refresher stored meanwhile, if any. Two
   * processes (instances, or the server and the vault sidecar) refreshing one credential at once
   * send the same single-use refresh token; the provider refuses the second, whose caller should
   * use what the first stored rather than fail and announce refresh_failed.
   */
  private async refreshedElsewhere(row: VaultCredentialTable): Promise<RefreshOutcome | undefined> {
    const current = await this.deps.store.vaults.findCredential(row.tenant_id, row.vault_id, row.id);
    if (!current || current.secret === row.secret) return undefined;
    const { auth, secret } = this.open(current);
    return secret.access_token && !this.isExpired(auth, Date.now()) ? { status: 'succeeded', accessToken: secret.access_token } : undefined;
  }

  /** `vault_credential.refresh_failed` for the tenant's webhook endpoints (ids only, never a secret). */
  private async announceFailure(row: VaultCredentialTable): Promise<void> {
    await this.deps.store.transaction((tx) => tx.webhooks.enqueue(row.tenant_id, { type: 'vault_credential.refresh_failed', id: row.id, vault_id: row.vault_id }, { now: Date.now() }));
  }
}

function parseTokens(response: VaultHttpResponse): { access_token: string; refresh_token?: string; expires_in?: number } | undefined {
  if (response.status < 200 || response.status >= 300 || response.truncated) return undefined;
  try {
    const body = JSON.parse(response.body) as Record<string, unknown>;
    if (typeof body.access_token !== 'string' || body.access_token === '') return undefined;
    return {
      access_token: body.access_token,
      refresh_token: typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : undefined,
      expires_in: typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : undefined,
    };
  } catch {
    return undefined;
  }
}

/** A captured response without the credential's secrets or any token-looking JSON field value. */
export function scrub(response: VaultHttpResponse, secret: CredentialSecret): VaultHttpResponse {
  let body = response.body.replace(/("(?:access_token|refresh_token|id_token|client_secret)"\s*:\s*")[^"]*"/g, '$1[redacted]"');
  for (const value of Object.values(secret)) if (typeof value === 'string' && value.length >= 4) body = body.split(value).join('[redacted]');
  return { ...response, body };
}
