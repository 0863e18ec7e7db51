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

  /** POSTs `body` to `url`; throws on a refused destination, a connection or TLS failure, or a timeout. */
  async post(url: string, request: { headers: Record<string, string>; body: string }): Promise<VaultHttpResponse> {
    const target = new URL(url);
    const { address, family } = await this.options.policy.resolve(target.hostname);
    const client = target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        target,
        {
          method: 'POST',
          headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
          // The checked address, whatever the name resolves to by now (no rebinding).
          lookup: (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => (opts.all ? cb(null, [{ address, family }]) : cb(null, address, family)),
          ca: this.ca,
          timeout: this.options.timeoutMs ?? 15_000,
        } as https.RequestOptions,
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_BODY) chunks.push(chunk.subarray(0, MAX_BODY - size));
            truncated ||= size + chunk.length > MAX_BODY;
            size += chunk.length;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), truncated }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no response from ${target.host} in time`)));
      req.on('error', reject);
      req.end(request.body);
    });
  }
}
