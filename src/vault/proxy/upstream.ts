/**
 * Sends one proxied request upstream: to the address the egress policy checked (never a fresh DNS
 * answer), with SNI and certificate verification for the host name the client asked for (system
 * roots plus VAULT_UPSTREAM_CA_FILE). Hop-by-hop headers are dropped both ways. Bodies are buffered:
 * the proxy is for API traffic, not for streaming downloads.
 */
import http from 'node:http';
import https from 'node:https';
import type { ResolvedDestination } from '../egress-policy.ts';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export interface UpstreamRequest {
  scheme: 'http' | 'https';
  destination: ResolvedDestination;
  port: number;
  method: string;
  /** Path and query as the client sent them. */
  pathAndQuery: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

function withoutHopByHop(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  return out;
}

export function sendUpstream(request: UpstreamRequest, options: { ca: string[] | undefined; timeoutMs: number }): Promise<UpstreamResponse> {
  const { destination } = request;
  const headers = withoutHopByHop(request.headers);
  for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-length') delete headers[name];
  if (request.body.length > 0 || !['GET', 'HEAD'].includes(request.method)) headers['content-length'] = String(request.body.length);
  const client = request.scheme === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        host: destination.host,
        servername: request.scheme === 'https' ? destination.host : undefined,
        port: request.port,
        method: request.method,
        path: request.pathAndQuery,
        headers,
        // The checked address (no rebinding between the policy's check and this connection).
        lookup: (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
          opts.all ? cb(null, [{ address: destination.address, family: destination.family }]) : cb(null, destination.address, destination.family),
        ca: options.ca,
        rejectUnauthorized: true,
        agent: false,
        timeout: options.timeoutMs,
      } as https.RequestOptions,
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 502, headers: withoutHopByHop(res.headers), body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response from ${destination.host} within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}
