/**
 * Plays the client of one session through crashes: sends its planned user messages (the next one
 * once the previous is answered, or at once when it is "queued" behind a running turn), confirms
 * `always_ask` tool calls when the session asks, and retries whatever a crash cut off. A request
 * whose outcome is unknown (the server died while it was in flight) is looked up in the log before
 * it is sent again, as a careful client would, so a duplicate in the log is the server's fault.
 */
import { HttpError, listAllEvents, requestJson, sleep, textOf, type WireEvent } from './api.ts';
import type { ServerControl } from './server-control.ts';
import type { StreamRecorder } from './stream-recorder.ts';
import type { MessagePlan } from './plan.ts';
import { encodePlan } from './plan.ts';
import type { Random } from './random.ts';

export interface PlannedMessage {
  plan: MessagePlan;
  /** Sent right after the previous message instead of after its answer. */
  queued: boolean;
}

/** Waits for permission to send (a server is up and the harness is not watching a recovery). */
export type SendGate = () => Promise<void>;

const TURN_TIMEOUT_MS = 90_000;

export class SessionDriver {
  /** Message tag → id of its user.message event, once the server acknowledged it or it was found in the log. */
  readonly acknowledged = new Map<string, string>();
  /** Sends whose outcome was unknown and that were then found in (or missing from) the log. */
  reconciled = 0;
  readonly violations: string[] = [];
  private readonly confirmed = new Set<string>();
  private confirmations: Promise<void>[] = [];

  constructor(
    private readonly control: ServerControl,
    private readonly gate: SendGate,
    readonly sessionId: string,
    readonly recorder: StreamRecorder,
    readonly messages: PlannedMessage[],
    private readonly rng: Random,
  ) {}

  /** Sends everything and waits until every message is answered; false when a turn never finished. */
  async run(): Promise<boolean> {
    try {
      for (const [i, m] of this.messages.entries()) {
        if (i > 0 && !m.queued) await this.waitAnswered(this.messages.slice(0, i));
        await sleep(this.rng.int(0, 60));
        await this.sendMessage(m);
      }
      await this.waitAnswered(this.messages);
      await Promise.all(this.confirmations);
      return true;
    } catch (err) {
      this.violations.push(`session ${this.sessionId}: ${(err as Error).message}`);
      return false;
    }
  }

  /** Called for every recorded frame of this session: answers requires_action with "allow". */
  onFrame(event: WireEvent): void {
    const reason = event.type === 'session.status_idle' ? (event.stop_reason as { type?: string; event_ids?: string[] } | null) : null;
    if (reason?.type !== 'requires_action') return;
    for (const id of reason.event_ids ?? []) {
      if (this.confirmed.has(id)) continue;
      this.confirmed.add(id);
      this.confirmations.push(this.confirm(id));
    }
  }

  isAnswered(tag: string): boolean {
    return this.recorder.frames.some((f) => f.type === 'agent.message' && answeredTags(textOf(f.data)).includes(tag));
  }

  private waitAnswered(messages: PlannedMessage[]): Promise<void> {
    const tags = messages.map((m) => m.plan.messageTag);
    return this.recorder.waitUntil(() => tags.every((t) => this.isAnswered(t)), TURN_TIMEOUT_MS, `answers to ${tags.join(', ')} of ${this.sessionId}`);
  }

  private async sendMessage(m: PlannedMessage): Promise<void> {
    const text = encodePlan(m.plan);
    const body = { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] };
    for (;;) {
      await this.gate();
      try {
        const res = await requestJson<{ data: WireEvent[] }>(this.control.baseURL, 'POST', `/v1/sessions/${this.sessionId}/events`, body);
        this.acknowledged.set(m.plan.messageTag, res.data[0]!.id);
        return;
      } catch (err) {
        if (err instanceof HttpError) {
          this.violations.push(`session ${this.sessionId}: sending ${m.plan.messageTag} failed: ${err.message}`);
          return;
        }
      }
      // The server died with the request in flight: it may or may not have been committed.
      const found = await this.findInLog((e) => e.type === 'user.message' && textOf(e) === text);
      this.reconciled++;
      if (found) {
        this.acknowledged.set(m.plan.messageTag, found.id);
        return;
      }
    }
  }

  private async confirm(toolUseId: string): Promise<void> {
    await sleep(this.rng.int(0, 300));
    const body = { events: [{ type: 'user.tool_confirmation', tool_use_id: toolUseId, result: 'allow' }] };
    for (;;) {
      await this.gate();
      try {
        await requestJson(this.control.baseURL, 'POST', `/v1/sessions/${this.sessionId}/events`, body);
        return;
      } catch (err) {
        if (err instanceof HttpError) {
          // A retry of a confirmation that did reach the log before the crash.
          if (err.status === 400 && err.body.includes('already been answered')) return;
          this.violations.push(`session ${this.sessionId}: confirming ${toolUseId} failed: ${err.message}`);
          return;
        }
      }
    }
  }

  private async findInLog(match: (e: WireEvent) => boolean): Promise<WireEvent | undefined> {
    for (;;) {
      await this.control.ready;
      try {
        return (await listAllEvents(this.control.baseURL, this.sessionId)).find(match);
      } catch (err) {
        if (err instanceof HttpError) throw err;
      }
    }
  }
}

/** Message tags answered by a final model reply ("done m1 m2 | …"). */
export function answeredTags(text: string): string[] {
  const m = /^done ([^|]*)\|/.exec(text);
  return m ? m[1]!.trim().split(/\s+/) : [];
}
