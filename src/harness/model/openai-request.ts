/**
 * Our model request in Chat Completions terms: the system prompt as a `system` message, user turns
 * as text and image parts, the model's tool calls as `tool_calls`, tool results as `tool`
 * messages, tool definitions as functions. What Chat Completions cannot carry (thinking blocks,
 * documents given by file id, images inside tool results) is left out and named in `dropped`, so
 * the client can log it; nothing is sent half-translated.
 */
import type OpenAI from 'openai';
import type { ModelRequest } from './model-client.ts';
import type { ModelInputBlock, ModelMediaSource, ModelMessage, ModelToolResultBlock } from './model-content.ts';

type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;
type UserPart = OpenAI.Chat.ChatCompletionContentPart;
type ToolCall = OpenAI.Chat.ChatCompletionMessageToolCall;
export type ChatCompletionRequest = OpenAI.Chat.ChatCompletionCreateParamsStreaming;

export interface TranslatedRequest {
  params: ChatCompletionRequest;
  /** One line per block that was left out, e.g. "thinking block in message 3". */
  dropped: string[];
}

function dataUrl(source: { media_type: string; data: string }): string {
  return `data:${source.media_type};base64,${source.data}`;
}

function imagePart(source: ModelMediaSource): UserPart | undefined {
  if (source.type === 'base64') return { type: 'image_url', image_url: { url: dataUrl(source) } };
  if (source.type === 'url') return { type: 'image_url', image_url: { url: source.url } };
  return undefined;
}

function documentPart(block: Extract<ModelInputBlock, { type: 'document' }>): UserPart | undefined {
  const { source } = block;
  if (source.type === 'text') return { type: 'text', text: block.title ? `${block.title}\n\n${source.data}` : source.data };
  if (source.type === 'base64') return { type: 'file', file: { file_data: dataUrl(source), filename: block.title ?? 'document' } };
  return undefined;
}

/** The text of a tool result; parts that are not text are named in `dropped`. */
function toolResultText(block: ModelToolResultBlock, where: string, dropped: string[]): string {
  const texts: string[] = [];
  for (const part of block.content) {
    if (part.type === 'text') texts.push(part.text);
    else if (part.type === 'search_result') texts.push([part.title, part.source, ...part.content.map((c) => c.text)].join('\n'));
    else {
      dropped.push(`${part.type} inside a tool result in ${where}`);
      texts.push(`[${part.type} omitted: this endpoint takes text tool results only]`);
    }
  }
  const text = texts.join('\n');
  if (block.is_error) return text === '' ? 'Error' : `Error: ${text}`;
  return text;
}

function translateUser(message: ModelMessage, where: string, dropped: string[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const parts: UserPart[] = [];
  for (const block of message.content) {
    switch (block.type) {
      case 'tool_result':
        // Tool messages must directly follow the assistant message that made the calls.
        out.push({ role: 'tool', tool_call_id: block.tool_use_id, content: toolResultText(block, where, dropped) });
        break;
      case 'text':
        parts.push({ type: 'text', text: block.text });
        break;
      case 'image':
      case 'document': {
        const part = block.type === 'image' ? imagePart(block.source) : documentPart(block);
        if (part) parts.push(part);
        else dropped.push(`${block.type} given by ${block.source.type} in ${where}`);
        break;
      }
      default:
        dropped.push(`${block.type} block in ${where}`);
    }
  }
  if (parts.length > 0) {
    const onlyText = parts.every((p) => p.type === 'text');
    out.push({ role: 'user', content: onlyText ? parts.map((p) => (p as OpenAI.Chat.ChatCompletionContentPartText).text).join('\n\n') : parts });
  }
  return out;
}

function translateAssistant(message: ModelMessage, where: string, dropped: string[]): ChatMessage | undefined {
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') texts.push(block.text);
    else if (block.type === 'tool_use') calls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    else dropped.push(`${block.type} block in ${where}`);
  }
  if (texts.length === 0 && calls.length === 0) return undefined;
  const assistant: OpenAI.Chat.ChatCompletionAssistantMessageParam = { role: 'assistant', content: texts.length > 0 ? texts.join('') : null };
  if (calls.length > 0) assistant.tool_calls = calls;
  return assistant;
}

/** How the output cap is named: OpenAI's own API wants the newer name (its reasoning models refuse `max_tokens`). */
export type MaxTokensField = 'max_tokens' | 'max_completion_tokens';

/** `max_completion_tokens` for OpenAI's own hosts; `max_tokens`, which every compatible server knows, elsewhere. */
export function maxTokensFieldFor(baseURL: string): MaxTokensField {
  const host = new URL(baseURL).hostname;
  return host === 'api.openai.com' || host.endsWith('.openai.azure.com') ? 'max_completion_tokens' : 'max_tokens';
}

/** Translates `request`; `dropped` lists what had no Chat Completions form. */
export function toChatCompletionRequest(request: ModelRequest, maxTokensField: MaxTokensField = 'max_tokens'): TranslatedRequest {
  const dropped: string[] = [];
  const messages: ChatMessage[] = [];
  if (request.system) messages.push({ role: 'system', content: request.system });
  request.messages.forEach((message, i) => {
    const where = `message ${i + 1} (${message.role})`;
    if (message.role === 'user') messages.push(...translateUser(message, where, dropped));
    else {
      const assistant = translateAssistant(message, where, dropped);
      if (assistant) messages.push(assistant);
    }
  });
  const params: ChatCompletionRequest = {
    model: request.model,
    messages,
    [maxTokensField]: request.maxTokens,
    stream: true,
    // Usage arrives in a last chunk with no choices; servers that ignore this send none.
    stream_options: { include_usage: true },
  };
  if (request.tools && request.tools.length > 0) {
    params.tools = request.tools.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.inputSchema } }));
  }
  return { params, dropped };
}
