/**
 * The baseline of SSE fan-out: a bare node:http server that keeps each stream's response in a
 * set per session and writes one pre-serialised frame to all of them, with no framework, replay,
 * per-stream queue or backpressure bound.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareSseServer {
  url: string;
  /** Writes `frame` to every open stream of the session. */
  publish(sessionId: string, frame: string): void;
  close(): Promise<void>;
}

const ROUTE = /^\/v1\/sessions\/([^/]+)\/events\/stream$/;

export async function startBareSseServer(): Promise<BareSseServer> {
  const streams = new Map<string, Set<http.ServerResponse>>();
  const server = http.createServer((req, res) => {
    const match = req.method === 'GET' ? ROUTE.exec(req.url ?? '') : null;
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const id = match[1]!;
    let set = streams.get(id);
    if (!set) streams.set(id, (set = new Set()));
    set.add(res);
    res.once('close', () => set.delete(res));
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
  });
  server.maxConnections = 100_000;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    publish(sessionId, frame) {
      for (const res of streams.get(sessionId) ?? []) res.write(frame);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
