/**
 * What the server's MCP client needs from outside the core: for one session and one MCP server, a
 * `fetch` that reaches only allowed destinations and authorises each request from the session's
 * vaults (the token is added inside the server process, never shown to the model or the sandbox),
 * and an explanation of the last refusal that names the vault credential involved (or its absence).
 * Implemented in vault/mcp-access.ts.
 */

/** One entry of the agent's `mcp_servers`. */
export interface McpServerRef {
  name: string;
  url: string;
}

export interface McpScope {
  tenantId: string;
  sessionId: string;
}

export type McpFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

export interface McpTransportAccess {
  fetch: McpFetch;
  /**
   * Why the last request was refused (401/403), in words for the model and the user: which vault
   * credential was used and rejected, or that none of the session's vaults has one for the URL.
   */
  authProblem(): string | undefined;
}

export interface McpAccessProvider {
  open(scope: McpScope, server: McpServerRef): McpTransportAccess;
}

/** Limits of the server's MCP client (MCP_* variables). */
export interface McpLimits {
  /** Connecting (initialize) and listing tools, per request. */
  connectTimeoutMs: number;
  /** One tools/call, from request to result. */
  callTimeoutMs: number;
  /** Largest tool result (text and base64 data) handed to the model. */
  maxResultBytes: number;
}
