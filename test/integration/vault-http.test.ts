/**
 * VaultHttp (webhook deliveries, OAuth refreshes, credential probes) against real loopback servers
 * that misbehave: one that answers its headers and then drips the body, one whose body never ends.
 * Neither may hold the caller past the timeout (the webhook dispatcher's pass waits for every send).
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VaultHttp } from '../../src/vault/vault-http.ts';
import { EgressPolicy } from '../../src/vault/egress-policy.ts';

describe('VaultHttp bounds a whole exchange', () => {
  let server: Server;
  let base: string;
  const open = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      open.add(res);
      res.on('close', () => open.delete(res));
      if (req.url === '/drip') {
        // Headers at once, then a byte every 100 ms forever: never silent long enough for an idle timeout.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => res.write('.'), 100);
        timers.add(timer);
        res.on('close', () => clearInterval(timer));
        return;
      }
      if (req.url === '/endless') {
        // An endless 200 body, as fast as the socket takes it.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(16 * 1024, 0x61);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
        };
        res.on('drain', pump);
        pump();
        return;
      }
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const http = () => new VaultHttp({ policy: new EgressPolicy(['127.0.0.1']), timeoutMs: 1_000 });

  it('fails a response that keeps dripping past the timeout instead of waiting for its end', async () => {
    await expect(http().post(`${base}/drip`, { headers: {}, body: '{}' })).rejects.toThrow(/within 1 s/);
    // The server side of that connection is gone (the client dropped it).
    await expect.poll(() => open.size).toBe(0);
  });

  it('stops reading an endless body at the cap: truncated, connection dropped', async () => {
    const response = await http().post(`${base}/endless`, { headers: {}, body: '{}' });
    expect(response).toMatchObject({ status: 200, truncated: true });
    expect(response.body.length).toBe(64 * 1024);
    await expect.poll(() => open.size).toBe(0);
  });

  it('still returns an ordinary response', async () => {
    expect(await http().post(`${base}/ok`, { headers: {}, body: '{}' })).toMatchObject({ status: 204, body: '', truncated: false });
  });
});
