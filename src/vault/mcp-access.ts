/**
 * The server's MCP client reaches MCP servers through here (tools/mcp/mcp-port.ts): each request is
 * checked against the egress policy (public addresses, plus VAULT_ALLOWED_PRIVATE_HOSTS — the vault
 * proxy's rule; connected to the checked address, no DNS rebinding) and against a `limited`
 * environment (allow_mcp_servers or allowed_hosts), then authorised from the session's vaults: the
 * live credential whose `mcp_server_url` matches the server's URL (same scheme, host and port; the
 * longest path prefix wins), read fresh on every request. `static_bearer` sends its token;
 * `mcp_oauth` sends its access token, refreshed first when it has expired and once more after a
 * 401 (rotated tokens are sealed and stored by OAuthRefresher before use). Tokens exist only in
 * this process: never logged, never in an error message, never in an event.
 */
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import type { Store } from '../store/store.ts';
import type { VaultCredentialTable } from '../store/schema.ts';
import { BlockedDestinationError } from '../net/guarded-lookup.ts';
import { classifyAddress, describeRefusal } from '../net/address-policy.ts';
import { sandboxNetworkingFor } from '../environments/environment-networking.ts';
import type { McpAccessProvider, McpScope, McpServerRef, McpTransportAccess } from '../tools/mcp/mcp-port.ts';
import type { EgressPolicy } from './egress-policy.ts';
import type { OAuthRefresher, RefreshOutcome } from './oauth-refresh.ts';
import { parseJson } from '../store/json.ts';
import type { CredentialAuth } from '../api/schemas/vaults.ts';

type Authorization =
  | { kind: 'none'; vaultIds: string[] }
  | { kind: 'credential'; row: VaultCredentialTable; token: string | undefined; refreshFailure?: string };

const defaultPort = (protocol: string): string => (protocol === 'https:' ? '443' : '80');

function pathMatches(prefix: string, path: string): boolean {
  if (prefix === '' || prefix === '/') return true;
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === base || path.startsWith(`${base}/`);
}

/** The credential for `target` among `rows` (same origin, longest path prefix), if any. */
export function matchMcpCredential(rows: VaultCredentialTable[], target: URL): VaultCredentialTable | undefined {
  let best: { row: VaultCredentialTable; length: number } | undefined;
  for (const row of rows) {
    if (row.auth_type !== 'static_bearer' && row.auth_type !== 'mcp_oauth') continue;
    const raw = parseJson<CredentialAuth>(row.auth, 'vault_credentials.auth').mcp_server_url;
    if (!raw || !URL.canParse(raw)) continue;
    const url = new URL(raw);
    if (url.protocol !== target.protocol || url.hostname.toLowerCase() !== target.hostname.toLowerCase()) continue;
    if ((url.port || defaultPort(url.protocol)) !== (target.port || defaultPort(target.protocol)) || !pathMatches(url.pathname, target.pathname)) continue;
    if (!best || url.pathname.length > best.length) best = { row, length: url.pathname.length };
  }
  return best?.row;
}

function hostListed(allowed: string[], host: string): boolean {
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern;
  });
}

export class VaultMcpAccess implements McpAccessProvider {
  private readonly dispatcher: Agent;
  /** One refresh per credential at a time in this process (a rotated refresh token is single-use). */
  private readonly refreshing = new Map<string, Promise<RefreshOutcome>>();

  /** Largest body read of one response (see cappedResponse). */
  private readonly maxResponseBytes: number;

