/**
 * oma-vault: the HTTPS-intercepting forward proxy sandboxes send their traffic through. mockttp
 * terminates TLS with leaf certificates minted by our CA for the host the client asked for, and
 * hands each request to `handle`, which authenticates the per-session token, resolves and checks the
 * destination, injects the session's credentials and forwards the request itself (to the checked
 * address). Nothing is cached: a revoked, archived or deleted credential, vault or session stops
 * being used on the next request. Secrets never reach a log line, an audit entry or an error body.
 */
import { chmodSync, rmSync } from 'node:fs';
import { getLocal, type CompletedRequest, type Mockttp } from 'mockttp';
import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import type { VaultCredentialTable } from '../../store/schema.ts';
import type { VaultConfig } from '../../config/schema.ts';
import type { SecretBox } from '../secret-box.ts';
import { EgressPolicy } from '../egress-policy.ts';
import { VaultHttp } from '../vault-http.ts';
import { OAuthRefresher } from '../oauth-refresh.ts';
import { BlockedDestinationError } from '../../net/guarded-lookup.ts';
import { AuditLog, type AuditEntry } from './audit-log.ts';
import { loadOrCreateProxyCa } from './proxy-ca.ts';
import { ProxyTokens, tokenFromProxyAuthorization, tokenFromTags } from './proxy-token.ts';
import { ProxyFront, type FrontDecision } from './proxy-front.ts';
import { inject, matchBearer, type OpenedCredential, type OutboundRequest } from './injection.ts';
import { sendUpstream } from './upstream.ts';
import { hostRefusal } from './host-allowlist.ts';

export interface EgressProxyOptions {
  store: Store;
  secretBox: SecretBox;
  rootSecret: string;
  config: VaultConfig;
  logger: Logger;
}

interface Reply {
  statusCode: number;
  headers: Record<string, string | string[]>;
  rawBody: Buffer;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

function textReply(statusCode: number, message: string, headers: Record<string, string> = {}): Reply {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-oma-vault': 'refused', ...headers }, rawBody: Buffer.from(`oma-vault: ${message}\n`) };
}

export class EgressProxy {
  readonly tokens: ProxyTokens;
  private readonly policy: EgressPolicy;
  private readonly http: VaultHttp;
  private readonly refresher: OAuthRefresher;
  private readonly audit: AuditLog;

  private front: ProxyFront | undefined;
  private socketFront: ProxyFront | undefined;
  private listenPort = 0;

  private constructor(
    private readonly server: Mockttp,
    readonly caCertPath: string,
    private readonly options: EgressProxyOptions,
  ) {
    this.tokens = new ProxyTokens(options.rootSecret);
    this.policy = new EgressPolicy(options.config.allowedPrivateHosts);
    this.http = new VaultHttp({ policy: this.policy, upstreamCaFile: options.config.upstreamCaFile });
    this.refresher = new OAuthRefresher({ store: options.store, secretBox: options.secretBox, http: this.http });
    this.audit = new AuditLog({ path: options.config.auditLogPath, logger: options.logger });
  }

  /** Starts the proxy on `config.listenPort` (0: any free port); creates the CA on first boot. */
  static async start(options: EgressProxyOptions): Promise<EgressProxy> {
    const ca = await loadOrCreateProxyCa(options.config.caDir);
    const server = getLocal({ https: { cert: ca.cert, key: ca.key }, maxBodySize: MAX_BODY_BYTES, cors: false, recordTraffic: false });
    const proxy = new EgressProxy(server, ca.certPath, options);
    await server.forAnyRequest().thenCallback((req) => proxy.handle(req));
    await server.start();
    proxy.front = new ProxyFront({ innerPort: server.port, decide: (auth, target) => proxy.decideConnect(auth, target) });
    proxy.listenPort = await proxy.front.listen({ host: options.config.listenHost, port: options.config.listenPort });
    // A socket left by a process that died is in the way; only root (the bwrap forwarders) connects.
    rmSync(options.config.socketPath, { force: true });
    proxy.socketFront = new ProxyFront({ innerPort: server.port, decide: (auth, target) => proxy.decideConnect(auth, target) });
    await proxy.socketFront.listen({ path: options.config.socketPath });
    chmodSync(options.config.socketPath, 0o600);
    return proxy;
  }

  /** The unix socket bwrap sandboxes reach the proxy through. */
  get socketPath(): string {
    return this.options.config.socketPath;
  }

  /** The public (front) port sandboxes connect to. */
  get port(): number {
    return this.listenPort;
  }

  async stop(): Promise<void> {
    await this.front?.close();
    await this.socketFront?.close();
    await this.server.stop();
  }

