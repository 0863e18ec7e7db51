/**
 * Which credentials a request gets, and the rewritten headers and body. Pure. Rules:
 * - Only over HTTPS (the caller verifies the upstream certificate).
 * - `static_bearer` / `mcp_oauth`: the credential's URL must have the same scheme, host and port as
 *   the request, and the request path must start with the URL's path (whole segments); the longest
 *   matching path wins. Its token replaces any `Authorization` header the sandbox sent.
 * - `environment_variable`: the placeholder the sandbox sees is replaced by the secret in header
 *   values and/or the body (per `injection_location`) on hosts its `networking` allows.
 */
import type { CredentialAuth } from '../../api/schemas/vaults.ts';
import type { CredentialSecret } from '../credential-auth.ts';

export interface OpenedCredential {
  id: string;
  auth: CredentialAuth;
  secret: CredentialSecret;
}

export interface OutboundRequest {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Path without the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** The value a sandbox sees in place of an environment_variable credential's secret. */
export function placeholderFor(credentialId: string): string {
  return `oma-vault-placeholder-${credentialId}`;
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

function pathMatches(prefix: string, path: string): boolean {
  if (prefix === '' || prefix === '/') return true;
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === base || path.startsWith(`${base}/`);
}

/** The bearer credential for this destination, if one matches (longest path first). */
export function matchBearer(credentials: OpenedCredential[], request: OutboundRequest): OpenedCredential | undefined {
  if (request.scheme !== 'https') return undefined;
  let best: { credential: OpenedCredential; length: number } | undefined;
  for (const credential of credentials) {
    if (credential.auth.type === 'environment_variable' || !credential.auth.mcp_server_url) continue;
    const url = new URL(credential.auth.mcp_server_url);
    if (url.protocol !== 'https:' || url.hostname.toLowerCase() !== request.host) continue;
    if (Number(url.port || defaultPort(url.protocol)) !== request.port || !pathMatches(url.pathname, request.path)) continue;
    if (!best || url.pathname.length > best.length) best = { credential, length: url.pathname.length };
  }
  return best?.credential;
}

/** Whether an environment_variable credential may be substituted on `host`. */
export function hostAllowed(auth: CredentialAuth, host: string): boolean {
  const networking = auth.networking;
  if (!networking) return false;
  if (networking.type === 'unrestricted') return true;
  return (networking.allowed_hosts ?? []).some((entry) => {
    const pattern = entry.toLowerCase();
    return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern;
  });
}

export interface Injection {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  credentialIds: string[];
}

/**
 * Applies the matching credentials. `bearerToken` is the bearer credential's current token (the
 * caller refreshes an expired OAuth token first).
 */
export function inject(request: OutboundRequest, bearer: { credential: OpenedCredential; token: string } | undefined, credentials: OpenedCredential[]): Injection {
  const headers = { ...request.headers };
  let body = request.body;
  const credentialIds: string[] = [];
  if (request.scheme !== 'https') return { headers, body, credentialIds };
  for (const credential of credentials) {
    const { auth, secret } = credential;
    if (auth.type !== 'environment_variable' || !secret.secret_value || !hostAllowed(auth, request.host)) continue;
    const placeholder = placeholderFor(credential.id);
    let used = false;
    if (auth.injection_location?.header) {
      for (const [name, value] of Object.entries(headers)) {
        const replaced = replaceIn(value, placeholder, secret.secret_value);
        if (replaced !== value) {
          headers[name] = replaced;
          used = true;
        }
      }
    }
    if (auth.injection_location?.body) {
      const text = body.toString('latin1');
      if (text.includes(placeholder)) {
        body = Buffer.from(text.split(placeholder).join(Buffer.from(secret.secret_value, 'utf8').toString('latin1')), 'latin1');
        used = true;
      }
    }
    if (used) credentialIds.push(credential.id);
  }
  if (bearer) {
    // Replaced, never merged: whatever Authorization the sandbox sent is dropped.
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
    headers.authorization = `Bearer ${bearer.token}`;
    credentialIds.unshift(bearer.credential.id);
  }
  return { headers, body, credentialIds };
}

function replaceIn(value: string | string[] | undefined, placeholder: string, secret: string): string | string[] | undefined {
  if (value === undefined) return value;
  if (Array.isArray(value)) return value.some((v) => v.includes(placeholder)) ? value.map((v) => v.split(placeholder).join(secret)) : value;
  return value.includes(placeholder) ? value.split(placeholder).join(secret) : value;
}
