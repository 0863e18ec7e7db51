/**
 * What one step of a session is given (its lease, ports, signal) and the one way a step writes:
 * `append`, which fences every commit with the step's lease.
 */
import type { Logger } from 'pino';
import type { AppendOptions, EventLog } from '../events/log.ts';
import type { NewEvent, StoredEvent } from '../events/types.ts';
import type { Store } from '../store/store.ts';
import type { Tool } from '../tools/tool.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { ModelClient } from './model/model-client.ts';
import type { AgentSnapshot } from './request-builder.ts';
import type { HeldSession } from './held-session.ts';
import type { PriceLookup } from '../lib/model-prices.ts';
import type { Clock } from '../lib/clock.ts';
import type { McpSessions } from '../tools/mcp/mcp-sessions.ts';

export interface StepContext {
  tenantId: string;
  sessionId: string;
  agent: AgentSnapshot | null;
  store: Store;
  log: EventLog;
  lease: { owner: string; token: number };
  /** The session's folded log; every append below is folded into it. */
  held: HeldSession;
  /** Aborted by user.interrupt, archive, delete or shutdown. */
  signal: AbortSignal;
  /** True once the process is shutting down (SIGTERM): an aborted step then leaves the log as a crash would. */
  stopping: () => boolean;
  model: ModelClient;
  tools: Map<string, Tool>;
  sandbox: () => Promise<Sandbox>;
  retry: { maxRetries: number; baseMs: number };
  logger: Logger;
  /** The composition root's clock: every timestamp a step writes. */
  clock: Clock;
  /** Consecutive failed model requests in this run. */
  failures: { count: number };
  /** List prices per model id, for budgets (absent: nothing is priced, so budgeted sessions pause). */
  prices?: PriceLookup;
  /**
   * Commits what a mutating tool changed in the session's mounted memory stores (memory versions),
   * before the tool's result is committed; returns notices for the result. Absent without stores.
   */
  syncMemory?: () => Promise<string[]>;
  /**
   * Turns what the agent left in /mnt/session/outputs into Files of the session, run before a turn's
   * end is committed; collecting the same content twice is a no-op, so a re-run after a crash is safe.
   */
  collectOutputs?: () => Promise<void>;
  /** The server's MCP client connections (absent: MCP toolsets offer no tools). */
  mcp?: McpSessions;
}

export type StepOutcome = 'continue' | 'stop';

/** Appends events under the step's lease (LeaseLostError when it was taken over). */
export async function append(ctx: StepContext, events: NewEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
  const stored = await ctx.log.append(ctx.tenantId, ctx.sessionId, events, { ...options, lease: ctx.lease });
  ctx.held.committed(stored, options.markProcessed);
  return stored;
}

/** Usage of a model request that produced nothing (interrupted, failed). */
export function zeroUsage() {
  return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}
