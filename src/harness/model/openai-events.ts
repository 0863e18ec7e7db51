/**
 * Chat Completions stream chunks in the model port's vocabulary. Text is streamed live as block 0;
 * tool calls arrive split across chunks (id and name first, then pieces of the JSON arguments,
 * keyed by the call's index, possibly interleaved) and are buffered, then emitted complete, in
 * order, after the text, when the stream ends. Usage comes in a last chunk without choices
 * (`stream_options.include_usage`); endpoints that send none get zero counts. Reasoning deltas
 * (`reasoning_content`, which some servers add) have no signed form we could send back, so they
 * are dropped and reported once.
 */
import { randomBytes } from 'node:crypto';
import type OpenAI from 'openai';
import type { ModelStopReason, ModelStreamEvent, ModelUsage } from './model-client.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/** Chat Completions finish reasons → ours; a stream that made tool calls stopped for them. */
export function toStopReason(finish: string | null | undefined, madeToolCalls: boolean): ModelStopReason {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return madeToolCalls ? 'tool_use' : 'end_turn';
  }
}

export function toUsage(usage: OpenAI.CompletionUsage | null | undefined): ModelUsage {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  // prompt_tokens counts cached tokens too; ours, like Anthropic's, counts them apart.
  return {
    inputTokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached),
    outputTokens: usage?.completion_tokens ?? 0,
    cacheCreationInputTokens: 0,
    cacheReadInputTokens: cached,
  };
}

/** Parses a call's accumulated arguments; empty means no arguments. */
function parseArguments(text: string): { input: unknown; valid: boolean } {
  if (text.trim() === '') return { input: {}, valid: true };
  try {
    const input: unknown = JSON.parse(text);
    return typeof input === 'object' && input !== null && !Array.isArray(input) ? { input, valid: true } : { input: {}, valid: false };
  } catch {
    return { input: {}, valid: false };
  }
}

export class ChatCompletionStreamTranslator {
  #started = false;
  #text: string | undefined;
  #calls = new Map<number, PendingCall>();
  #finish: string | null = null;
  #usage: OpenAI.CompletionUsage | undefined;
  /** Notes on what was left out or repaired, for a debug log line. */
  readonly notes: string[] = [];

  /** The port events for one chunk, in order. */
  push(chunk: Chunk): ModelStreamEvent[] {
    const events: ModelStreamEvent[] = [];
    if (!this.#started) {
      this.#started = true;
      events.push({ type: 'response_start', id: chunk.id ?? '', model: chunk.model ?? '' });
    }
    if (chunk.usage) this.#usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== undefined && choice.index !== 0) continue;
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string' && delta.content !== '') {
        if (this.#text === undefined) {
          this.#text = '';
          events.push({ type: 'text_start', index: 0 });
        }
        this.#text += delta.content;
        events.push({ type: 'text_delta', index: 0, text: delta.content });
      }
      const reasoning = (delta as { reasoning_content?: unknown; reasoning?: unknown }).reasoning_content ?? (delta as { reasoning?: unknown }).reasoning;
      if (typeof reasoning === 'string' && reasoning !== '' && !this.notes.includes('reasoning')) this.notes.push('reasoning');
      for (const call of delta.tool_calls ?? []) this.#addCall(call);
      if (choice.finish_reason) this.#finish = choice.finish_reason;
    }
    return events;
  }

  /** The closing events once the stream has ended: text end, the tool calls, usage, stop. */
  finish(): ModelStreamEvent[] {
    const events: ModelStreamEvent[] = [];
    if (!this.#started) events.push({ type: 'response_start', id: '', model: '' });
    let index = 0;
    if (this.#text !== undefined) events.push({ type: 'block_end', index: index++, block: { type: 'text', text: this.#text } });
    const calls = [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    for (const call of calls) {
      const { input, valid } = parseArguments(call.arguments);
      if (!valid) this.notes.push(`tool call ${call.id} (${call.name}) had arguments that are not a JSON object; sent as {}`);
      events.push({ type: 'tool_use_start', index, id: call.id, name: call.name });
      if (call.arguments !== '') events.push({ type: 'tool_use_delta', index, partialJson: call.arguments });
      events.push({ type: 'block_end', index: index++, block: { type: 'tool_use', id: call.id, name: call.name, input } });
    }
    events.push({ type: 'usage', usage: toUsage(this.#usage) });
    events.push({ type: 'stop', reason: toStopReason(this.#finish, calls.length > 0) });
    return events;
  }

  #addCall(call: OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall): void {
    const key = call.index ?? this.#calls.size;
    let pending = this.#calls.get(key);
    if (!pending) {
      pending = { id: '', name: '', arguments: '' };
      this.#calls.set(key, pending);
    }
    if (call.id) pending.id = call.id;
    // The name comes with the call's first chunk; some servers repeat it in every chunk.
    if (call.function?.name && pending.name === '') pending.name = call.function.name;
    if (call.function?.arguments) pending.arguments += call.function.arguments;
    // Some servers (older Ollama, llama.cpp) send no id; the harness needs one to pair the result.
    if (pending.id === '') pending.id = `call_${randomBytes(12).toString('hex')}`;
  }
}
