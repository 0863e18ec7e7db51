/**
 * Keep-alive comments for a server's open SSE streams on one shared timer (it was one setInterval
 * per stream: a Timeout each, and streams opened together were pinged together, busy or not). The
 * timer ticks every half interval; a stream that wrote nothing since the tick before last (silent
 * for between half an interval and one) gets a comment. So no stream stays silent much longer than
 * the interval, an idle one is pinged once per interval, and one whose events come at least every
 * half interval is never pinged. The timer runs only while a stream is open and never keeps the
 * process alive.
 */
export interface KeepAliveStream {
  /** `KeepAlive.ticks` at this stream's last write; the stream sets it on every write. */
  lastWriteTick: number;
  /** Writes the keep-alive comment (and so sets lastWriteTick). */
  ping(): void;
}

export class KeepAlive {
  private count = 0;
  private readonly streams = new Set<KeepAliveStream>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  /** Ticks so far: what a stream records as its last write. */
  get ticks(): number {
    return this.count;
  }

  add(stream: KeepAliveStream): void {
    stream.lastWriteTick = this.count;
    this.streams.add(stream);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), Math.max(1, this.intervalMs / 2));
      this.timer.unref();
    }
  }

  delete(stream: KeepAliveStream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** One tick of the timer (tests call it directly): pings every stream silent since the tick before last. */
  tick(): void {
    this.count++;
    // A ping may close its stream (a slow client), which deletes it: a Set's iteration allows that.
    for (const stream of this.streams) if (this.count - stream.lastWriteTick >= 2) stream.ping();
  }

  /** Streams registered (for tests). */
  get size(): number {
    return this.streams.size;
  }
}
