/**
 * Turns an MCP `tools/call` result into tool-result content the model and the event log accept:
 * text as text, PNG/JPEG/GIF/WebP images as base64 image blocks, embedded text resources as text,
 * everything else (audio, binary resources, other image types) as a short text note. A result
 * larger than the limit becomes an error result instead of a huge event.
 */
import type { ToolResult, ToolResultBlock } from '../tool.ts';

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

interface McpContentItem {
  type: string;
  text?: unknown;
  data?: unknown;
  mimeType?: unknown;
  uri?: unknown;
  name?: unknown;
  resource?: { uri?: unknown; text?: unknown; blob?: unknown; mimeType?: unknown };
}

export interface McpCallResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: unknown;
}

function convert(item: McpContentItem): ToolResultBlock {
  switch (item.type) {
    case 'text':
      return { type: 'text', text: String(item.text ?? '') };
    case 'image': {
      const mediaType = String(item.mimeType ?? '');
      if (IMAGE_TYPES.has(mediaType) && typeof item.data === 'string') return { type: 'image', source: { type: 'base64', media_type: mediaType, data: item.data } };
      return { type: 'text', text: `[an image of type ${mediaType || 'unknown'} was returned; only PNG, JPEG, GIF and WebP images can be shown]` };
    }
    case 'resource':
      if (typeof item.resource?.text === 'string') return { type: 'text', text: item.resource.text };
      return { type: 'text', text: `[binary resource ${String(item.resource?.uri ?? '')} (${String(item.resource?.mimeType ?? 'unknown type')}) omitted]` };
    case 'resource_link':
      return { type: 'text', text: `[resource ${String(item.name ?? '')}: ${String(item.uri ?? '')}]` };
    case 'audio':
      return { type: 'text', text: `[audio of type ${String(item.mimeType ?? 'unknown')} omitted]` };
    default:
      return { type: 'text', text: `[content of type ${JSON.stringify(item.type)} omitted]` };
  }
}

function size(block: ToolResultBlock): number {
  return block.type === 'text' ? Buffer.byteLength(block.text) : block.source.data.length;
}

export function toToolResult(result: McpCallResult, label: string, maxBytes: number): ToolResult {
  const items = Array.isArray(result.content) ? (result.content as McpContentItem[]) : [];
  const content = items.map(convert);
  if (content.length === 0 && result.structuredContent !== undefined) content.push({ type: 'text', text: JSON.stringify(result.structuredContent) });
  const total = content.reduce((sum, block) => sum + size(block), 0);
  if (total > maxBytes) {
    return { isError: true, content: [{ type: 'text', text: `${label} returned ${total} bytes of content, more than the ${maxBytes}-byte limit for one tool result (MCP_MAX_RESULT_BYTES); call it again asking for less.` }] };
  }
  if (content.length === 0) content.push({ type: 'text', text: result.isError === true ? `${label} failed without a message.` : `${label} returned no content.` });
  return { isError: result.isError === true, content };
}
