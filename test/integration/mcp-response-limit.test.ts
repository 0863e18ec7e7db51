/**
 * What the server reads of one MCP response is bounded (a few times MCP_MAX_RESULT_BYTES): an MCP
 * server is the tenant's choice, and the MCP SDK reads a JSON answer whole, so an endless answer
 * would otherwise fill the server's memory before any result size check. A real loopback server
 * plays the MCP server; the store (both backends) is the one the access reads credentials from.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { VaultMcpAccess } from '../../src/vault/mcp-access.ts';
import { OAuthRefresher } from '../../src/vault/oauth-refresh.ts';
import { EgressPolicy } from '../../src/vault/egress-policy.ts';
import { VaultHttp } from '../../src/vault/vault-http.ts';
import { AesGcmSecretBox } from '../../src/vault/secret-box.ts';

describe.each(BACKENDS)('MCP responses are read up to a bound (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  let server: Server;
  let base: string;
  const open = new Set<ServerResponse>();

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
    server = createServer((req, res) => {
      req.resume();
      open.add(res);
      res.on('close', () => open.delete(res));
      if (req.url === '/endless') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
        };
        res.on('drain', pump);
        pump();
        return;
      }
      if (req.url === '/accepted') return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await store?.close();
    await db?.drop();
  });

  const access = () => {
    const policy = new EgressPolicy(['127.0.0.1']);
    const refresher = new OAuthRefresher({ store, secretBox: new AesGcmSecretBox('r'.repeat(64)), http: new VaultHttp({ policy }) });
    return new VaultMcpAccess({ store, refresher, policy, maxResultBytes: 1024 });
  };
  const post = (path: string) => access().open({ tenantId: 't1', sessionId: 'sesn_none' }, { name: 'big', url: `${base}/mcp` }).fetch(`${base}${path}`, { method: 'POST', body: '{}' });

  it('cuts off a response body past the bound with a readable error and drops the connection', async () => {
    const response = await post('/endless');
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow(/MCP server "big" .* sent more than 1052672 bytes in one response/);
    await expect.poll(() => open.size).toBe(0);
  });

  it('passes ordinary answers and bodiless statuses through unchanged', async () => {
    const ok = await post('/ok');
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(await ok.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    expect((await post('/accepted')).status).toBe(202);
  });
});
