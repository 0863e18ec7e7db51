/**
 * `web_search`: offered only when a search backend is configured. No backend exists yet, so
 * `createWebSearchTool()` returns undefined and the tool is not offered to the model.
 */
import { z } from 'zod';
import type { Tool, ToolContext, ToolResult } from './tool.ts';
import { parseToolInput } from './shared/tool-input.ts';
import { failureResult, textResult } from './shared/tool-results.ts';

export interface WebSearchHit {
  title: string;
  url: string;
  snippet: string;
}

/** A search engine adapter (port). Implementations live at the edge, one per engine. */
export interface WebSearchBackend {
  /** Returns at most `maxResults` hits. Throws on failure; the tool turns that into an error result. */
  search(query: string, options: { signal: AbortSignal; maxResults: number }): Promise<WebSearchHit[]>;
}

const WebSearchInput = z.object({ query: z.string().min(1), max_results: z.number().int().min(1).max(20).optional() });

/** Returns the tool, or undefined when no backend is configured. */
export function createWebSearchTool(backend: WebSearchBackend | undefined): Tool | undefined {
  return backend ? new WebSearchTool(backend) : undefined;
}

class WebSearchTool implements Tool {
  readonly name = 'web_search';
  readonly mutating = false;
  readonly description = 'Searches the web and returns result titles, URLs and snippets. Use web_fetch to read a result.';
  readonly inputSchema = {
    type: 'object',
    properties: {
      query: { type: 'string', description: 'The search query.' },
      max_results: { type: 'integer', description: 'How many results to return (1-20, default 5).' },
    },
    required: ['query'],
  };

  constructor(private readonly backend: WebSearchBackend) {}

  async run(input: unknown, context: ToolContext): Promise<ToolResult> {
    const parsed = parseToolInput(this.name, WebSearchInput, input);
    if (!parsed.ok) return parsed.result;
    try {
      const hits = await this.backend.search(parsed.value.query, { signal: context.signal, maxResults: parsed.value.max_results ?? 5 });
      if (hits.length === 0) return textResult(`No results for ${parsed.value.query}.`);
      return textResult(hits.map((hit, index) => `${index + 1}. ${hit.title}\n   ${hit.url}\n   ${hit.snippet}`).join('\n'));
    } catch (error) {
      return failureResult(error);
    }
  }
}
