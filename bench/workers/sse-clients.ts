/**
 * Child process: holds many open SSE streams and stamps each event frame with the shared
 * monotonic clock the moment its bytes arrive (see child.ts and stats.ts sharedClockMs).
 */
import net from 'node:net';
import { serveWorker } from '../child.ts';
import { sharedClockMs } from '../stats.ts';

export type SseClientsRequest =
  | { kind: 'open'; baseURL: string; paths: string[] }
  | { kind: 'count' }
  | { kind: 'collect' }
  | { kind: 'close' };

/** open/close: streams open; count: frames so far; collect: [stream, seq, receivedAtMs] triples. */
export type SseClientsResult = { streams: number } | { frames: number } | { records: Float64Array };

const BATCH = 100;
const ID_LINE = /^id: (\d+)$/m;
const sockets: net.Socket[] = [];
let records: number[] = [];
let frames = 0;

/**
 * One stream over a bare socket: a hand-written GET and a scan of the raw bytes for `id:` lines,
 * so the client's own cost per frame (which lands in the latency figures) stays small. HTTP
 * chunk-size lines sit between frames and never inside one (each frame is one write).
 */
function openStream(baseURL: string, path: string, stream: number): Promise<void> {
  const url = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    sockets.push(socket);
    let buffer = '';
    let headersSeen = false;
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      const at = sharedClockMs();
      buffer += chunk.toString('latin1');
      if (!headersSeen) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = buffer.slice(0, buffer.indexOf('\r\n'));
        if (!/^HTTP\/1\.1 200 /.test(status)) {
          reject(new Error(`GET ${path} answered ${status}`));
          return;
        }
        headersSeen = true;
        buffer = buffer.slice(end + 4);
        resolve();
      }
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const match = ID_LINE.exec(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (!match) continue;
        records.push(stream, Number(match[1]), at);
        frames++;
      }
    });
  });
}

async function handle(request: SseClientsRequest): Promise<SseClientsResult> {
  switch (request.kind) {
    case 'open': {
      const first = sockets.length;
      // In batches: a thousand simultaneous connects would overflow the listen backlog.
      for (let i = 0; i < request.paths.length; i += BATCH) {
        await Promise.all(request.paths.slice(i, i + BATCH).map((p, j) => openStream(request.baseURL, p, first + i + j)));
      }
      return { streams: sockets.length };
    }
    case 'count':
      return { frames };
    case 'collect': {
      const out = Float64Array.from(records);
      records = [];
      frames = 0;
      return { records: out };
    }
    case 'close':
      for (const socket of sockets.splice(0)) socket.destroy();
      return { streams: 0 };
    default: {
      const never: never = request;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

serveWorker(handle);
