/**
 * The proxy's decisions, one JSON object per line in DATA_DIR/vault-audit.jsonl (0600) and at debug
 * level in the server log. An entry names the session, tenant, destination and credential ids —
 * never a header value, a body, a query string or a secret.
 */
import { appendFileSync, chmodSync, existsSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';

export interface AuditEntry {
  decision: 'allow' | 'inject' | 'deny';
  reason?: string;
  session?: string;
  tenant?: string;
  method: string;
  scheme: string;
  host: string;
  port: number;
  path: string;
  credential_ids?: string[];
  status?: number;
}

export class AuditLog {
  constructor(private readonly options: { path: string; logger: Logger }) {
    if (!existsSync(options.path)) writeFileSync(options.path, '', { mode: 0o600 });
    chmodSync(options.path, 0o600);
  }

  record(entry: AuditEntry): void {
    const line = { time: new Date().toISOString(), ...entry };
    // Synchronous append: a decision is on disk before its response leaves the proxy.
    appendFileSync(this.options.path, `${JSON.stringify(line)}\n`);
    this.options.logger.debug({ vault_audit: line }, `vault proxy ${entry.decision} ${entry.method} ${entry.scheme}://${entry.host}:${entry.port}`);
  }
}
