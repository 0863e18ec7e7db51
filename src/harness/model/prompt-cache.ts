/**
 * Prompt-cache breakpoints for a Messages API request. Everything before a `cache_control`
 * marker is cached for a few minutes, so a long session re-sends its history at the cached-read
 * price instead of paying for it in full on every turn. The order of the prefix is tools, then
 * system, then messages; we mark the end of each stable part. Pure: the input is never mutated.
 */
import type Anthropic from '@anthropic-ai/sdk';

/** The API rejects a request with more than four cache_control markers. */
export const MAX_BREAKPOINTS = 4;
/**
 * The API looks back at most this many content blocks from a breakpoint for an earlier cache
 * entry. When the previous request's tail is further back, it gets its own breakpoint.
 */
export const CACHE_LOOKBACK_BLOCKS = 20;

/** The Messages API request body this module marks. */
export type AnthropicRequest = Anthropic.MessageCreateParamsNonStreaming;

const EPHEMERAL: Anthropic.CacheControlEphemeral = { type: 'ephemeral' };

type Block = Anthropic.ContentBlockParam;
type Marked = { cache_control?: Anthropic.CacheControlEphemeral | null };

function hasMarker(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Marked).cache_control != null;
}

/** Markers already in the request, counted up to MAX_BREAKPOINTS (a long history is walked without copying it). */
function countMarkers(request: AnthropicRequest): number {
  let count = 0;
  const add = (parts: readonly unknown[]): boolean => {
    for (const part of parts) if (hasMarker(part) && ++count >= MAX_BREAKPOINTS) return true;
    return false;
  };
  if (add(request.tools ?? []) || (Array.isArray(request.system) && add(request.system))) return count;
  for (const message of request.messages) if (Array.isArray(message.content) && add(message.content)) break;
  return count;
}

/** Thinking blocks and empty text blocks cannot carry cache_control. */
function canMark(block: Block): boolean {
  if (block.type === 'thinking' || block.type === 'redacted_thinking') return false;
  return !(block.type === 'text' && block.text === '');
}

function asBlocks(content: Anthropic.MessageParam['content']): Block[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function blockCount(message: Anthropic.MessageParam): number {
  return typeof message.content === 'string' ? 1 : message.content.length;
}

/** Returns a copy of the message with its last markable block marked, or undefined if none is. */
function markMessage(message: Anthropic.MessageParam): Anthropic.MessageParam | undefined {
  const blocks = asBlocks(message.content);
  const target = blocks.findLastIndex(canMark);
  if (target === -1) return undefined;
  const marked = blocks.map((block, index) => (index === target ? ({ ...block, cache_control: EPHEMERAL } as Block) : block));
  // A system-role message only holds text blocks, and marking one keeps it a text block.
  return { ...message, content: marked } as Anthropic.MessageParam;
}

/** The previous user message, when its last block is out of lookback reach of the final one. */
function findDistantEarlierMessage(messages: Anthropic.MessageParam[]): number | undefined {
  let gap = blockCount(messages.at(-1)!);
  for (let index = messages.length - 2; index >= 0; index -= 1) {
    const message = messages[index]!;
    if (message.role === 'user') return gap > CACHE_LOOKBACK_BLOCKS ? index : undefined;
    gap += blockCount(message);
  }
  return undefined;
}

function markTools(tools: AnthropicRequest['tools']): AnthropicRequest['tools'] {
  if (!tools || tools.length === 0 || hasMarker(tools.at(-1))) return tools;
  return [...tools.slice(0, -1), { ...tools.at(-1)!, cache_control: EPHEMERAL } as Anthropic.ToolUnion];
}

function markSystem(system: AnthropicRequest['system']): AnthropicRequest['system'] {
  if (system === undefined || system === '' || (Array.isArray(system) && system.length === 0)) return system;
  const blocks: Anthropic.TextBlockParam[] = typeof system === 'string' ? [{ type: 'text', text: system }] : system;
  if (hasMarker(blocks.at(-1))) return system;
  return [...blocks.slice(0, -1), { ...blocks.at(-1)!, cache_control: EPHEMERAL }];
}

/**
 * Returns a copy of `request` with `cache_control: {type: "ephemeral"}` on the last tool, the
 * last system block (a string system becomes one text block), the last markable block of the
 * last message and, when the history since the previous user message is longer than the cache
 * lookback, that message's last block too. Markers the caller already set count toward the limit
 * of four; parts that are already marked are left alone.
 */
export function withCacheBreakpoints(request: AnthropicRequest): AnthropicRequest {
  let budget = MAX_BREAKPOINTS - countMarkers(request);
  const result: AnthropicRequest = { ...request, messages: [...request.messages] };
  const spend = <T>(current: T, next: T): T => {
    if (budget <= 0 || next === current) return current;
    budget -= 1;
    return next;
  };

  const tools = spend(request.tools, markTools(request.tools));
  if (tools !== undefined) result.tools = tools;
  const system = spend(request.system, markSystem(request.system));
  if (system !== undefined) result.system = system;

  const targets = [result.messages.length - 1, findDistantEarlierMessage(result.messages)];
  for (const index of targets) {
    if (index === undefined || index < 0) continue;
    const message = result.messages[index]!;
    if (Array.isArray(message.content) && hasMarker(message.content.at(-1))) continue;
    result.messages[index] = spend(message, markMessage(message) ?? message);
  }
  return result;
}
