/** The built-in agent toolset (`agent_toolset_20260401`-style names), one `Tool` per name. */
import { BashTool } from './bash.ts';
import { EditTool } from './edit.ts';
import { GlobTool } from './glob.ts';
import { GrepTool } from './grep.ts';
import { ReadTool } from './read.ts';
import type { Tool } from './tool.ts';
import { WebFetchTool } from './web-fetch.ts';
import { createWebSearchTool, type WebSearchBackend } from './web-search.ts';
import { WriteTool } from './write.ts';

import { BUILTIN_TOOL_NAMES, type BuiltinToolName } from './tool-names.ts';

export { BUILTIN_TOOL_NAMES, type BuiltinToolName };

export interface BuiltinToolOptions {
  /** Search engine for web_search; without one, web_search is not offered. */
  webSearchBackend?: WebSearchBackend;
}

/** Returns the available built-in tools by name (web_search only with a backend). The harness picks the enabled ones. */
export function createBuiltinTools(options: BuiltinToolOptions = {}): Map<string, Tool> {
  const tools: (Tool | undefined)[] = [
    new BashTool(),
    new ReadTool(),
    new WriteTool(),
    new EditTool(),
    new GlobTool(),
    new GrepTool(),
    new WebFetchTool(),
    createWebSearchTool(options.webSearchBackend),
  ];
  return new Map(tools.filter((tool): tool is Tool => tool !== undefined).map((tool) => [tool.name, tool]));
}