  /** `maxResultBytes`: MCP_MAX_RESULT_BYTES; a response may be a few times that (JSON escaping, framing), no more. */
  constructor(private readonly deps: { store: Store; refresher: OAuthRefresher; policy: EgressPolicy; ca?: string[]; maxResultBytes?: number }) {
    this.maxResponseBytes = 4 * (deps.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES) + 1024 * 1024;
    const lookup = (hostname: string, options: { all?: boolean }, callback: (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void) => {
      deps.policy.resolve(hostname).then(
        (d) => (options.all ? callback(null, [{ address: d.address, family: d.family }]) : callback(null, d.address, d.family)),
        (err: Error) => callback(err, []),
      );
    };
    this.dispatcher = new Agent({ connect: { lookup: lookup as unknown as LookupFunction, ...(deps.ca ? { ca: deps.ca } : {}) } });
  }

  open(scope: McpScope, server: McpServerRef): McpTransportAccess {
    let problem: string | undefined;
    const serverUrl = new URL(server.url);
    const fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
      const url = new URL(String(input));
      await this.checkDestination(scope, server, url);
      // Credentials go only to the server's own origin (an SSE endpoint elsewhere gets none).
      const auth: Authorization = url.origin === serverUrl.origin ? await this.authorize(scope, url) : { kind: 'none', vaultIds: [] };
      const send = (token: string | undefined) => {
        const headers = new Headers(init?.headers);
        headers.delete('authorization');
        if (token) headers.set('authorization', `Bearer ${token}`);
        return undiciFetch(url, { ...(init as UndiciRequestInit), headers: headers as UndiciRequestInit['headers'], redirect: 'manual', dispatcher: this.dispatcher }) as unknown as Promise<Response>;
      };
      let token = auth.kind === 'credential' ? auth.token : undefined;
      let response = await send(token);
      let refreshFailure = auth.kind === 'credential' ? auth.refreshFailure : undefined;
      if (response.status === 401 && auth.kind === 'credential' && auth.row.auth_type === 'mcp_oauth' && !auth.refreshFailure) {
        const outcome = await this.refresh(auth.row);
        if (outcome.status === 'succeeded') {
          await response.body?.cancel().catch(() => undefined);
          token = outcome.accessToken;
          response = await send(token);
        } else {
          refreshFailure = describeRefresh(outcome);
        }
      }
      problem = response.status === 401 || response.status === 403 ? describeRefusal401(server, response.status, auth, refreshFailure) : undefined;
      return cappedResponse(response, this.maxResponseBytes, server);
    };
    return { fetch, authProblem: () => problem };
  }

  /** Refuses private destinations (unless allowed) and hosts a limited environment does not list. */
  private async checkDestination(scope: McpScope, server: McpServerRef, url: URL): Promise<void> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BlockedDestinationError(`Refused to connect to ${url.href}: only http and https MCP servers are supported.`);
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    // Node skips the lookup for IP literals, so those are checked here.
    if (net.isIP(host) && !this.deps.policy.allows(host, host)) {
      throw new BlockedDestinationError(`Refused to connect to ${host}: it is ${describeRefusal(classifyAddress(host))}. An operator can allow it with VAULT_ALLOWED_PRIVATE_HOSTS.`);
    }
    const bound = await this.deps.store.vaults.credentialsForSession(scope.sessionId);
    const networking = sandboxNetworkingFor(bound?.environmentConfig ? { config: bound.environmentConfig } : undefined);
    if (networking?.type === 'limited' && !networking.allow_mcp_servers && !hostListed(networking.allowed_hosts, host)) {
      throw new BlockedDestinationError(`Refused to connect to MCP server "${server.name}" at ${host}: the session's environment has limited networking; set networking.allow_mcp_servers to true or list ${host} in allowed_hosts.`);
    }
  }

  private async authorize(scope: McpScope, url: URL): Promise<Authorization> {
    const bound = await this.deps.store.vaults.credentialsForSession(scope.sessionId);
    if (!bound || bound.tenantId !== scope.tenantId) return { kind: 'none', vaultIds: [] };
    const row = matchMcpCredential(bound.credentials, url);
    if (!row) return { kind: 'none', vaultIds: await this.vaultIds(scope) };
    const { auth, secret } = this.deps.refresher.open(row);
    if (auth.type === 'static_bearer') return { kind: 'credential', row, token: secret.token };
    if (this.deps.refresher.isExpired(auth, Date.now()) && auth.refresh) {
      const outcome = await this.refresh(row);
      if (outcome.status === 'succeeded') return { kind: 'credential', row, token: outcome.accessToken };
      return { kind: 'credential', row, token: secret.access_token, refreshFailure: describeRefresh(outcome) };
    }
    return { kind: 'credential', row, token: secret.access_token };
  }

  private async vaultIds(scope: McpScope): Promise<string[]> {
    const session = await this.deps.store.sessions.find(scope.tenantId, scope.sessionId);
    return session ? parseJson<string[]>(session.vault_ids, 'sessions.vault_ids') : [];
  }

  /** Refreshes once per credential at a time; a caller that waited uses the token just stored. */
  private async refresh(row: VaultCredentialTable): Promise<RefreshOutcome> {
    const running = this.refreshing.get(row.id);
    if (running) return running;
    const attempt = (async () => {
      // Another process (or an earlier refresh here) may have rotated it meanwhile: use the stored row.
      const current = (await this.deps.store.vaults.findCredential(row.tenant_id, row.vault_id, row.id)) ?? row;
      if (current.secret !== row.secret) {
        const { auth, secret } = this.deps.refresher.open(current);
        if (secret.access_token && !this.deps.refresher.isExpired(auth, Date.now())) return { status: 'succeeded', accessToken: secret.access_token } as const;
      }
      return this.deps.refresher.refresh(current);
    })();
    this.refreshing.set(row.id, attempt);
    try {
      return await attempt;
    } finally {
      this.refreshing.delete(row.id);
    }
  }
}

