/** Event wire schemas: what clients may send, and the catalogue of spec event types. */
import { z } from '@hono/zod-openapi';

const textBlock = z.strictObject({ type: z.literal('text'), text: z.string() });
const imageSource = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string().min(1) }),
  z.strictObject({ type: z.literal('url'), url: z.string().url() }),
  z.strictObject({ type: z.literal('file'), file_id: z.string().min(1) }),
]);
const imageBlock = z.strictObject({ type: z.literal('image'), source: imageSource });
const documentSource = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string().min(1) }),
  z.strictObject({ type: z.literal('text'), media_type: z.literal('text/plain'), data: z.string() }),
  z.strictObject({ type: z.literal('url'), url: z.string().url() }),
  z.strictObject({ type: z.literal('file'), file_id: z.string().min(1) }),
]);
const documentBlock = z.strictObject({
  type: z.literal('document'),
  source: documentSource,
  title: z.string().nullable().optional(),
  context: z.string().nullable().optional(),
});
const redactedBlock = z.strictObject({ type: z.literal('redacted') });
const searchResultBlock = z.strictObject({
  type: z.literal('search_result'),
  source: z.string(),
  title: z.string(),
  content: z.array(textBlock),
  citations: z.strictObject({ enabled: z.boolean() }),
});

export const userContentSchema = z.array(z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, redactedBlock])).min(1, 'content must have at least one block');
export const toolResultContentSchema = z.array(z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, searchResultBlock]));

export const userMessageSchema = z.strictObject({ type: z.literal('user.message'), content: userContentSchema });
export const userInterruptSchema = z.strictObject({ type: z.literal('user.interrupt'), session_thread_id: z.string().nullable().optional() });
export const userCustomToolResultSchema = z.strictObject({
  type: z.literal('user.custom_tool_result'),
  custom_tool_use_id: z.string().min(1),
  content: toolResultContentSchema.optional(),
  is_error: z.boolean().nullable().optional(),
});
export const userToolConfirmationSchema = z
  .strictObject({
    type: z.literal('user.tool_confirmation'),
    tool_use_id: z.string().min(1),
    result: z.enum(['allow', 'deny']),
    deny_message: z.string().max(10_000).nullable().optional(),
  })
  .refine((e) => e.result === 'deny' || e.deny_message == null, { message: 'deny_message is only allowed with result "deny"', path: ['deny_message'] });

export const eventParamSchema = z.union([userMessageSchema, userInterruptSchema, userCustomToolResultSchema, userToolConfirmationSchema]);

/** Types a client may send that this server does not implement yet, with the reason given back. */
export const UNSUPPORTED_SEND_TYPES: Record<string, string> = {
  'user.tool_result': 'user.tool_result is only valid for self_hosted environments, which this server does not offer yet',
  'user.define_outcome': 'outcomes (user.define_outcome) are not supported by this server yet',
  'system.message': 'system.message is not supported by this server yet',
};

/** An event type the SDK defines and this server refuses, whatever its fields, with the reason. */
function unsupportedEvent(type: keyof typeof UNSUPPORTED_SEND_TYPES & string) {
  return z
    .looseObject({ type: z.literal(type) })
    .refine(() => false, { message: UNSUPPORTED_SEND_TYPES[type]!, path: ['type'] })
    .openapi({ description: `Not supported by this server: ${UNSUPPORTED_SEND_TYPES[type]!}` });
}

function unknownEventType(allowed: string) {
  return (issue: { code?: string; input?: unknown }) => {
    if (issue.code !== 'invalid_union') return undefined;
    const type = (issue.input as { type?: unknown } | null | undefined)?.type;
    return `${JSON.stringify(type ?? null)} is not an event a client can send here; use ${allowed}`;
  };
}

/**
 * One event of POST /v1/sessions/{id}/events, checked with the schema its `type` names, so an error
 * names the field (`body.events[0]: unknown field(s): foo`), before anything is read or written.
 */
export const sendEventParamSchema = z.discriminatedUnion(
  'type',
  [
    userMessageSchema, userInterruptSchema, userCustomToolResultSchema, userToolConfirmationSchema,
    unsupportedEvent('user.tool_result'), unsupportedEvent('user.define_outcome'), unsupportedEvent('system.message'),
  ],
  { error: unknownEventType('user.message, user.interrupt, user.custom_tool_result or user.tool_confirmation') },
);
export const sendEventsSchema = z.strictObject({ events: z.array(sendEventParamSchema).min(1, 'events must not be empty').max(100) }).openapi('SendEvents');

/** One entry of a session's initial_events: the SDK allows user.message and user.define_outcome. */
export const initialEventSchema = z.discriminatedUnion('type', [userMessageSchema, unsupportedEvent('user.define_outcome')], {
  error: unknownEventType('user.message'),
});

/** One entry of a deployment's initial_events: the SDK allows user.message, user.define_outcome and system.message. */
export const deploymentInitialEventSchema = z.discriminatedUnion('type', [userMessageSchema, unsupportedEvent('user.define_outcome'), unsupportedEvent('system.message')], {
  error: unknownEventType('user.message'),
});

export type EventParam = z.infer<typeof eventParamSchema>;

/** Every persisted event type of the reference (BetaManagedAgentsSessionEventType). */
export const SPEC_EVENT_TYPES = new Set([
  'user.message', 'user.interrupt', 'user.tool_confirmation', 'user.custom_tool_result', 'user.define_outcome', 'user.tool_result',
  'system.message',
  'agent.message', 'agent.thinking', 'agent.tool_use', 'agent.tool_result', 'agent.mcp_tool_use', 'agent.mcp_tool_result',
  'agent.custom_tool_use', 'agent.thread_message_sent', 'agent.thread_message_received', 'agent.thread_context_compacted',
  'session.status_running', 'session.status_idle', 'session.status_rescheduled', 'session.status_terminated', 'session.error',
  'session.deleted', 'session.updated', 'session.usage', 'session.thread_created', 'session.thread_status_running',
  'session.thread_status_idle', 'session.thread_status_rescheduled', 'session.thread_status_terminated',
  'span.model_request_start', 'span.model_request_end', 'span.outcome_evaluation_start', 'span.outcome_evaluation_ongoing',
  'span.outcome_evaluation_end',
  'workflow_run.created', 'workflow_run.status_running', 'workflow_run.status_idle', 'workflow_run.status_ended',
  'workflow_run.error', 'workflow_run.phase_started', 'workflow_run.phase_ended',
]);

/** Stream-only preview types a client may ask for with event_deltas[]. */
export const DELTA_EVENT_TYPES = new Set(['agent.message', 'agent.thinking']);
