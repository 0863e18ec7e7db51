/**
 * Child process: holds many open SSE streams and stamps each event frame with the shared
 * monotonic clock the moment its bytes arrive (see child.ts and stats.ts sharedClockMs).
 */
import http from 'node:http';
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
const requests: http.ClientRequest[] = [];
let records: number[] = [];
let frames = 0;

function openStream(url: string, stream: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } });
    requests.push(req);
    req.once('error', reject);
    req.once('response', (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET ${url} answered ${res.statusCode}`));
        return;
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = sharedClockMs();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const match = ID_LINE.exec(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (!match) continue;
          records.push(stream, Number(match[1]), at);
          frames++;
        }
        resolve(); // The first bytes (the retry: line) say the stream is live.
      });
      res.on('error', () => undefined); // Closed by us at the end of the run.
    });
  });
}

async function handle(request: SseClientsRequest): Promise<SseClientsResult> {
  switch (request.kind) {
    case 'open': {
      const first = requests.length;
      // In batches: a thousand simultaneous connects would overflow the listen backlog.
      for (let i = 0; i < request.paths.length; i += BATCH) {
        await Promise.all(request.paths.slice(i, i + BATCH).map((p, j) => openStream(`${request.baseURL}${p}`, first + i + j)));
      }
      return { streams: requests.length };
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
      for (const req of requests.splice(0)) req.destroy();
      return { streams: 0 };
    default: {
      const never: never = request;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

serveWorker(handle);
