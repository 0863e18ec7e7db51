/**
 * Our model request in the Messages API's shape. The port's content blocks are the wire's blocks
 * (model-content.ts), so history passes through unchanged; prompt-cache breakpoints are added here
 * when the request asks for them.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { ModelRequest } from './model-client.ts';
import { withCacheBreakpoints, type AnthropicRequest } from './prompt-cache.ts';

export function toAnthropicRequest(request: ModelRequest): AnthropicRequest {
  // The port's blocks are a structural subset of the SDK's block params (same wire fields).
  const params: AnthropicRequest = { model: request.model, max_tokens: request.maxTokens, messages: request.messages as Anthropic.MessageParam[] };
  if (request.system) params.system = request.system;
  if (request.tools && request.tools.length > 0) {
    params.tools = request.tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.inputSchema as Anthropic.Tool.InputSchema }));
  }
  return request.promptCache ? withCacheBreakpoints(params) : params;
}
