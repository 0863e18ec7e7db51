/** What an MCP connection reports (mcp-client.ts), importable without loading @modelcontextprotocol/sdk. */

export interface McpToolInfo {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

/**
 * `authentication`: the server refused our credentials (or their absence); `connection`: it could
 * not be reached or spoke something else; `protocol`: it answered with a JSON-RPC error;
 * `timeout`: no answer in time; `aborted`: the step's signal fired.
 */
export type McpFailureKind = 'authentication' | 'connection' | 'protocol' | 'timeout' | 'aborted';

export class McpFailure extends Error {
  constructor(readonly kind: McpFailureKind, message: string) {
    super(message);
  }
}