  /** CONNECT-time checks: a valid token of a live session (else 407), an allowed destination (else 403). */
  private async decideConnect(proxyAuthorization: string | undefined, target: { host: string; port: number }): Promise<FrontDecision> {
    const base: AuditEntry = { decision: 'deny', method: 'CONNECT', scheme: 'https', host: target.host, port: target.port, path: '' };
    const sessionId = this.tokens.verify(tokenFromProxyAuthorization(proxyAuthorization));
    const bound = sessionId === undefined ? undefined : await this.options.store.vaults.credentialsForSession(sessionId);
    if (!sessionId || !bound) {
      this.audit.record({ ...base, reason: sessionId ? 'unknown or archived session' : 'missing or invalid proxy token', session: sessionId, status: 407 });
      return { status: 407, message: 'proxy authentication required: use the proxy URL this session was given (HTTPS_PROXY)' };
    }
    const notAllowed = hostRefusal(bound.environmentConfig, target.host);
    if (notAllowed) {
      this.audit.record({ ...base, session: sessionId, tenant: bound.tenantId, reason: 'host not in allowed_hosts', status: 403 });
      return { status: 403, message: notAllowed };
    }
    try {
      await this.policy.resolve(target.host);
      return { status: 200 };
    } catch (err) {
      const refused = err instanceof BlockedDestinationError;
      this.audit.record({ ...base, session: sessionId, tenant: bound.tenantId, reason: refused ? 'private destination' : 'destination does not resolve', status: refused ? 403 : 502 });
      return { status: refused ? 403 : 502, message: refused ? (err as Error).message : `could not resolve ${target.host}` };
    }
  }

  private async handle(req: CompletedRequest): Promise<Reply> {
    const url = new URL(req.url);
    const scheme = url.protocol === 'https:' ? 'https' : 'http';
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const port = Number(url.port || (scheme === 'https' ? 443 : 80));
    const base: AuditEntry = { decision: 'deny', method: req.method, scheme, host, port, path: url.pathname };
    const sessionId = this.tokens.verify(tokenFromTags(req.tags));
    const bound = sessionId === undefined ? undefined : await this.options.store.vaults.credentialsForSession(sessionId);
    if (!sessionId || !bound) {
      this.audit.record({ ...base, reason: sessionId ? 'unknown or archived session' : 'missing or invalid proxy token', session: sessionId, status: 407 });
      return textReply(407, 'proxy authentication required: use the proxy URL this session was given (HTTPS_PROXY)', { 'proxy-authenticate': 'Basic realm="oma-vault"' });
    }
    const who = { session: sessionId, tenant: bound.tenantId };
    const notAllowed = hostRefusal(bound.environmentConfig, host);
    if (notAllowed) {
      this.audit.record({ ...base, ...who, reason: 'host not in allowed_hosts', status: 403 });
      return textReply(403, notAllowed);
    }
    let destination;
    try {
      destination = await this.policy.resolve(host);
    } catch (err) {
      const refused = err instanceof BlockedDestinationError;
      this.audit.record({ ...base, ...who, reason: refused ? 'private destination' : 'destination does not resolve', status: refused ? 403 : 502 });
      return textReply(refused ? 403 : 502, refused ? (err as Error).message : `could not resolve ${host}`);
    }
    const request: OutboundRequest = { scheme, host, port, path: url.pathname, headers: { ...req.headers }, body: req.body.buffer };
    const credentials = this.openAll(bound.credentials);
    const bearer = matchBearer(credentials, request);
    const token = bearer ? await this.bearerToken(bearer, bound.credentials) : undefined;
    const injected = inject(request, bearer && token ? { credential: bearer, token } : undefined, credentials);
    const decision = injected.credentialIds.length > 0 ? 'inject' : 'allow';
    try {
      const response = await sendUpstream(
        { scheme, destination, port, method: req.method, pathAndQuery: `${url.pathname}${url.search}`, headers: injected.headers, body: injected.body },
        { ca: this.http.trustedCa, timeoutMs: 120_000 },
      );
      this.audit.record({ ...base, ...who, decision, credential_ids: injected.credentialIds, status: response.statusCode });
      response.headers['content-length'] = String(response.body.length);
      return { statusCode: response.statusCode, headers: response.headers, rawBody: response.body };
    } catch (err) {
      this.audit.record({ ...base, ...who, reason: 'upstream failed', credential_ids: injected.credentialIds, status: 502 });
      this.options.logger.debug({ err: { message: (err as Error).message }, host }, 'vault proxy upstream failed');
      return textReply(502, `could not reach ${host}:${port}: ${(err as Error).message}`);
    }
  }

  /** Opens the session's credentials; one that does not open is skipped (and logged without its value). */
  private openAll(rows: VaultCredentialTable[]): OpenedCredential[] {
    const opened: OpenedCredential[] = [];
    for (const row of rows) {
      try {
        const { auth, secret } = this.refresher.open(row);
        opened.push({ id: row.id, auth, secret });
      } catch (err) {
        this.options.logger.error({ credential: row.id, err: { message: (err as Error).message } }, 'vault credential does not open; not injected');
      }
    }
    return opened;
  }

  /** The bearer credential's token; an expired OAuth access token is refreshed (and stored) first. */
  private async bearerToken(credential: OpenedCredential, rows: VaultCredentialTable[]): Promise<string | undefined> {
    if (credential.auth.type === 'static_bearer') return credential.secret.token;
    if (!this.refresher.isExpired(credential.auth, Date.now())) return credential.secret.access_token;
    const row = rows.find((r) => r.id === credential.id);
    if (!row) return credential.secret.access_token;
    const outcome = await this.refresher.refresh(row);
    if (outcome.status === 'succeeded') return outcome.accessToken;
    this.options.logger.warn({ credential: credential.id, refresh: outcome.status }, 'vault credential refresh failed; the expired access token is sent');
    return credential.secret.access_token;
  }
}