const DEFAULT_MAX_RESULT_BYTES = 1024 * 1024;

/**
 * The response with its body cut off past `limit` bytes: the MCP SDK reads a JSON answer whole,
 * and an MCP server is the tenant's to choose, so without a bound one endless or huge answer
 * would fill this process's memory (every tenant's server) before the result size check. Past the
 * limit the body errors with a readable message and the connection is dropped. Trade-off: the
 * bound is per response, so a Streamable HTTP GET stream that carries more than it over its life
 * ends too (the connection is then reopened at the next use).
 */
function cappedResponse(response: Response, limit: number, server: McpServerRef): Response {
  if (!response.body || [101, 204, 205, 304].includes(response.status)) return response;
  let seen = 0;
  const body = response.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) controller.error(new Error(`MCP server "${server.name}" (${server.url}) sent more than ${limit} bytes in one response; the answer was cut off (MCP_MAX_RESULT_BYTES bounds what a tool may return)`));
      else controller.enqueue(chunk);
    },
  }));
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

function describeRefresh(outcome: RefreshOutcome): string {
  switch (outcome.status) {
    case 'no_refresh_token': return 'it has no refresh configuration, so it cannot be refreshed';
    case 'connect_error': return `refreshing it failed: the token endpoint could not be reached (${outcome.reason})`;
    case 'failed': return `refreshing it failed: the token endpoint answered HTTP ${outcome.response.status}`;
    default: return 'refreshing it failed';
  }
}

function describeRefusal401(server: McpServerRef, status: number, auth: Authorization, refreshFailure: string | undefined): string {
  const head = `MCP server "${server.name}" (${server.url}) refused the request (HTTP ${status}).`;
  if (auth.kind === 'none') {
    if (auth.vaultIds.length === 0) {
      return `${head} The session has no vaults, so no credential was sent. Create the session with "vault_ids" naming a vault that holds a static_bearer or mcp_oauth credential with mcp_server_url "${server.url}".`;
    }
    return `${head} None of the session's vaults (${auth.vaultIds.join(', ')}) holds a live credential for it: add a static_bearer or mcp_oauth credential with mcp_server_url "${server.url}" to one of them.`;
  }
  const which = `credential ${auth.row.id} (${auth.row.auth_type}) in vault ${auth.row.vault_id}`;
  return `${head} It rejected ${which}${refreshFailure ? `, and ${refreshFailure}` : ''}. Update the credential's token.`;
}
