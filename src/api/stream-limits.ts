/**
 * Caps on open SSE streams per credential (API key, Console user), per tenant and per server, so one
 * caller cannot hold every descriptor the process has (issue #24, finding 2: one key opened ~20,000
 * streams and /health failed). Counts are per process: each instance enforces its own caps.
 */
import { RateLimitError } from '../errors.ts';
import type { Principal } from '../auth/principal.ts';

export interface StreamCaps {
  perCredential: number;
  perTenant: number;
  perServer: number;
}

/** How long a refused client should wait before trying again (seconds). */
const RETRY_AFTER_SECONDS = 5;

export class StreamLimiter {
  private readonly byCredential = new Map<string, number>();
  private readonly byTenant = new Map<string, number>();
  private total = 0;

  constructor(private readonly caps: StreamCaps) {}

  /**
   * Takes one slot for a stream of `principal`; the returned function gives it back (idempotent).
   * Throws RateLimitError (429, retry-after) when a cap is reached; nothing is taken then.
   */
  acquire(principal: Principal): () => void {
    const credential = principal.apiKeyId ?? (principal.userId ? `user:${principal.userId}` : `tenant:${principal.tenantId}`);
    const tenant = principal.tenantId;
    const refuse = (what: string, cap: number, name: string) =>
      new RateLimitError(`too many open event streams ${what} (${cap}, ${name}); close some streams or raise ${name}`, RETRY_AFTER_SECONDS);
    if (this.total >= this.caps.perServer) throw refuse('on this server', this.caps.perServer, 'SSE_MAX_STREAMS');
    if ((this.byTenant.get(tenant) ?? 0) >= this.caps.perTenant) throw refuse('for this tenant', this.caps.perTenant, 'SSE_MAX_STREAMS_PER_TENANT');
    if ((this.byCredential.get(credential) ?? 0) >= this.caps.perCredential) throw refuse('for this API key or user', this.caps.perCredential, 'SSE_MAX_STREAMS_PER_KEY');
    this.total++;
    bump(this.byTenant, tenant, 1);
    bump(this.byCredential, credential, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      bump(this.byTenant, tenant, -1);
      bump(this.byCredential, credential, -1);
    };
  }

  /** Streams open right now (for tests and health views). */
  get open(): number {
    return this.total;
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}
