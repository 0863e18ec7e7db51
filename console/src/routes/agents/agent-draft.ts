/**
 * The agent form's state and its translation to and from the API's create/update body. The form
 * covers name, model, description, system prompt, the built-in toolset with a permission policy
 * per tool, custom tools and MCP servers; anything else is edited in the raw JSON view.
 */
import type { Agent, AgentTool, AgentToolset, CustomTool, McpServer, PermissionPolicy, ToolConfig } from '../../api/types.ts';

export const BUILTIN_TOOLS = ['bash', 'read', 'write', 'edit', 'glob', 'grep', 'web_fetch', 'web_search'] as const;
export type ToolChoice = 'default' | PermissionPolicy | 'disabled';

export interface CustomToolDraft {
  name: string;
  description: string;
  schema: string;
}

export interface AgentDraft {
  name: string;
  model: string;
  description: string;
  system: string;
  toolset: boolean;
  defaultPolicy: PermissionPolicy;
  tools: Record<string, ToolChoice>;
  customTools: CustomToolDraft[];
  mcpServers: McpServer[];
}

export const EMPTY_SCHEMA = '{\n  "type": "object",\n  "properties": {}\n}';

export function emptyDraft(): AgentDraft {
  return {
    name: '',
    model: 'claude-sonnet-4-6',
    description: '',
    system: '',
    toolset: true,
    defaultPolicy: 'always_allow',
    tools: Object.fromEntries(BUILTIN_TOOLS.map((t) => [t, 'default'])),
    customTools: [],
    mcpServers: [],
  };
}

export function draftFromAgent(agent: Pick<Agent, 'name' | 'model' | 'description' | 'system' | 'tools' | 'mcp_servers'>): AgentDraft {
  const draft = emptyDraft();
  draft.name = agent.name;
  draft.model = typeof agent.model === 'string' ? agent.model : agent.model.id;
  draft.description = agent.description ?? '';
  draft.system = agent.system ?? '';
  const toolset = agent.tools.find((t): t is AgentToolset => t.type === 'agent_toolset_20260401');
  draft.toolset = Boolean(toolset);
  if (toolset) {
    draft.defaultPolicy = toolset.default_config?.permission_policy?.type ?? 'always_allow';
    for (const c of toolset.configs ?? []) {
      draft.tools[c.name] = c.enabled === false ? 'disabled' : (c.permission_policy?.type ?? 'default');
    }
  }
  draft.customTools = agent.tools
    .filter((t): t is CustomTool => t.type === 'custom')
    .map((t) => ({ name: t.name, description: t.description, schema: JSON.stringify(t.input_schema, null, 2) }));
  draft.mcpServers = agent.mcp_servers.map((s) => ({ type: 'url', name: s.name, url: s.url }));
  return draft;
}

/** The create/update body, or an Error naming the field that is not valid. */
export function bodyFromDraft(draft: AgentDraft, keepTools: AgentTool[] = []): Record<string, unknown> {
  const tools: AgentTool[] = [];
  if (draft.toolset) {
    const configs: ToolConfig[] = [];
    for (const t of BUILTIN_TOOLS) {
      const choice = draft.tools[t] ?? 'default';
      if (choice === 'disabled') configs.push({ name: t, enabled: false });
      else if (choice !== 'default') configs.push({ name: t, permission_policy: { type: choice } });
    }
    tools.push({ type: 'agent_toolset_20260401', default_config: { permission_policy: { type: draft.defaultPolicy } }, configs });
  }
  for (const [i, c] of draft.customTools.entries()) {
    let schema: Record<string, unknown>;
    try {
      schema = JSON.parse(c.schema) as Record<string, unknown>;
    } catch {
      throw new Error(`custom tool ${i + 1} (${c.name || 'unnamed'}): the input schema is not valid JSON`);
    }
    tools.push({ type: 'custom', name: c.name.trim(), description: c.description.trim(), input_schema: schema });
  }
  // MCP toolsets are not edited by the form; keep the ones the agent has for servers still listed.
  const servers = new Set(draft.mcpServers.map((s) => s.name.trim()));
  for (const t of keepTools) if (t.type === 'mcp_toolset' && servers.has(t.mcp_server_name)) tools.push(t);
  for (const s of draft.mcpServers) {
    if (!keepTools.some((t) => t.type === 'mcp_toolset' && t.mcp_server_name === s.name.trim())) tools.push({ type: 'mcp_toolset', mcp_server_name: s.name.trim() });
  }
  return {
    name: draft.name.trim(),
    model: draft.model.trim(),
    description: draft.description.trim() || null,
    system: draft.system || null,
    tools,
    mcp_servers: draft.mcpServers.map((s) => ({ type: 'url', name: s.name.trim(), url: s.url.trim() })),
  };
}
