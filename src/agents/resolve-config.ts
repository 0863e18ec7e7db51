/**
 * Turns agent create/update parameters into the resolved configuration the API returns and the
 * harness runs: model as an object, toolsets with every default filled, skills with a version.
 */
import { InvalidRequestError } from '../errors.ts';
import type { AgentConfig, ModelParam, ToolParam } from '../api/schemas/agents.ts';

type ResolvedModel = AgentConfig['model'];

export function resolveModel(model: ModelParam, previous?: ResolvedModel): ResolvedModel {
  if (typeof model === 'string') return { id: model, speed: 'standard', effort: previous?.effort ?? { type: 'high' } };
  const effort = model.effort === undefined ? (previous?.effort ?? { type: 'high' }) : typeof model.effort === 'string' ? { type: model.effort } : model.effort;
  const resolved: ResolvedModel = { id: model.id, speed: model.speed ?? 'standard', effort };
  if (model.inference_geo) resolved.inference_geo = model.inference_geo;
  return resolved;
}

const ALLOW = { type: 'always_allow' };
const ASK = { type: 'always_ask' };

export function resolveTools(tools: ToolParam[] | null | undefined): Record<string, unknown>[] {
  return (tools ?? []).map((tool) => {
    switch (tool.type) {
      case 'agent_toolset_20260401':
      case 'mcp_toolset': {
        const kindDefault = tool.type === 'mcp_toolset' ? ASK : ALLOW;
        const defaults = {
          enabled: tool.default_config?.enabled ?? true,
          permission_policy: tool.default_config?.permission_policy ?? kindDefault,
        };
        const configs = (tool.configs ?? []).map((c) => {
          const base = { ...c, enabled: c.enabled ?? defaults.enabled, permission_policy: c.permission_policy ?? defaults.permission_policy };
          return tool.type === 'agent_toolset_20260401' ? { ...base, type: c.name } : base;
        });
        const names = configs.map((c) => c.name);
        const dup = names.find((n, i) => names.indexOf(n) !== i);
        if (dup) throw new InvalidRequestError(`tools: tool "${dup}" appears twice in configs of ${tool.type}`);
        return tool.type === 'mcp_toolset'
          ? { type: tool.type, mcp_server_name: tool.mcp_server_name, default_config: defaults, configs }
          : { type: tool.type, default_config: defaults, configs };
      }
      case 'custom':
        return { ...tool };
      default: {
        const never: never = tool;
        return never;
      }
    }
  });
}

/** Cross-field rules that zod alone cannot express. */
export function validateAgentConfig(config: Pick<AgentConfig, 'tools' | 'mcp_servers'>): void {
  const toolsets = config.tools.filter((t) => t.type === 'agent_toolset_20260401');
  if (toolsets.length > 1) throw new InvalidRequestError('tools: agent_toolset_20260401 may appear at most once');
  const customNames = config.tools.filter((t) => t.type === 'custom').map((t) => String(t.name));
  const dupCustom = customNames.find((n, i) => customNames.indexOf(n) !== i);
  if (dupCustom) throw new InvalidRequestError(`tools: custom tool name "${dupCustom}" is used twice`);
  const serverNames = config.mcp_servers.map((s) => s.name);
  const dupServer = serverNames.find((n, i) => serverNames.indexOf(n) !== i);
  if (dupServer) throw new InvalidRequestError(`mcp_servers: name "${dupServer}" is used twice`);
  const referenced = new Set(config.tools.filter((t) => t.type === 'mcp_toolset').map((t) => String(t.mcp_server_name)));
  for (const name of referenced) {
    if (!serverNames.includes(name)) throw new InvalidRequestError(`tools: mcp_toolset refers to mcp server "${name}", which is not in mcp_servers`);
  }
  for (const name of serverNames) {
    if (!referenced.has(name)) throw new InvalidRequestError(`mcp_servers: server "${name}" is not used by any mcp_toolset in tools; add {"type":"mcp_toolset","mcp_server_name":"${name}"}`);
  }
}

export function resolveSkills(skills: { type: string; skill_id: string; version?: string | null }[] | null | undefined) {
  return (skills ?? []).map((s) => ({ type: s.type, skill_id: s.skill_id, version: s.version ?? 'latest' }));
}
