/**
 * A loopback MCP server built with the official SDK (Streamable HTTP, stateful sessions; the legacy
 * SSE transport under /sse), the stand-in for a remote MCP service. Tools: `lookup_weather` (fast
 * answer), `slow_task` (runs until `releaseSlow()` or the client gives up), `always_fails`
 * (isError result), `broken_protocol` (a JSON-RPC error), `get_image` (a PNG), `big_result`
 * (more text than the server's limit), and `filler_*` tools so the listing takes several pages.
 * Optional bearer auth: accepted tokens are checked per HTTP request (401 with WWW-Authenticate
 * otherwise); `/token` is an OAuth token endpoint (refresh_token grant, rotating refresh tokens).
 * `stop()` / `start()` take it down and bring it back on the same port.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { CallToolRequestSchema, ListToolsRequestSchema, McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';

/** A 1×1 PNG. */
export const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const TOOLS = [
  { name: 'lookup_weather', description: 'Current weather for a city.', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'slow_task', description: 'Takes a long time.', inputSchema: { type: 'object', properties: {} } },
  { name: 'always_fails', description: 'Always fails.', inputSchema: { type: 'object', properties: {} } },
  { name: 'broken_protocol', description: 'Answers with a JSON-RPC error.', inputSchema: { type: 'object', properties: {} } },
  { name: 'get_image', description: 'Returns a picture.', inputSchema: { type: 'object', properties: {} } },
  { name: 'big_result', description: 'Returns a lot of text.', inputSchema: { type: 'object', properties: {} } },
  ...Array.from({ length: 5 }, (_, i) => ({ name: `filler_${i}`, description: `Filler ${i}.`, inputSchema: { type: 'object', properties: {} } })),
];
const PAGE_SIZE = 3;

export interface FakeMcpOptions {
  /** Tokens accepted as `Authorization: Bearer …`; unset: no auth required. */
  acceptedTokens?: Set<string>;
  /** OAuth token endpoint: the refresh token currently valid and what a refresh returns. */
  oauth?: { refreshToken: string; clientId: string; next: () => { access_token: string; refresh_token?: string; expires_in?: number } };
  /** Size of big_result's text. */
  bigResultBytes?: number;
}

