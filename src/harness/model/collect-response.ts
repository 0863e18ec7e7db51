/**
 * Folds a model stream into the complete response, handing each event to an observer on the way
 * (live previews). Provider-neutral: it only knows the port's events.
 */
import type { ModelContentBlock } from './model-content.ts';
import { ModelError, type ModelStopReason, type ModelStreamEvent, type ModelUsage } from './model-client.ts';

/** The complete response of one model request. */
export interface ModelResponse {
  /** The provider's id of the response (msg_…, chatcmpl-…). */
  id: string;
  /** The model that answered, as the provider names it. */
  model: string;
  /** The blocks in index order. */
  content: ModelContentBlock[];
  stopReason: ModelStopReason;
  usage: ModelUsage;
}

export const ZERO_MODEL_USAGE: ModelUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

/**
 * Consumes `events` to the end and returns the response. `observe` sees every event first; if it
 * throws, the request is cancelled and its error propagates as is. Throws the stream's
 * ModelError/ModelAbortedError, or a `connection` ModelError if the stream ended without `stop`.
 */
export async function collectResponse(events: AsyncIterable<ModelStreamEvent>, observe?: (event: ModelStreamEvent) => void): Promise<ModelResponse> {
  const blocks = new Map<number, ModelContentBlock>();
  let id = '';
  let model = '';
  let usage = ZERO_MODEL_USAGE;
  let stopReason: ModelStopReason | undefined;
  for await (const event of events) {
    observe?.(event);
    if (event.type === 'response_start') ({ id, model } = event);
    else if (event.type === 'block_end') blocks.set(event.index, event.block);
    else if (event.type === 'usage') usage = event.usage;
    else if (event.type === 'stop') stopReason = event.reason;
  }
  if (stopReason === undefined) throw new ModelError({ kind: 'connection', message: 'model stream ended without a stop event' });
  const content = [...blocks.entries()].sort(([a], [b]) => a - b).map(([, block]) => block);
  return { id, model, content, stopReason, usage };
}
