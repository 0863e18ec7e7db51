/**
 * Plays the client of one session through crashes: sends its planned user messages (the next one
 * once the session is quiet again, or at once when it is "queued" behind a running turn), sometimes
 * interrupts a turn, confirms `always_ask` tool calls when the session asks, and retries whatever a
 * crash cut off. A request whose outcome is unknown (the server died while it was in flight) is
 * looked up in the log before it is sent again, as a careful client would, so a duplicate in the
 * log is the server's fault.
 */
import { HttpError, listAllEvents, postJson, sleep, textOf, type WireEvent } from './api.ts';
import type { ServerControl } from './server-control.ts';
import type { StreamRecorder } from './stream-recorder.ts';
import type { MessagePlan } from './plan.ts';
import { encodePlan } from './plan.ts';
import type { Random } from './random.ts';

export interface PlannedMessage {
  plan: MessagePlan;
  /** Sent right after the previous message instead of once the session is quiet. */
  queued: boolean;
  /** Send a user.interrupt this long after the message (if it is not answered by then). */
  interruptAfterMs?: number;
}

/** Waits for permission to send (a server is up and the harness is not watching a recovery). */
export type SendGate = () => Promise<void>;

const TURN_TIMEOUT_MS = 90_000;

export class SessionDriver {
  /** Message tag → id of its user.message event, once the server acknowledged it or it was found in the log. */
  readonly acknowledged = new Map<string, string>();
  /** Ids of the user.interrupt events this client got into the log. */
  readonly interrupts: string[] = [];
  /** Confirmations sent, and how many of them denied the call. */
  readonly confirmations = { sent: 0, denied: 0 };
  /** Sends whose outcome was unknown and that were then looked up in the log. */
  reconciled = 0;
  readonly violations: string[] = [];
  private readonly confirmed = new Set<string>();
  private readonly pending: Promise<void>[] = [];

  private readonly control: ServerControl;
  private readonly gate: SendGate;
  private readonly rng: Random;
  readonly sessionId: string;
  readonly recorder: StreamRecorder;
  readonly messages: PlannedMessage[];

  constructor(options: { control: ServerControl; gate: SendGate; sessionId: string; recorder: StreamRecorder; messages: PlannedMessage[]; rng: Random }) {
    this.control = options.control;
    this.gate = options.gate;
    this.rng = options.rng;
    this.sessionId = options.sessionId;
    this.recorder = options.recorder;
    this.messages = options.messages;
  }

  /** Sends everything and waits until the session is quiet; false when it never was. */
  async run(): Promise<boolean> {
    try {
      for (const [i, m] of this.messages.entries()) {
        if (i > 0 && !m.queued) await this.waitQuiet();
        await sleep(this.rng.int(0, 60));
        await this.sendMessage(m);
        if (m.interruptAfterMs !== undefined) this.pending.push(this.interruptLater(m, m.interruptAfterMs));
      }
      await this.drain();
      await this.waitQuiet();
      await this.drain();
      return true;
    } catch (err) {
      this.violations.push(`session ${this.sessionId}: ${(err as Error).message}; ${await this.describeTail()}`);
      return false;
    }
  }

  /** The end of the session's log and what this client saw and sent, for a failure message. */
  private async describeTail(): Promise<string> {
    const log = await listAllEvents(this.control.baseURL, this.sessionId).catch(() => [] as WireEvent[]);
    const brief = (e: WireEvent) => {
      const extra = e.stop_reason ?? e.tool_use_id ?? e.result ?? e.event_ids ?? (e.name ? { name: e.name } : undefined);
      return `${e.type}${extra === undefined ? '' : ` ${JSON.stringify(extra)}`}${e.processed_at === null ? ' (unprocessed)' : ''}`;
    };
    const frames = this.recorder.frames.slice(-4).map((f) => f.type).join(', ');
    return `log tail: ${log.slice(-12).map(brief).join(' | ')}; last frames seen: ${frames}; confirmations sent for: ${[...this.confirmed].join(', ') || 'none'}`;
  }

  /** Waits for every interrupt and confirmation started so far, including ones started meanwhile. */
  private async drain(): Promise<void> {
    for (let done = 0; done < this.pending.length; done = this.pending.length) await Promise.all(this.pending.slice(done));
  }

  /** Called for every recorded frame of this session: answers requires_action ("allow", sometimes "deny"). */
  onFrame(event: WireEvent): void {
    const reason = event.type === 'session.status_idle' ? (event.stop_reason as { type?: string; event_ids?: string[] } | null) : null;
    if (reason?.type !== 'requires_action') return;
    for (const id of reason.event_ids ?? []) {
      if (this.confirmed.has(id)) continue;
      this.confirmed.add(id);
      this.pending.push(this.confirm(id));
    }
  }

