/**
 * Content blocks of the model port, in our own words. Their fields are the wire's snake_case
 * because the harness stores them in the session log (`oma.model_response`) and sends them back
 * as history: they are a durable format, not a vendor type. A provider translates them at its edge
 * (the Anthropic client passes them through; an OpenAI-compatible client maps them to messages,
 * tool calls and tool results, and drops what it cannot express).
 */

export type ModelMediaSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'text'; media_type: string; data: string }
  | { type: 'url'; url: string }
  | { type: 'file'; file_id: string };

export interface ModelTextBlock {
  type: 'text';
  text: string;
}

export interface ModelImageBlock {
  type: 'image';
  source: ModelMediaSource;
}

export interface ModelDocumentBlock {
  type: 'document';
  source: ModelMediaSource;
  title?: string | null;
  context?: string | null;
}

export interface ModelSearchResultBlock {
  type: 'search_result';
  source: string;
  title: string;
  content: ModelTextBlock[];
  citations: { enabled: boolean };
}

/** Reasoning the model showed. `signature` lets the provider verify it when it is sent back. */
export interface ModelThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

/** Reasoning the provider encrypted; only the same provider can read `data`. */
export interface ModelRedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

/** A tool call. `id` is the provider's call id (toolu_…, call_…), echoed by the matching result. */
export interface ModelToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

export type ModelToolResultContent = ModelTextBlock | ModelImageBlock | ModelDocumentBlock | ModelSearchResultBlock;

export interface ModelToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: ModelToolResultContent[];
  is_error?: boolean;
}

/** What a model produces: the blocks of one response. */
export type ModelContentBlock = ModelTextBlock | ModelThinkingBlock | ModelRedactedThinkingBlock | ModelToolUseBlock;

/** What the history may hold: user input, tool results, and the model's own earlier blocks. */
export type ModelInputBlock = ModelContentBlock | ModelImageBlock | ModelDocumentBlock | ModelToolResultBlock;

export interface ModelMessage {
  role: 'user' | 'assistant';
  content: ModelInputBlock[];
}

/** A tool the model may call; `inputSchema` is a JSON Schema object. */
export interface ModelToolDefinition {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}
