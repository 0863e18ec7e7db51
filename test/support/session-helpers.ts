/** Helpers for driving sessions in tests: wait for the log to reach a state, read event types. */
import type Anthropic from '@anthropic-ai/sdk';
import { waitFor } from './wait-for.ts';

export type WireEvent = { type: string; id: string; [k: string]: unknown };

export async function listEvents(client: Anthropic, sessionId: string): Promise<WireEvent[]> {
  const out: WireEvent[] = [];
  for await (const e of client.beta.sessions.events.list(sessionId, { limit: 1000 })) out.push(e as unknown as WireEvent);
  return out;
}

/** Waits until the session has emitted `count` session.status_idle events; returns the log. */
export async function waitForIdle(client: Anthropic, sessionId: string, count = 1, timeoutMs = 20_000): Promise<WireEvent[]> {
  return waitFor(
    async () => {
      const events = await listEvents(client, sessionId);
      return events.filter((e) => e.type === 'session.status_idle').length >= count ? events : undefined;
    },
    { timeoutMs, message: `session ${sessionId} did not reach idle #${count}` },
  );
}

export const types = (events: WireEvent[]) => events.map((e) => e.type);

export function userMessage(text: string) {
  return { type: 'user.message' as const, content: [{ type: 'text' as const, text }] };
}