  isAnswered(tag: string): boolean {
    return this.recorder.frames.some((f) => f.type === 'agent.message' && answeredTags(textOf(f.data)).includes(tag));
  }

  /**
   * Every interrupt sent so far was consumed, and every message was consumed by a turn that has
   * ended since (the session's last status, committed after the last of them was consumed, is idle
   * on end_turn). Frames arrive one at a time, so "consumed" alone can be seen a moment before the
   * status_running committed with it.
   */
  private isQuiet(): boolean {
    const consumedAt = new Map<string, number>();
    let lastStatus: { index: number; event: WireEvent } | undefined;
    this.recorder.frames.forEach((f, index) => {
      if (f.type === 'oma.user_event_processed') for (const id of (f.data.event_ids as string[]) ?? []) consumedAt.set(id, index);
      if (f.type.startsWith('session.status_')) lastStatus = { index, event: f.data };
    });
    if (!this.interrupts.every((id) => consumedAt.has(id))) return false;
    const messages = [...this.acknowledged.values()];
    if (!messages.every((id) => consumedAt.has(id))) return false;
    const lastConsumed = Math.max(-1, ...messages.map((id) => consumedAt.get(id)!));
    const reason = lastStatus?.event.stop_reason as { type?: string } | null | undefined;
    return lastStatus !== undefined && lastStatus.index > lastConsumed && lastStatus.event.type === 'session.status_idle' && reason?.type === 'end_turn';
  }

  private waitQuiet(): Promise<void> {
    return this.recorder.waitUntil(() => this.isQuiet(), TURN_TIMEOUT_MS, `session ${this.sessionId} to finish its turns (messages ${[...this.acknowledged.keys()].join(', ')})`);
  }

  private async sendMessage(m: PlannedMessage): Promise<void> {
    const text = encodePlan(m.plan);
    const event = { type: 'user.message', content: [{ type: 'text', text }] };
    const id = await this.send(event, { what: `message ${m.plan.messageTag}`, find: (log) => log.find((e) => e.type === 'user.message' && textOf(e) === text) });
    if (id) this.acknowledged.set(m.plan.messageTag, id);
  }

  private async interruptLater(m: PlannedMessage, delayMs: number): Promise<void> {
    await sleep(delayMs);
    if (this.isAnswered(m.plan.messageTag)) return;
    // Interrupts are all alike: one in the log that this client does not know yet is the one it sent.
    const id = await this.send({ type: 'user.interrupt' }, { what: 'interrupt', find: (log) => log.find((e) => e.type === 'user.interrupt' && !this.interrupts.includes(e.id)) });
    if (id) this.interrupts.push(id);
  }

  private async confirm(toolUseId: string): Promise<void> {
    await sleep(this.rng.int(0, 300));
    const deny = this.rng.chance(0.2);
    this.confirmations.sent++;
    if (deny) this.confirmations.denied++;
    const event = { type: 'user.tool_confirmation', tool_use_id: toolUseId, result: deny ? 'deny' : 'allow' };
    await this.send(event, {
      what: `confirmation of ${toolUseId}`,
      find: (log) => log.find((e) => e.type === 'user.tool_confirmation' && e.tool_use_id === toolUseId),
      answeredIsFine: true,
    });
  }

  /**
   * POSTs one event until it is known to be in the log; returns its id. `find` looks for it in the
   * log after a crash left the outcome unknown. `answeredIsFine`: a 400 "already been answered" means
   * an earlier attempt got through.
   */
  private async send(
    event: Record<string, unknown>,
    how: { what: string; find: (log: WireEvent[]) => WireEvent | undefined; answeredIsFine?: boolean },
  ): Promise<string | undefined> {
    const { what, find, answeredIsFine = false } = how;
    for (;;) {
      await this.gate();
      try {
        const res = await postJson<{ data: WireEvent[] }>(this.control.baseURL, `/v1/sessions/${this.sessionId}/events`, { events: [event] });
        return res.data[0]!.id;
      } catch (err) {
        if (err instanceof HttpError) {
          if (answeredIsFine && err.status === 400 && err.body.includes('already been answered')) return undefined;
          this.violations.push(`session ${this.sessionId}: sending ${what} failed: ${err.message}`);
          return undefined;
        }
      }
      this.reconciled++;
      const found = await this.findInLog(find);
      if (found) return found.id;
    }
  }

  private async findInLog(find: (log: WireEvent[]) => WireEvent | undefined): Promise<WireEvent | undefined> {
    for (;;) {
      await this.control.ready;
      try {
        return find(await listAllEvents(this.control.baseURL, this.sessionId));
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
