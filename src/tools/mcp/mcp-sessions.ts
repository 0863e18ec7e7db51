/**
 * The MCP connections of the sessions this process runs: per session and server at most one
 * connection, opened when a step first needs that server's tools, reused (with its tool list) by
 * every later model request and call of the session, and closed when the session's worker stops
 * (the session idles, ends, is stopped, or the process shuts down). After a restart the next step
 * simply connects again. A connection that broke is dropped and reopened on next use.
 */
import type { Logger } from 'pino';
import type { ToolResult } from '../tool.ts';
import type { McpConnection } from './mcp-client.ts';
import { McpFailure, type McpFailureKind, type McpToolInfo } from './mcp-failure.ts';
import { toToolResult } from './mcp-content.ts';
import type { McpAccessProvider, McpLimits, McpScope, McpServerRef } from './mcp-port.ts';

export interface McpListedTool {
  server: string;
  tool: McpToolInfo;
}

export interface McpServerFailure {
  server: string;
  kind: McpFailureKind;
  message: string;
}

/** After a server failed to connect or list, later model requests of the run skip it this long. */
const RETRY_AFTER_MS = 30_000;

interface SessionConnections {
  connections: Map<string, Promise<McpConnection>>;
  /** When a server last failed to connect or list (so an unreachable one does not delay every model request). */
  failedAt: Map<string, number>;
  /** Servers whose failure was already reported in this run (reported once until they work again). */
  reported: Set<string>;
}

export class McpSessions {
  private readonly sessions = new Map<string, SessionConnections>();

  constructor(private readonly options: { access: McpAccessProvider; limits: McpLimits; logger: Logger }) {}

  private entry(sessionId: string): SessionConnections {
    let entry = this.sessions.get(sessionId);
    if (!entry) {
      entry = { connections: new Map(), failedAt: new Map(), reported: new Set() };
      this.sessions.set(sessionId, entry);
    }
    return entry;
  }

  private async connection(scope: McpScope, server: McpServerRef): Promise<McpConnection> {
    const entry = this.entry(scope.sessionId);
    const existing = entry.connections.get(server.name);
    if (existing) {
      const connection = await existing.catch(() => undefined);
      if (connection && !connection.broken) return connection;
      entry.connections.delete(server.name);
      void connection?.close();
    }
    // The MCP SDK (~25 MB resident) is loaded by the first connection, not at boot.
    const access = this.options.access.open(scope, server);
    const opening = import('./mcp-client.ts').then(({ McpConnection }) => McpConnection.open(server, access, this.options.limits.connectTimeoutMs));
    entry.connections.set(server.name, opening);
    try {
      const connection = await opening;
      this.options.logger.debug({ sessionId: scope.sessionId, mcpServer: server.name }, 'MCP server connected');
      return connection;
    } catch (err) {
      if (entry.connections.get(server.name) === opening) entry.connections.delete(server.name);
      throw err;
    }
  }

  /**
   * The tools of each server, connecting where needed. A server that fails is left out and
   * returned among `failures` — only the first time in a row for that server in this session, so
   * each model request of a turn does not report it again — and is not tried again for
   * RETRY_AFTER_MS within the run (the next turn, a fresh run, tries at once).
   */
  async listTools(scope: McpScope, servers: McpServerRef[]): Promise<{ tools: McpListedTool[]; failures: McpServerFailure[] }> {
    const entry = this.entry(scope.sessionId);
    const results = await Promise.all(servers.map(async (server) => {
      const failedAt = entry.failedAt.get(server.name);
      if (failedAt !== undefined && Date.now() - failedAt < RETRY_AFTER_MS) return { tools: [], failure: undefined };
      try {
        const connection = await this.connection(scope, server);
        const tools = await connection.listTools(this.options.limits.connectTimeoutMs);
        entry.reported.delete(server.name);
        entry.failedAt.delete(server.name);
        return { tools: tools.map((tool) => ({ server: server.name, tool })), failure: undefined };
      } catch (err) {
        const failure = err instanceof McpFailure ? err : new McpFailure('connection', `MCP server "${server.name}" (${server.url}): ${(err as Error).message}`);
        this.options.logger.warn({ sessionId: scope.sessionId, mcpServer: server.name, kind: failure.kind }, failure.message);
        entry.failedAt.set(server.name, Date.now());
        if (entry.reported.has(server.name)) return { tools: [], failure: undefined };
        entry.reported.add(server.name);
        return { tools: [], failure: { server: server.name, kind: failure.kind, message: failure.message } };
      }
    }));
    return { tools: results.flatMap((r) => r.tools), failures: results.flatMap((r) => (r.failure ? [r.failure] : [])) };
  }

  /** Calls a tool; every failure (down, timeout, refused, protocol, oversized) is an error result. */
  async call(scope: McpScope, server: McpServerRef, call: { name: string; input: unknown; signal: AbortSignal }): Promise<ToolResult> {
    const { name, input, signal } = call;
    const label = `MCP tool "${name}" of server "${server.name}"`;
    try {
      const connection = await this.connection(scope, server);
      const result = await connection.callTool(name, input, { timeoutMs: this.options.limits.callTimeoutMs, signal });
      return toToolResult(result, label, this.options.limits.maxResultBytes);
    } catch (err) {
      const message = err instanceof McpFailure ? err.message : `${label} failed: ${(err as Error).message}`;
      this.options.logger.warn({ sessionId: scope.sessionId, mcpServer: server.name, tool: name }, message);
      return { isError: true, content: [{ type: 'text', text: message }] };
    }
  }

  /** Closes the session's connections (its worker stopped). */
  async close(sessionId: string): Promise<void> {
    const entry = this.sessions.get(sessionId);
    if (!entry) return;
    this.sessions.delete(sessionId);
    await Promise.allSettled([...entry.connections.values()].map(async (opening) => (await opening).close()));
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.sessions.keys()].map((id) => this.close(id)));
  }
}
