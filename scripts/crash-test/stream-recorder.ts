/**
 * Keeps one SSE stream of a session open across server crashes: every time the server comes back
 * it reconnects with `Last-Event-ID` = the last id it received. It records every event frame and
 * checks that each connection continues exactly where the previous one stopped (next id, no gap,
 * no repeat), which is the resume guarantee after a restart.
 */
import { parseFrame } from '../../test/support/sse-client.ts';
import type { ServerControl } from './server-control.ts';
import type { WireEvent } from './api.ts';
import { sleep } from './api.ts';

export interface RecordedFrame {
  seq: number;
  type: string;
  data: WireEvent;
  /** Which connection (1, 2, …) delivered it. */
  connection: number;
}

/** Notified of every frame of every recorder (kill triggers listen here). */
export type FrameListener = (frame: RecordedFrame, recorder: StreamRecorder) => void;

export class StreamRecorder {
  readonly frames: RecordedFrame[] = [];
  readonly violations: string[] = [];
  lastSeq = 0;
  connections = 0;
  private stopped = false;
  private controller: AbortController | undefined;
  private readonly waiters = new Set<() => void>();
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly control: ServerControl,
    readonly sessionId: string,
    private readonly options: { deltas: boolean; onFrame?: FrameListener },
  ) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    this.notify();
    await this.done;
  }

  /** Resolves when `check()` holds over the frames; rejects after `timeoutMs`. */
  waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const attempt = () => {
        if (!check()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
      };
      this.waiters.add(attempt);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.control.ready;
      if (this.stopped) return;
      const generation = this.control.generation;
      try {
        await this.connect();
      } catch {
        // Connection refused or reset: the server died; reconnect once it is back.
      }
      // The same server ending a stream is unexpected (it only does so for slow clients); don't spin.
      if (!this.stopped && this.control.isUp && this.control.generation === generation) await sleep(50);
    }
  }

  private async connect(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    const query = `include_extensions=true${this.options.deltas ? '&event_deltas[]=agent.message' : ''}`;
    const res = await fetch(`${this.control.baseURL}/v1/sessions/${this.sessionId}/events/stream?${query}`, {
      headers: { accept: 'text/event-stream', 'last-event-id': String(this.lastSeq) },
      signal: controller.signal,
    });
    if (res.status !== 200 || !res.body) {
      this.violations.push(`stream of ${this.sessionId} after ${this.lastSeq}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      return;
    }
    const connection = ++this.connections;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        this.onRaw(buffer.slice(0, at), connection);
        buffer = buffer.slice(at + 2);
      }
    }
  }

  private onRaw(raw: string, connection: number): void {
    const frame = parseFrame(raw);
    if (frame.data === undefined) return; // retry: / heartbeat comments
    if (frame.id === undefined) {
      if (frame.event !== 'event_start' && frame.event !== 'event_delta') this.violations.push(`stream of ${this.sessionId}: frame without id: ${raw.slice(0, 200)}`);
      return;
    }
    const seq = Number(frame.id);
    const data = JSON.parse(frame.data) as WireEvent;
    if (data.type !== frame.event) this.violations.push(`stream of ${this.sessionId}: frame ${seq} says event ${frame.event} but carries ${data.type}`);
    if (seq <= this.lastSeq) {
      this.violations.push(`stream of ${this.sessionId} (connection ${connection}): id ${seq} again after ${this.lastSeq}`);
      return;
    }
    if (seq !== this.lastSeq + 1) this.violations.push(`stream of ${this.sessionId} (connection ${connection}): after id ${this.lastSeq} came ${seq} (gap)`);
    const recorded: RecordedFrame = { seq, type: data.type, data, connection };
    this.frames.push(recorded);
    this.lastSeq = seq;
    this.options.onFrame?.(recorded, this);
    this.notify();
  }
}
