/**
 * The baseline of `POST /v1/sessions/{id}/_test_emit`: a bare node:http server that parses the same
 * body, does the same append (sqlite-appender.ts) and answers the same wire event, with no
 * framework, validation library, auth, logging or fan-out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SqliteAppender } from './sqlite-appender.ts';

export interface BareServer {
  url: string;
  close(): Promise<void>;
}

const ROUTE = /^\/v1\/sessions\/([^/]+)\/_test_emit$/;

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startBareEmitServer(appender: SqliteAppender, tenantId: string): Promise<BareServer> {
  const server = http.createServer((req, res) => {
    const match = req.method === 'POST' ? ROUTE.exec(req.url ?? '') : null;
    if (!match) return answer(res, 404, { error: 'not found' });
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.once('end', () => {
      let body: { text?: unknown };
      try {
        body = JSON.parse(text) as { text?: unknown };
      } catch {
        return answer(res, 400, { error: 'invalid JSON' });
      }
      if (typeof body.text !== 'string') return answer(res, 400, { error: 'text must be a string' });
      const content = [{ type: 'text', text: body.text }];
      const row = appender.append({ tenantId, sessionId: match[1]!, type: 'agent.message', payloadJson: JSON.stringify({ content }) });
      if (!row) return answer(res, 404, { error: 'no such session' });
      answer(res, 200, { type: 'agent.message', id: row.id, content, processed_at: new Date(row.createdAt).toISOString() });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
