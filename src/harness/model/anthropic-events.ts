/**
 * The Messages API's stream events in the model port's vocabulary. A finished block is read from
 * the SDK's accumulated message (tool inputs parsed, thinking signed) and copied to plain data:
 * the SDK hands tool inputs out as lazy getters, and the harness stores these blocks.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { ModelContentBlock } from './model-content.ts';
import type { ModelStopReason, ModelStreamEvent, ModelUsage } from './model-client.ts';

const KNOWN_BLOCKS = new Set(['text', 'thinking', 'redacted_thinking', 'tool_use']);
const STOP_REASONS = new Set<string>(['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'pause_turn', 'refusal', 'model_context_window_exceeded']);

function startEvents(event: Anthropic.RawContentBlockStartEvent): ModelStreamEvent[] {
  const { index, content_block: block } = event;
  switch (block.type) {
    case 'text':
      return [{ type: 'text_start', index }];
    case 'thinking':
    case 'redacted_thinking':
      return [{ type: 'thinking_start', index }];
    case 'tool_use':
      return [{ type: 'tool_use_start', index, id: block.id, name: block.name }];
    default:
      return [];
  }
}

function deltaEvents(event: Anthropic.RawContentBlockDeltaEvent): ModelStreamEvent[] {
  const { delta, index } = event;
  if (delta.type === 'text_delta' && delta.text !== '') return [{ type: 'text_delta', index, text: delta.text }];
  if (delta.type === 'thinking_delta' && delta.thinking !== '') return [{ type: 'thinking_delta', index, thinking: delta.thinking }];
  if (delta.type === 'input_json_delta' && delta.partial_json !== '') return [{ type: 'tool_use_delta', index, partialJson: delta.partial_json }];
  return [];
}

/** The port events for one SDK stream event; `snapshot` is the SDK's message accumulated so far. */
export function toStreamEvents(event: Anthropic.MessageStreamEvent, snapshot: Anthropic.Message | undefined): ModelStreamEvent[] {
  switch (event.type) {
    case 'message_start':
      return [{ type: 'response_start', id: event.message.id, model: event.message.model }];
    case 'content_block_start':
      return startEvents(event);
    case 'content_block_delta':
      return deltaEvents(event);
    case 'content_block_stop': {
      const block = snapshot?.content[event.index];
      // Server-side tool blocks are never requested; anything else unknown is not ours to store.
      if (!block || !KNOWN_BLOCKS.has(block.type)) return [];
      return [{ type: 'block_end', index: event.index, block: JSON.parse(JSON.stringify(block)) as ModelContentBlock }];
    }
    default:
      return [];
  }
}

/** The closing events: cumulative usage, then the stop reason (an unknown or missing one reads as end_turn). */
export function finalEvents(message: Anthropic.Message): ModelStreamEvent[] {
  const usage: ModelUsage = {
    inputTokens: message.usage.input_tokens ?? 0,
    outputTokens: message.usage.output_tokens ?? 0,
    cacheCreationInputTokens: message.usage.cache_creation_input_tokens ?? 0,
    cacheReadInputTokens: message.usage.cache_read_input_tokens ?? 0,
  };
  const reason = message.stop_reason !== null && STOP_REASONS.has(message.stop_reason) ? (message.stop_reason as ModelStopReason) : 'end_turn';
  return [{ type: 'usage', usage }, { type: 'stop', reason }];
}
