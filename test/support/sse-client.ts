/**
 * A raw SSE client over fetch for tests: parses frames (event, id, data lines, comments, retry)
 * exactly as sent, so tests can check the wire format the SDK hides, and await "N frames".
 */

export interface SseFrame {
  event?: string;
  id?: string;
  /** data: lines joined with "\n" (undefined when the frame had none). */
  data?: string;
  /** Number of data: lines (the server must send one per frame). */
  dataLines: number;
  retry?: string;
  comments: string[];
  /** The frame's raw text, without the blank line that ended it. */
  raw: string;
}

export interface SseConnection {
  response: Response;
  status: number;
  headers: Headers;
  /** Every frame so far (comment-only frames included). */
  frames: SseFrame[];
  /** Frames that carry an event (an event: or data: field). */
  events(): SseFrame[];
  /** Event frames' ids as numbers. */
  ids(): number[];
  /** Resolves once `n` event frames arrived; rejects on timeout or if the stream ends first. */
  waitForEvents(n: number, timeoutMs?: number): Promise<SseFrame[]>;
  /** Resolves when a frame matching `pred` arrived. */
  waitForFrame(pred: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** Resolves when the server ended the stream (or the connection broke). */
  ended: Promise<void>;
  isEnded(): boolean;
  close(): void;
}

export function parseFrame(raw: string): SseFrame {
  const f: SseFrame = { dataLines: 0, comments: [], raw };
  const data: string[] = [];
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) {
      f.comments.push(line.slice(1).trim());
      continue;
    }
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') f.event = value;
    else if (field === 'id') f.id = value;
    else if (field === 'retry') f.retry = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length > 0) f.data = data.join('\n');
  f.dataLines = data.length;
  return f;
}

export async function openSse(url: string, init: RequestInit = {}): Promise<SseConnection> {
  const controller = new AbortController();
  const headers = new Headers(init.headers);
  if (!headers.has('accept')) headers.set('accept', 'text/event-stream');
  const response = await fetch(url, { ...init, headers, signal: controller.signal });
  const frames: SseFrame[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const isEvent = (f: SseFrame) => f.event !== undefined || f.data !== undefined;
  const endedPromise = (async () => {
    if (!response.body || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return;
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          frames.push(parseFrame(buf.slice(0, at)));
          buf = buf.slice(at + 2);
        }
        notify();
      }
    } catch {
      // aborted or reset
    } finally {
      ended = true;
      notify();
    }
  })();
  const waitUntil = <T>(check: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const attempt = () => {
        const v = check();
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (ended) {
          done();
          reject(new Error(`stream ended before ${what} (got ${frames.filter(isEvent).length} events)`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what} (got ${frames.filter(isEvent).length} events)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(attempt);
      };
      waiters.add(attempt);
      attempt();
    });
  const conn: SseConnection = {
    response,
    status: response.status,
    headers: response.headers,
    frames,
    events: () => frames.filter(isEvent),
    ids: () => frames.filter(isEvent).map((f) => Number(f.id)),
    waitForEvents: (n, timeoutMs = 10_000) => waitUntil(() => (conn.events().length >= n ? conn.events() : undefined), timeoutMs, `${n} events`),
    waitForFrame: (pred, timeoutMs = 10_000) => waitUntil(() => frames.find(pred), timeoutMs, 'a matching frame'),
    ended: endedPromise,
    isEnded: () => ended,
    close: () => controller.abort(),
  };
  return conn;
}
