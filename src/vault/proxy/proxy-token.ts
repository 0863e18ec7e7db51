/**
 * Per-session proxy tokens. A token is `<session id>.<HMAC of it under a key derived from
 * PLATFORM_ROOT_SECRET>`, so the server and the sidecar (which share the secret) agree on it without
 * storing anything, one session's token never authorises another, and deleting or archiving the
 * session revokes it. The token travels in the proxy URL's credentials in mockttp's metadata form
 * (user `metadata`, password = base64url JSON `{"tags":["oma-token:<token>"]}`), which mockttp hands
 * to each request as the tag `socket-metadata:oma-token:<token>`.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const TAG_PREFIX = 'oma-token:';
const REQUEST_TAG_PREFIX = `socket-metadata:${TAG_PREFIX}`;

export class ProxyTokens {
  private readonly key: Buffer;

  constructor(rootSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', rootSecret, 'oma vault proxy token v1', 'proxy-token', 32));
  }

  /** The session's token (stable for the same root secret). */
  mint(sessionId: string): string {
    return `${sessionId}.${this.mac(sessionId)}`;
  }

  /** The session id a token names when its MAC is right; undefined for anything else. */
  verify(token: string | undefined): string | undefined {
    if (!token) return undefined;
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const sessionId = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.mac(sessionId));
    return given.length === expected.length && timingSafeEqual(given, expected) ? sessionId : undefined;
  }

  /** The proxy URL a session's sandbox uses: `http://metadata:<…>@host:port`. */
  proxyUrl(sessionId: string, endpoint: { host: string; port: number }): string {
    const password = Buffer.from(JSON.stringify({ tags: [`${TAG_PREFIX}${this.mint(sessionId)}`] })).toString('base64url');
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    return `http://metadata:${password}@${host}:${endpoint.port}`;
  }

  private mac(sessionId: string): string {
    return createHmac('sha256', this.key).update(sessionId).digest('base64url');
  }
}

/** The token a request carried (from its mockttp tags), if any. */
export function tokenFromTags(tags: readonly string[]): string | undefined {
  return tags.find((tag) => tag.startsWith(REQUEST_TAG_PREFIX))?.slice(REQUEST_TAG_PREFIX.length);
}

/** The token in a `Proxy-Authorization: Basic …` header of mockttp's metadata form, if any. */
export function tokenFromProxyAuthorization(header: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  if (!decoded.startsWith('metadata:')) return undefined;
  const password = decoded.slice('metadata:'.length);
  try {
    const json = JSON.parse(password.startsWith('e') ? Buffer.from(password, 'base64url').toString('utf8') : password) as { tags?: unknown };
    const tags = Array.isArray(json.tags) ? json.tags.filter((t): t is string => typeof t === 'string') : [];
    return tags.find((tag) => tag.startsWith(TAG_PREFIX))?.slice(TAG_PREFIX.length);
  } catch {
    return undefined;
  }
}
