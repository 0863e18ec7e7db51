/** Builds the model request for a session from its agent snapshot and derived history. */
import type { Tool } from '../tools/tool.ts';
import type { ModelRequest } from './model/model-client.ts';
import type { ModelMessage, ModelToolDefinition } from './model/model-content.ts';

export const DEFAULT_MAX_TOKENS = 16_384;

export interface AgentSnapshot {
  model: { id: string };
  system: string | null;
  tools: Record<string, unknown>[];
  /** The agent's MCP servers (absent in snapshots of agents without any). */
  mcp_servers?: { type: string; name: string; url: string }[];
}

export interface ToolPolicy {
  enabled: boolean;
  permission: 'always_allow' | 'always_ask' | 'auto';
  config?: Record<string, unknown>;
}

/** Resolved policy of one built-in tool for this agent, or undefined when the toolset is absent. */
export function builtinPolicy(agent: AgentSnapshot, name: string): ToolPolicy | undefined {
  const toolset = agent.tools.find((t) => t.type === 'agent_toolset_20260401') as
    | { default_config: { enabled: boolean; permission_policy: { type: ToolPolicy['permission'] } }; configs: Record<string, unknown>[] }
    | undefined;
  if (!toolset) return undefined;
  const config = toolset.configs.find((c) => c.name === name) as { enabled: boolean; permission_policy: { type: ToolPolicy['permission'] } } | undefined;
  return {
    enabled: config?.enabled ?? toolset.default_config.enabled,
    permission: (config?.permission_policy ?? toolset.default_config.permission_policy).type,
    config: config as Record<string, unknown> | undefined,
  };
}

type PolicyConfig = { enabled?: boolean | null; permission_policy?: { type: ToolPolicy['permission'] } | null };

/**
 * Resolved policy of one tool of an MCP server for this agent: its `configs[]` entry, else the
 * toolset's `default_config`, else the MCP defaults (enabled, always_ask). Undefined when the agent
 * has no mcp_toolset for that server.
 */
export function mcpPolicy(agent: AgentSnapshot, server: string, name: string): ToolPolicy | undefined {
  const toolset = agent.tools.find((t) => t.type === 'mcp_toolset' && t.mcp_server_name === server) as { default_config?: PolicyConfig | null; configs?: (PolicyConfig & { name: string })[] | null } | undefined;
  if (!toolset) return undefined;
  const config = toolset.configs?.find((c) => c.name === name);
  return {
    enabled: config?.enabled ?? toolset.default_config?.enabled ?? true,
    permission: (config?.permission_policy ?? toolset.default_config?.permission_policy ?? { type: 'always_ask' }).type,
  };
}

/** The MCP servers some mcp_toolset of the agent uses. */
export function mcpServersOf(agent: AgentSnapshot): { name: string; url: string }[] {
  const used = new Set(agent.tools.filter((t) => t.type === 'mcp_toolset').map((t) => String(t.mcp_server_name)));
  return (agent.mcp_servers ?? []).filter((s) => used.has(s.name)).map((s) => ({ name: s.name, url: s.url }));
}

export function customToolNames(agent: AgentSnapshot): Set<string> {
  return new Set(agent.tools.filter((t) => t.type === 'custom').map((t) => String(t.name)));
}

/** The request for the next model call; prompt caching on (a long session re-sends its history). */
export function buildModelRequest(agent: AgentSnapshot, messages: ModelMessage[], builtins: Map<string, Tool>, mcpTools: ModelToolDefinition[] = []): ModelRequest {
  const tools: ModelToolDefinition[] = [];
  for (const [name, tool] of builtins) {
    if (builtinPolicy(agent, name)?.enabled) tools.push({ name, description: tool.description, inputSchema: tool.inputSchema as Record<string, unknown> });
  }
  for (const t of agent.tools) {
    if (t.type === 'custom') tools.push({ name: String(t.name), description: String(t.description), inputSchema: t.input_schema as Record<string, unknown> });
  }
  tools.push(...mcpTools);
  const request: ModelRequest = { model: agent.model.id, maxTokens: DEFAULT_MAX_TOKENS, messages, promptCache: true };
  if (agent.system) request.system = agent.system;
  if (tools.length > 0) request.tools = tools;
  return request;
}
