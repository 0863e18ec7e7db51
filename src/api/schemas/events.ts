/** Event wire schemas: what clients may send, and the catalogue of spec event types. */
import { z } from '@hono/zod-openapi';

const textBlock = z.object({ type: z.literal('text'), text: z.string() });
const imageSource = z.discriminatedUnion('type', [
  z.object({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string().min(1) }),
  z.object({ type: z.literal('url'), url: z.string().url() }),
  z.object({ type: z.literal('file'), file_id: z.string().min(1) }),
]);
const imageBlock = z.object({ type: z.literal('image'), source: imageSource });
const documentBlock = z.object({
  type: z.literal('document'),
  source: z.looseObject({ type: z.enum(['base64', 'text', 'url', 'file']) }),
  title: z.string().nullable().optional(),
  context: z.string().nullable().optional(),
});
const redactedBlock = z.object({ type: z.literal('redacted') });

export const userContentSchema = z.array(z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, redactedBlock])).min(1, 'content must have at least one block');
export const toolResultContentSchema = z.array(z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, z.looseObject({ type: z.literal('search_result') })]));

export const userMessageSchema = z.object({ type: z.literal('user.message'), content: userContentSchema });
export const userInterruptSchema = z.object({ type: z.literal('user.interrupt'), session_thread_id: z.string().nullable().optional() });
export const userCustomToolResultSchema = z.object({
  type: z.literal('user.custom_tool_result'),
  custom_tool_use_id: z.string().min(1),
  content: toolResultContentSchema.optional(),
  is_error: z.boolean().nullable().optional(),
});
export const userToolConfirmationSchema = z
  .object({
    type: z.literal('user.tool_confirmation'),
    tool_use_id: z.string().min(1),
    result: z.enum(['allow', 'deny']),
    deny_message: z.string().max(10_000).nullable().optional(),
  })
  .refine((e) => e.result === 'deny' || e.deny_message == null, { message: 'deny_message is only allowed with result "deny"', path: ['deny_message'] });

export const eventParamSchema = z.union([userMessageSchema, userInterruptSchema, userCustomToolResultSchema, userToolConfirmationSchema]);
export const sendEventsSchema = z.object({ events: z.array(z.looseObject({ type: z.string() })).min(1, 'events must not be empty').max(100) }).openapi('SendEvents');

export type EventParam = z.infer<typeof eventParamSchema>;

/** Types a client may send that this server does not implement yet, with the reason given back. */
export const UNSUPPORTED_SEND_TYPES: Record<string, string> = {
  'user.tool_result': 'user.tool_result is only valid for self_hosted environments, which this server does not offer yet',
  'user.define_outcome': 'outcomes (user.define_outcome) are not supported by this server yet',
  'system.message': 'system.message is not supported by this server yet',
};

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
