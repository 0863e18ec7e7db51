/**
 * `mcp_oauth_validate`: probes the credential's MCP server with an MCP `initialize` request carrying
 * the access token; on a 401 it tries a refresh (persisting rotated tokens) and probes once more.
 * Captured responses are scrubbed of the credential's secrets.
 */
import { InvalidRequestError } from '../errors.ts';
import type { CredentialValidation } from '../api/schemas/vaults.ts';
import type { VaultService } from './vault-service.ts';
import { scrub, type OAuthRefresher } from './oauth-refresh.ts';
import type { VaultHttp, VaultHttpResponse } from './vault-http.ts';

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'open-managed-agents', version: '0' } },
});

type HttpResponseWire = CredentialValidation['refresh'] extends infer R ? (R extends { http_response: infer H } ? H : never) : never;

function wire(response: VaultHttpResponse): HttpResponseWire {
  return { status_code: response.status, content_type: response.contentType, body: response.body, body_truncated: response.truncated };
}

export class CredentialValidator {
  constructor(private readonly deps: { vaults: VaultService; refresher: OAuthRefresher; http: VaultHttp }) {}

  async validate(tenantId: string, vaultId: string, id: string): Promise<CredentialValidation> {
    const row = await this.deps.vaults.getCredentialRow(tenantId, vaultId, id);
    if (row.auth_type !== 'mcp_oauth') throw new InvalidRequestError(`credential ${id} is ${row.auth_type}; only mcp_oauth credentials can be validated`);
    const { auth, secret } = this.deps.refresher.open(row);
    const base = { type: 'vault_credential_validation' as const, credential_id: id, vault_id: vaultId, has_refresh_token: Boolean(auth.refresh && secret.refresh_token) };
    let probe = await this.probe(auth.mcp_server_url!, secret.access_token!);
    let refresh: CredentialValidation['refresh'] = null;
    if (probe.kind === 'rejected' && probe.response.status === 401) {
      const outcome = await this.deps.refresher.refresh(row);
      refresh = { status: outcome.status, http_response: outcome.status === 'failed' ? wire(outcome.response) : null };
      if (outcome.status === 'succeeded') probe = await this.probe(auth.mcp_server_url!, outcome.accessToken);
    }
    const validated_at = new Date().toISOString();
    if (probe.kind === 'ok') return { ...base, status: 'valid', mcp_probe: null, refresh, validated_at };
    if (probe.kind === 'unreachable') return { ...base, status: 'unknown', mcp_probe: { method: 'initialize', http_response: null }, refresh, validated_at };
    return { ...base, status: 'invalid', mcp_probe: { method: 'initialize', http_response: wire(scrub(probe.response, secret)) }, refresh, validated_at };
  }

  private async probe(url: string, token: string): Promise<{ kind: 'ok' } | { kind: 'rejected'; response: VaultHttpResponse } | { kind: 'unreachable' }> {
    try {
      const response = await this.deps.http.post(url, {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: INITIALIZE,
      });
      return response.status >= 200 && response.status < 300 ? { kind: 'ok' } : { kind: 'rejected', response };
    } catch {
      return { kind: 'unreachable' };
    }
  }
}
