/**
 * The one adapter over @modelcontextprotocol/sdk: a client connection to one MCP server for one
 * session. Connects with Streamable HTTP and falls back to the legacy SSE transport when the server
 * refuses the Streamable POST with a 4xx other than 401/403; lists tools following `nextCursor`
 * (cached for the connection's life); calls tools with a timeout and the step's abort signal. Every
 * request goes through the access's `fetch` (destination policy, credentials). Failures are thrown
 * as McpFailure with a readable message and a kind the harness maps to events.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerRef, McpTransportAccess } from './mcp-port.ts';
import type { McpCallResult } from './mcp-content.ts';

// The failure type and tool shape live apart from the SDK so that callers can name them without
// loading it (mcp-sessions.ts imports this file only when a session first connects).
import { McpFailure, type McpFailureKind, type McpToolInfo } from './mcp-failure.ts';
export { McpFailure, type McpFailureKind, type McpToolInfo };

const CLOSE_TIMEOUT_MS = 2_000;

/** Tools listed per connection at most (a misbehaving server paging forever). */
const MAX_TOOL_PAGES = 50;

function statusOf(err: unknown): number | undefined {
  if (err instanceof StreamableHTTPError || err instanceof SseError) return typeof err.code === 'number' ? err.code : undefined;
  if (err instanceof UnauthorizedError) return 401;
  return undefined;
}

function causeText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) parts.push(e.message);
  return parts.join(': ') || String(err);
}

export class McpConnection {
  private tools: McpToolInfo[] | undefined;
  private closed = false;
  /** Set when the transport failed or closed: the pool opens a new connection next time. */
  broken = false;

  private constructor(
    private readonly server: McpServerRef,
    private readonly access: McpTransportAccess,
    private readonly client: Client,
    private readonly transport: Transport,
  ) {
    transport.onclose = () => {
      this.broken = true;
    };
  }

  get label(): string {
    return `MCP server "${this.server.name}" (${this.server.url})`;
  }

  static async open(server: McpServerRef, access: McpTransportAccess, timeoutMs: number): Promise<McpConnection> {
    const url = new URL(server.url);
    const label = `MCP server "${server.name}" (${server.url})`;
    const attempt = async (transport: Transport): Promise<McpConnection> => {
      const client = new Client({ name: 'open-managed-agents', version: '1' }, { capabilities: {} });
      try {
        await client.connect(transport, { timeout: timeoutMs });
      } catch (err) {
        await client.close().catch(() => undefined);
        throw err;
      }
      return new McpConnection(server, access, client, transport);
    };
    try {
      return await attempt(new StreamableHTTPClientTransport(url, { fetch: access.fetch }));
    } catch (err) {
      const status = statusOf(err);
      if (status === undefined || status < 400 || status >= 500 || status === 401 || status === 403) throw McpConnection.failure(err, label, access, 'connecting');
    }
    try {
      return await attempt(new SSEClientTransport(url, { fetch: access.fetch, eventSourceInit: { fetch: access.fetch } }));
    } catch (err) {
      throw McpConnection.failure(err, label, access, 'connecting (Streamable HTTP, then SSE)');
    }
  }

  private static failure(err: unknown, label: string, access: McpTransportAccess, doing: string): McpFailure {
    if (err instanceof McpFailure) return err;
    const status = statusOf(err);
    if (status === 401 || status === 403) return new McpFailure('authentication', access.authProblem() ?? `${label} refused the request (HTTP ${status}) while ${doing}.`);
    if (err instanceof McpError && err.code === (ErrorCode.RequestTimeout as number)) return new McpFailure('timeout', `${label} did not answer in time while ${doing}.`);
    if (err instanceof McpError) return new McpFailure('protocol', `${label} answered with an error while ${doing}: ${err.message}`);
    if ((err as { name?: string }).name === 'AbortError') return new McpFailure('aborted', `${label}: stopped while ${doing}.`);
    return new McpFailure('connection', `${label} could not be reached while ${doing}: ${causeText(err)}`);
  }

  /** The server's tools, every page (cached: listed once per connection). */
  async listTools(timeoutMs: number): Promise<McpToolInfo[]> {
    if (this.tools) return this.tools;
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MAX_TOOL_PAGES; page++) {
        const result = await this.client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
        for (const t of result.tools) tools.push({ name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: t.inputSchema as Record<string, unknown> });
        cursor = result.nextCursor;
        if (!cursor) break;
      }
    } catch (err) {
      this.noteTransportFailure(err);
      throw McpConnection.failure(err, this.label, this.access, 'listing its tools');
    }
    this.tools = tools;
    return tools;
  }

  async callTool(name: string, input: unknown, options: { timeoutMs: number; signal: AbortSignal }): Promise<McpCallResult> {
    const args = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
    try {
      return (await this.client.callTool({ name, arguments: args }, undefined, { timeout: options.timeoutMs, maxTotalTimeout: options.timeoutMs, signal: options.signal })) as McpCallResult;
    } catch (err) {
      if (options.signal.aborted) throw new McpFailure('aborted', `${this.label}: the call of "${name}" was stopped.`);
      this.noteTransportFailure(err);
      if (err instanceof McpError && err.code === (ErrorCode.RequestTimeout as number)) {
        throw new McpFailure('timeout', `${this.label} did not answer the call of "${name}" within ${Math.round(options.timeoutMs / 1000)} s (MCP_CALL_TIMEOUT_MS); it may still be running there.`);
      }
      throw McpConnection.failure(err, this.label, this.access, `calling "${name}"`);
    }
  }

  private noteTransportFailure(err: unknown): void {
    // A JSON-RPC error or a timeout leaves the connection usable; anything else (the server went
    // away, HTTP errors, a broken stream) does not.
    if (!(err instanceof McpError)) this.broken = true;
  }

  /** Ends the MCP session on the server (Streamable HTTP DELETE) and closes the transport. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.transport instanceof StreamableHTTPClientTransport && !this.broken) {
      // Bounded: a server that stopped answering must not hold up the session's end.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
      await Promise.race([this.transport.terminateSession().catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    await this.client.close().catch(() => undefined);
  }
}
