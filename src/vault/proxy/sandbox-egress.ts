/**
 * What a session's sandbox needs to use the oma-vault proxy: the proxy endpoint with the session's
 * token, the CA certificate path, and a placeholder variable per environment_variable credential
 * bound to the session (the proxy swaps placeholders for secrets on allowed hosts).
 */
import type { Store } from '../../store/store.ts';
import type { SandboxEgress } from '../../sandbox/sandbox.ts';
import type { CredentialAuth } from '../../api/schemas/vaults.ts';
import { parseJson } from '../../store/json.ts';
import { placeholderFor } from './injection.ts';
import type { ProxyTokens } from './proxy-token.ts';

export class SandboxEgressPlanner {
  /** `endpoint` may change between sessions (sidecar reachable or not); it is asked at each sandbox open. */
  constructor(private readonly options: { store: Store; tokens: ProxyTokens; endpoint: () => Promise<{ host: string; port: number; socketPath?: string }>; caCertPath: string }) {}

  /** The egress of one session (placeholders as of now; credentials added later get none until the sandbox reopens). */
  async forSession(sessionId: string): Promise<SandboxEgress> {
    const { store, tokens, caCertPath } = this.options;
    const endpoint = await this.options.endpoint();
    const placeholders: Record<string, string> = {};
    for (const row of (await store.vaults.credentialsForSession(sessionId))?.credentials ?? []) {
      const auth = parseJson<CredentialAuth>(row.auth, 'vault_credentials.auth');
      if (auth.type === 'environment_variable' && auth.secret_name && !(auth.secret_name in placeholders)) placeholders[auth.secret_name] = placeholderFor(row.id);
    }
    return { proxy: { host: endpoint.host, port: endpoint.port, socketPath: endpoint.socketPath, url: (seen) => tokens.proxyUrl(sessionId, seen) }, caCertPath, placeholders };
  }
}
