/**
 * The payload schema of every event type the server stores: the reference's spec types it writes
 * plus our `oma.*` bookkeeping types. These describe the STORED form and accept every version we
 * ever wrote (objects are loose: a field added later does not break an old row, an unknown extra
 * field is kept; content blocks are plain objects, extra fields dropped). What clients may send is checked, strictly, by the API's own schemas before an
 * event is appended; this catalogue is what the harness relies on when it reads the log back.
 * Adding an event type means adding its schema here and its reducer in harness/session-fold.ts.
 */
import { z } from 'zod';

const mediaSource = z.union([
  z.object({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
  z.object({ type: z.literal('text'), media_type: z.string(), data: z.string() }),
  z.object({ type: z.literal('url'), url: z.string() }),
  z.object({ type: z.literal('file'), file_id: z.string() }),
]);
const textBlock = z.object({ type: z.literal('text'), text: z.string() });
const imageBlock = z.object({ type: z.literal('image'), source: mediaSource });
const documentBlock = z.object({
  type: z.literal('document'),
  source: mediaSource,
  title: z.string().nullable().optional(),
  context: z.string().nullable().optional(),
});
const searchResultBlock = z.object({
  type: z.literal('search_result'),
  source: z.string(),
  title: z.string(),
  content: z.array(textBlock),
  citations: z.object({ enabled: z.boolean() }),
});
/** A block the API shows in place of content it removed; never sent to a model. */
const redactedBlock = z.object({ type: z.literal('redacted') });

export const userContentBlockSchema = z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, redactedBlock]);
export const toolResultBlockSchema = z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, searchResultBlock]);
/** The blocks of a model response as stored in `oma.model_response` (the model port's blocks). */
export const modelBlockSchema = z.discriminatedUnion('type', [
  textBlock,
  z.object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() }),
  z.object({ type: z.literal('redacted_thinking'), data: z.string() }),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
]);

const empty = z.looseObject({});
const permission = z.enum(['allow', 'ask', 'deny']);
const usage = z.looseObject({
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_creation_input_tokens: z.number(),
  cache_read_input_tokens: z.number(),
});

/** Spec event types (the reference's `BetaManagedAgentsSessionEventType`) that this server writes. */
export const SPEC_PAYLOAD_SCHEMAS = {
  'user.message': z.looseObject({ content: z.array(userContentBlockSchema) }),
  'user.interrupt': z.looseObject({ session_thread_id: z.string().nullable().optional() }),
  'user.custom_tool_result': z.looseObject({
    custom_tool_use_id: z.string(),
    content: z.array(toolResultBlockSchema).optional(),
    is_error: z.boolean().nullable().optional(),
  }),
  'user.tool_confirmation': z.looseObject({
    tool_use_id: z.string(),
    result: z.enum(['allow', 'deny']),
    deny_message: z.string().nullable().optional(),
  }),
  'agent.message': z.looseObject({ content: z.array(textBlock) }),
  'agent.thinking': empty,
  'agent.tool_use': z.looseObject({
    name: z.string(),
    input: z.unknown(),
    evaluated_permission: permission.optional(),
    evaluation: z.looseObject({ type: z.string() }).optional(),
  }),
  'agent.custom_tool_use': z.looseObject({ name: z.string(), input: z.unknown() }),
  /** A call of a tool of one of the agent's MCP servers (run by the server's MCP client). */
  'agent.mcp_tool_use': z.looseObject({
    name: z.string(),
    mcp_server_name: z.string(),
    input: z.unknown(),
    evaluated_permission: permission.optional(),
    evaluation: z.looseObject({ type: z.string() }).optional(),
  }),
  'agent.mcp_tool_result': z.looseObject({
    mcp_tool_use_id: z.string(),
    content: z.array(toolResultBlockSchema).optional(),
    is_error: z.boolean().nullable().optional(),
  }),
  'agent.tool_result': z.looseObject({
    tool_use_id: z.string(),
    content: z.array(toolResultBlockSchema).optional(),
    is_error: z.boolean().nullable().optional(),
  }),
  'session.status_running': empty,
  'session.status_idle': z.looseObject({
    stop_reason: z.looseObject({ type: z.string(), event_ids: z.array(z.string()).optional() }),
    stop_details: z.unknown().optional(),
  }),
  'session.status_rescheduled': empty,
  'session.status_terminated': empty,
  'session.error': z.looseObject({
    error: z.looseObject({ type: z.string(), message: z.string(), retry_status: z.looseObject({ type: z.string() }).optional() }),
  }),
  'session.updated': empty,
  /** A usage snapshot; the harness writes one right before a budget_reached idle. */
  'session.usage': z.looseObject({ usage: z.looseObject({}), budget: z.unknown().optional() }),
  'span.model_request_start': empty,
  'span.model_request_end': z.looseObject({
    model_request_start_id: z.string(),
    is_error: z.boolean().nullable(),
    model_usage: usage,
  }),
};

/** Our own bookkeeping types: hidden from clients unless they opt in (`include_extensions`). */
export const EXTENSION_PAYLOAD_SCHEMAS = {
  /** The complete model response: what the history is rebuilt from. */
  'oma.model_response': z.looseObject({
    message: z.looseObject({ id: z.string(), content: z.array(modelBlockSchema), stop_reason: z.string().nullable().optional() }),
    /** The model's tool_use id → the agent.tool_use / agent.custom_tool_use event id. */
    tool_event_ids: z.record(z.string(), z.string()).optional(),
  }),
  /** A tool's side effect is about to start: committed before the tool runs. */
  'oma.tool_execution_started': z.looseObject({ tool_use_id: z.string(), name: z.string() }),
  /** The turn was taken over after a crash or lease expiry. */
  'oma.turn_recovered': z.looseObject({ reason: z.string(), tool_use_id: z.string().optional(), rerun: z.boolean().optional() }),
  /** Queued user events the harness consumed (their processed_at was set in the same commit). */
  'oma.user_event_processed': z.looseObject({ event_ids: z.array(z.string()) }),
  /** A step failed unexpectedly (not a model failure); `failures` counts consecutive ones. */
  'oma.step_failed': z.looseObject({
    error: z.looseObject({ type: z.string(), message: z.string() }),
    failures: z.number().int().positive(),
  }),
};

export const EVENT_PAYLOAD_SCHEMAS = { ...SPEC_PAYLOAD_SCHEMAS, ...EXTENSION_PAYLOAD_SCHEMAS };
