/**
 * The server's own requests on a credential's behalf (OAuth token refresh, MCP validation probes):
 * one POST through the egress policy, connecting to the address that was checked, verifying the
 * upstream certificate against the system roots plus VAULT_UPSTREAM_CA_FILE. Bodies are capped.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { EgressPolicy } from './egress-policy.ts';

export interface VaultHttpResponse {
  status: number;
  contentType: string;
  body: string;
  truncated: boolean;
}

const MAX_BODY = 64 * 1024;

export class VaultHttp {
  private readonly ca: string[] | undefined;

  constructor(private readonly options: { policy: EgressPolicy; upstreamCaFile?: string; timeoutMs?: number }) {
    this.ca = options.upstreamCaFile ? [...rootCertificates, readFileSync(options.upstreamCaFile, 'utf8')] : undefined;
  }

  /** Trusted roots for upstream TLS: undefined means Node's defaults (system roots). */
  get trustedCa(): string[] | undefined {
    return this.ca;
  }

  /**
   * POSTs `body` to `url`; throws on a refused destination, a connection or TLS failure, or a timeout.
   * `timeoutMs` bounds the whole exchange (connect, headers and body), not just a silence: a
   * destination that drips bytes must not hold the caller (the webhook dispatcher, whose pass every
   * tenant's deliveries wait for, or a token refresh) forever. A body past MAX_BODY is not read on:
   * the response is returned `truncated` and the connection dropped.
   */
  async post(url: string, request: { headers: Record<string, string>; body: string }): Promise<VaultHttpResponse> {
    const target = new URL(url);
    const { address, family } = await this.options.policy.resolve(target.hostname);
    const client = target.protocol === 'https:' ? https : http;
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      let deadline: NodeJS.Timeout | undefined;
      const settle = (finish: () => void) => {
        clearTimeout(deadline);
        finish();
      };
      const req = client.request(
        target,
        {
          method: 'POST',
          headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
          // The checked address, whatever the name resolves to by now (no rebinding).
          lookup: (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => (opts.all ? cb(null, [{ address, family }]) : cb(null, address, family)),
          ca: this.ca,
          timeout: timeoutMs,
        } as https.RequestOptions,
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = (truncated: boolean) => settle(() => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), truncated }));
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_BODY) chunks.push(chunk.subarray(0, MAX_BODY - size));
            size += chunk.length;
            if (size > MAX_BODY) {
              done(true);
              req.destroy();
            }
          });
          res.on('end', () => done(false));
          res.on('error', (err) => settle(() => reject(err)));
        },
      );
      deadline = setTimeout(() => req.destroy(new Error(`no complete response from ${target.host} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      req.on('timeout', () => req.destroy(new Error(`no response from ${target.host} in time`)));
      req.on('error', (err) => settle(() => reject(err)));
      req.end(request.body);
    });
  }
}
