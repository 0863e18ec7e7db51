/**
 * The MCP tools a model request offers: every enabled tool of the servers the agent's mcp_toolsets
 * use, under its MCP name. A name the model API cannot take, or one already taken by a built-in or
 * custom tool or another server, is left out (logged). A server that cannot be listed is left out
 * too, and reported once as a session.error (mcp_connection_failed_error or
 * mcp_authentication_failed_error, naming the server) so the turn goes on without it.
 */
import type { NewEvent } from '../events/types.ts';
import type { ModelToolDefinition } from './model/model-content.ts';
import { builtinPolicy, customToolNames, mcpPolicy, mcpServersOf, type AgentSnapshot, type ToolPolicy } from './request-builder.ts';
import type { StepContext } from './step-context.ts';

/** What the Messages API accepts as a tool name. */
const MODEL_TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

export interface OfferedMcpTools {
  definitions: ModelToolDefinition[];
  /** Every listed tool by name (disabled ones too, so a call of one is refused as an MCP call). */
  byName: Map<string, { server: string; policy: ToolPolicy }>;
  errors: NewEvent[];
}

export async function offeredMcpTools(ctx: StepContext, agent: AgentSnapshot): Promise<OfferedMcpTools> {
  const offered: OfferedMcpTools = { definitions: [], byName: new Map(), errors: [] };
  const servers = mcpServersOf(agent);
  if (servers.length === 0 || !ctx.mcp) return offered;
  const { tools, failures } = await ctx.mcp.listTools({ tenantId: ctx.tenantId, sessionId: ctx.sessionId }, servers);
  const taken = new Set([...[...ctx.tools.keys()].filter((name) => builtinPolicy(agent, name)?.enabled), ...customToolNames(agent)]);
  for (const { server, tool } of tools) {
    const policy = mcpPolicy(agent, server, tool.name);
    if (!policy) continue;
    if (!MODEL_TOOL_NAME.test(tool.name) || taken.has(tool.name) || offered.byName.has(tool.name)) {
      ctx.logger.warn({ sessionId: ctx.sessionId, mcpServer: server, tool: tool.name }, 'MCP tool not offered: its name is not a valid model tool name or is already taken by another tool');
      continue;
    }
    offered.byName.set(tool.name, { server, policy });
    if (!policy.enabled) continue;
    offered.definitions.push({
      name: tool.name,
      description: tool.description ?? `Tool "${tool.name}" of the MCP server "${server}".`,
      inputSchema: { ...tool.inputSchema, type: 'object' },
    });
  }
  for (const failure of failures) {
    offered.errors.push({
      type: 'session.error',
      payload: {
        error: {
          type: failure.kind === 'authentication' ? 'mcp_authentication_failed_error' : 'mcp_connection_failed_error',
          mcp_server_name: failure.server,
          message: `${failure.message} Its tools are not available until it can be reached; the turn continues without them.`,
          retry_status: { type: 'retrying' },
        },
      },
      processedAt: ctx.clock.now(),
    });
  }
  return offered;
}
