/**
 * A loopback webhook receiver (the customer's endpoint): records every POST with its headers and raw
 * body and answers each path with the status its handler returns (default 200). Verification is the
 * test's, with the SDK's own `client.beta.webhooks.unwrap`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedDelivery[];
  /** Requests to `path` so far. */
  at(path: string): ReceivedDelivery[];
  /**
   * How `path` answers (called per request, in order); default 200; 0 = never (the request hangs
   * until close); a promise holds the answer until it resolves.
   */
  respond(path: string, status: (n: number) => number | Promise<number>): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  const handlers = new Map<string, (n: number) => number | Promise<number>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
      received.push({ path, headers, body: Buffer.concat(chunks).toString('utf8') });
      const n = received.filter((r) => r.path === path).length;
      void Promise.resolve(handlers.get(path)?.(n) ?? 200).then((status) => {
        if (status === 0 || res.destroyed) return;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    at: (path) => received.filter((r) => r.path === path),
    respond: (path, status) => void handlers.set(path, status),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
