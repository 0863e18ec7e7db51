/**
 * The stream reader against a real loopback SSE server: the first connection sends events 1–3 and
 * a delta, then drops; the reconnect must carry Last-Event-ID: 3, and the overlap the server replays
 * (2, 3) must not be delivered twice.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionEventStream } from './event-stream.ts';

const frame = (seq: number) => `event: agent.message\nid: ${seq}\ndata: ${JSON.stringify({ type: 'agent.message', id: `sevt_${seq}` })}\n\n`;

describe('SessionEventStream', () => {
  let server: Server;
  let url = '';
  const requests: IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.headers);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (requests.length === 1) {
        res.write(`retry: 10\n\n${frame(1)}: keep-alive\n\n${frame(2)}`);
        res.write(`event: event_delta\ndata: ${JSON.stringify({ type: 'event_delta', event_id: 'sevt_4', delta: { content: { text: 'hi' } } })}\n\n`);
        res.end(frame(3));
      } else {
        res.write(frame(2) + frame(3) + frame(4));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('resumes after a drop with the last sequence number and delivers each event once, in order', async () => {
    const seqs: number[] = [];
    const deltas: unknown[] = [];
    const states: string[] = [];
    const stream = new SessionEventStream({
      url,
      backoffMs: () => 0,
      handlers: { onEvent: (_e, seq) => seqs.push(seq), onEphemeral: (f) => deltas.push(f), onConnection: (s) => states.push(s) },
    });
    stream.start();
    await expect.poll(() => seqs, { timeout: 5000 }).toEqual([1, 2, 3, 4]);
    stream.stop();
    expect(requests[0]!['last-event-id']).toBe('0');
    expect(requests[1]!['last-event-id']).toBe('3');
    expect(deltas).toEqual([expect.objectContaining({ type: 'event_delta', event_id: 'sevt_4' })]);
    expect(states).toEqual(['connecting', 'live', 'reconnecting', 'reconnecting', 'live']);
  });
});
