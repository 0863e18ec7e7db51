/**
 * JSON request bodies are read whole however they arrive (issue 19: a body node has already
 * received is taken from its buffer at once; one still arriving is read as a stream): sent with the
 * headers, trickled in after them, split inside a multi-byte character, with a byte-order mark,
 * empty, or chunked. Raw sockets, so the test decides how the bytes are cut.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Lets the server's event loop run between two writes, so later pieces arrive in later reads. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

describe.each(BACKENDS)('request bodies (%s)', (backend) => {
  let t: TestServer;
  let sessionId: string;
  beforeAll(async () => {
    t = await startTestServer(backend);
    // A session without an agent: _test_emit only appends, it starts no turn.
    const res = await fetch(`${t.baseURL}/v1/sessions`, { method: 'POST', headers: { 'x-api-key': t.apiKey, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    sessionId = ((await res.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Sends a request head with the first piece of body, then each further piece after a pause (a header given as '' is left out); returns status and parsed JSON body. */
  async function send(path: string, pieces: Buffer[], head: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
    const url = new URL(t.baseURL);
    const length = pieces.reduce((n, p) => n + p.length, 0);
    const headers = { host: url.host, 'x-api-key': t.apiKey, 'content-type': 'application/json', 'content-length': String(length), connection: 'close', ...head };
    const socket = net.connect(Number(url.port), url.hostname);
    const response = new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.once('error', reject);
      socket.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const requestHead = `POST ${path} HTTP/1.1\r\n${Object.entries(headers).filter(([, v]) => v !== '').map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    // The first piece goes with the head (node has all of it buffered when the route reads it); later ones trickle.
    socket.write(Buffer.concat([Buffer.from(requestHead), pieces[0] ?? Buffer.alloc(0)]));
    for (const piece of pieces.slice(1)) {
      await pause();
      socket.write(piece);
    }
    const text = await response;
    const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    // chunked responses: take the JSON between the first '{' and the last '}'.
    return { status, json: JSON.parse(body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1)) as Record<string, unknown> };
  }

  const emitPath = () => `/v1/sessions/${sessionId}/_test_emit`;
  const textOf = (json: Record<string, unknown>) => (json.content as { text: string }[])[0]!.text;

  it('a body sent with its headers, or trickled in after them, is read whole', async () => {
    const whole = Buffer.from(JSON.stringify({ text: 'in one piece' }));
    const url = new URL(t.baseURL);
    const res = await fetch(`${url.origin}${emitPath()}`, { method: 'POST', headers: { 'x-api-key': t.apiKey, 'content-type': 'application/json' }, body: whole });
    expect(res.status).toBe(200);
    expect(textOf((await res.json()) as Record<string, unknown>)).toBe('in one piece');
    const trickled = Buffer.from(JSON.stringify({ text: 'in three pieces' }));
    const got = await send(emitPath(), [Buffer.alloc(0), trickled.subarray(0, 5), trickled.subarray(5, 12), trickled.subarray(12)]);
    expect(got.status).toBe(200);
    expect(textOf(got.json)).toBe('in three pieces');
  });

  it('bodies on one keep-alive connection are each read whole, and the connection stays usable', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        const body = JSON.stringify({ text: `request ${i}` });
        const got = await new Promise<{ status: number; reused: boolean; json: Record<string, unknown> }>((resolve, reject) => {
          const req = http.request(`${t.baseURL}${emitPath()}`, { method: 'POST', agent, headers: { 'x-api-key': t.apiKey, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
          req.once('error', reject);
          req.once('response', (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.once('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, json: JSON.parse(text) as Record<string, unknown> }));
          });
          req.end(body);
        });
        expect(got.status).toBe(200);
        expect(textOf(got.json)).toBe(`request ${i}`);
        expect(got.reused).toBe(i > 0);
      }
    } finally {
      agent.destroy();
    }
  });

  it('a multi-byte character split between pieces, and a leading byte-order mark, decode as UTF-8 text', async () => {
    const text = 'héllo wörld ✓ 🦊';
    const bytes = Buffer.from(JSON.stringify({ text }));
    const fox = bytes.indexOf(Buffer.from('🦊'));
    const split = await send(emitPath(), [Buffer.alloc(0), bytes.subarray(0, fox + 2), bytes.subarray(fox + 2)]);
    expect(split.status).toBe(200);
    expect(textOf(split.json)).toBe(text);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    for (const pieces of [[bom], [Buffer.alloc(0), bom.subarray(0, 2), bom.subarray(2)]]) {
      const withBom = await send(emitPath(), pieces);
      expect(withBom.status).toBe(200);
      expect(textOf(withBom.json)).toBe(text);
    }
  });

  it('an empty body reads as {} (here: the required field is missing)', async () => {
    const got = await send(emitPath(), []);
    expect(got.status).toBe(400);
    expect(got.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/text/) } });
  });

  it('a chunked body is read whole', async () => {
    const body = JSON.stringify({ text: 'chunked' });
    const chunk = (s: string) => Buffer.from(`${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`);
    const got = await send(emitPath(), [chunk(body.slice(0, 6)), chunk(body.slice(6)), Buffer.from('0\r\n\r\n')], { 'content-length': '', 'transfer-encoding': 'chunked' });
    expect(got.status).toBe(200);
    expect(textOf(got.json)).toBe('chunked');
  });
});
