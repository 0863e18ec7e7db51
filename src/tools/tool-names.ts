/** Names of the built-in agent toolset (`agent_toolset_20260401`), shared by the wire schema and the tool registry. */
export const BUILTIN_TOOL_NAMES = ['bash', 'read', 'write', 'edit', 'glob', 'grep', 'web_fetch', 'web_search'] as const;
export type BuiltinToolName = (typeof BUILTIN_TOOL_NAMES)[number];