export interface FakeMcp {
  readonly url: string;
  /** initialize requests seen (one per MCP session opened). */
  initializes: number;
  /** MCP sessions ended by the client (Streamable HTTP DELETE). */
  terminated: number;
  /** tools/list requests (pages). */
  listRequests: number;
  /** tools/call count by tool name. */
  calls: Record<string, number>;
  /** Every Authorization header received (for the token-flow assertions). */
  authHeaders: (string | undefined)[];
  /** Refresh-token grants received. */
  refreshes: number;
  /** Resolves when slow_task has been called `n` times in total. */
  waitForSlowCall(n: number): Promise<void>;
  releaseSlow(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function startFakeMcp(options: FakeMcpOptions = {}): Promise<FakeMcp> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const sseTransports = new Map<string, SSEServerTransport>();
  const sockets = new Set<Socket>();
  let slowRelease: (() => void)[] = [];
  let slowWaiters: { n: number; resolve: () => void }[] = [];

  const makeServer = (): Server => {
    const server = new Server({ name: 'fake-mcp', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, (request) => {
      state.listRequests++;
      const start = request.params?.cursor ? Number(request.params.cursor) : 0;
      const page = TOOLS.slice(start, start + PAGE_SIZE);
      return { tools: page, ...(start + PAGE_SIZE < TOOLS.length ? { nextCursor: String(start + PAGE_SIZE) } : {}) };
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const name = request.params.name;
      state.calls[name] = (state.calls[name] ?? 0) + 1;
      switch (name) {
        case 'lookup_weather':
          return { content: [{ type: 'text', text: `Weather in ${String(request.params.arguments?.city)}: 21°C, sunny (fake-mcp).` }] };
        case 'slow_task': {
          const total = state.calls[name];
          for (const w of slowWaiters.filter((w) => total >= w.n)) w.resolve();
          slowWaiters = slowWaiters.filter((w) => total < w.n);
          await new Promise<void>((resolve) => {
            slowRelease.push(resolve);
            extra.signal.addEventListener('abort', () => resolve());
          });
          return { content: [{ type: 'text', text: 'slow task done' }] };
        }
        case 'always_fails':
          return { isError: true, content: [{ type: 'text', text: 'the widget backend is on fire' }] };
        case 'broken_protocol':
          throw new McpError(ErrorCode.InvalidParams, 'broken_protocol refuses every argument');
        case 'get_image':
          return { content: [{ type: 'text', text: 'a tiny picture:' }, { type: 'image', data: PNG_1X1, mimeType: 'image/png' }] };
        case 'big_result':
          return { content: [{ type: 'text', text: 'x'.repeat(options.bigResultBytes ?? 200_000) }] };
        default:
          return { content: [{ type: 'text', text: `${name} ok` }] };
      }
    });
    return server;
  };

  const unauthorized = (res: ServerResponse) => {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="fake-mcp"' });
    res.end(JSON.stringify({ error: 'invalid_token' }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/token') {
      const form = new URLSearchParams(await readBody(req));
      state.refreshes++;
      const oauth = options.oauth;
      if (!oauth || form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== oauth.refreshToken || form.get('client_id') !== oauth.clientId) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_grant' }));
        return;
      }
      const tokens = oauth.next();
      if (tokens.refresh_token) oauth.refreshToken = tokens.refresh_token;
      options.acceptedTokens?.add(tokens.access_token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...tokens, token_type: 'Bearer' }));
      return;
    }
    state.authHeaders.push(req.headers.authorization);
    if (options.acceptedTokens) {
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      if (!token || !options.acceptedTokens.has(token)) return unauthorized(res);
    }
    if (path === '/sse' && req.method === 'GET') {
      const transport = new SSEServerTransport('/sse/messages', res);
      sseTransports.set(transport.sessionId, transport);
      res.on('close', () => sseTransports.delete(transport.sessionId));
      state.initializes++;
      await makeServer().connect(transport);
      return;
    }
    if (path === '/sse/messages' && req.method === 'POST') {
      const transport = sseTransports.get(new URL(req.url!, 'http://x').searchParams.get('sessionId') ?? '');
      if (!transport) {
        res.writeHead(404).end();
        return;
      }
      await transport.handlePostMessage(req, res);
      return;
    }
    if (path === '/sse') {
      // An SSE-only server does not speak Streamable HTTP.
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || 'null') as unknown : undefined;
    let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    if (!transport) {
      if (req.method !== 'POST' || !(body as { method?: string } | null)?.method || (body as { method: string }).method !== 'initialize') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      state.initializes++;
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void transports.set(id, created),
        onsessionclosed: (id) => {
          transports.delete(id);
          state.terminated++;
        },
      });
      transport = created;
      await makeServer().connect(created);
    }
    await transport.handleRequest(req, res, body);
  };

  let http: HttpServer | undefined;
  let port = 0;
  const start = async () => {
    http = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
    http.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => http!.listen(port, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
  };
  const stop = async () => {
    for (const s of sockets) s.destroy();
    for (const t of transports.values()) await t.close().catch(() => undefined);
    transports.clear();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    http = undefined;
  };
  await start();
  const state: FakeMcp = {
    url: `http://127.0.0.1:${port}`,
    initializes: 0,
    terminated: 0,
    listRequests: 0,
    calls: {},
    authHeaders: [],
    refreshes: 0,
    waitForSlowCall: (n) => new Promise<void>((resolve) => {
      if ((state.calls.slow_task ?? 0) >= n) resolve();
      else slowWaiters.push({ n, resolve });
    }),
    releaseSlow: () => {
      for (const r of slowRelease) r();
      slowRelease = [];
    },
    stop,
    start,
    close: async () => {
      state.releaseSlow();
      await stop();
    },
  };
  return state;
}
