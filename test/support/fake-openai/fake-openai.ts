/**
 * A scripted OpenAI-compatible Chat Completions endpoint on 127.0.0.1, speaking the real streaming
 * wire format: `POST {base}/chat/completions` with `stream: true` answers `text/event-stream`
 * chunks (`data: {chat.completion.chunk}`), tool calls split across chunks (id and name first,
 * then the JSON arguments in pieces), usage in a last chunk with no choices, then `data: [DONE]`.
 * Each request consumes the next script entry; an extra request, an unused entry or a failed
 * expectation is recorded and fails `assertDone()`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitFor } from '../wait-for.ts';

export interface ChatRequest {
  index: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: { model: string; messages: any[]; tools?: any[]; stream?: boolean; stream_options?: unknown; max_tokens?: number; [k: string]: unknown };
}

export interface ToolCallSpec {
  id?: string;
  name: string;
  arguments: unknown;
}

export type ChatTurn =
  | { kind: 'reply'; text?: string; toolCalls?: ToolCallSpec[]; finishReason?: string; usage?: { prompt: number; completion: number; cached?: number }; expect?: (r: ChatRequest) => void; chunkSize?: number }
  | { kind: 'error'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Streams `text` and then holds the connection open until the client goes away. */
  | { kind: 'stall'; text: string };

export interface FakeOpenAI {
  /** Base URL for a card's `base_url`, e.g. http://127.0.0.1:4123/v1. */
  readonly url: string;
  readonly requests: readonly ChatRequest[];
  readonly failures: readonly string[];
  script(turns: ChatTurn[]): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly ChatRequest[]>;
  /** Resolves when a stalled response has sent its text; `closed` resolves when the client left. */
  waitForStall(timeoutMs?: number): Promise<{ request: ChatRequest; closed: Promise<void> }>;
  assertDone(): void;
  close(): Promise<void>;
}

const pieces = (text: string, size: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
};

function chunk(id: string, model: string, delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** The SSE frames of one scripted reply. */
export function replyFrames(turn: Extract<ChatTurn, { kind: 'reply' }>, model: string, n: number): string[] {
  const id = `chatcmpl-fake${n}`;
  const size = turn.chunkSize ?? 4;
  const frames = [chunk(id, model, { role: 'assistant', content: '' })];
  for (const piece of pieces(turn.text ?? '', size)) frames.push(chunk(id, model, { content: piece }));
  (turn.toolCalls ?? []).forEach((call, index) => {
    const callId = call.id ?? `call_fake${n}_${index}`;
    frames.push(chunk(id, model, { tool_calls: [{ index, id: callId, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const piece of pieces(JSON.stringify(call.arguments), size)) frames.push(chunk(id, model, { tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  frames.push(chunk(id, model, {}, turn.finishReason ?? ((turn.toolCalls ?? []).length > 0 ? 'tool_calls' : 'stop')));
  const usage = turn.usage ?? { prompt: 11, completion: 7 };
  frames.push(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion, prompt_tokens_details: { cached_tokens: usage.cached ?? 0 } } })}\n\n`);
  frames.push('data: [DONE]\n\n');
  return frames;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: ChatRequest[] = [];
  const failures: string[] = [];
  let turns: ChatTurn[] = [];
  const stalls: { request: ChatRequest; closed: Promise<void> }[] = [];
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      failures.push(`unexpected ${req.method} ${path}`);
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
      return;
    }
    const request: ChatRequest = { index: requests.length, path, headers: req.headers, body: (await readBody(req)) as ChatRequest['body'] };
    requests.push(request);
    const turn = turns.shift();
    if (!turn) {
      failures.push(`request ${request.index} had no script entry left`);
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'fake: no script entry left', type: 'server_error' } }));
      return;
    }
    if (turn.kind === 'error') {
      res.writeHead(turn.status, { 'content-type': 'application/json', ...(turn.headers ?? {}) });
      res.end(JSON.stringify(turn.body ?? { error: { message: `fake error ${turn.status}`, type: turn.status === 429 ? 'rate_limit_error' : 'server_error', code: null } }));
      return;
    }
    if (turn.kind === 'reply' && turn.expect) {
      try {
        turn.expect(request);
      } catch (error) {
        failures.push(`request ${request.index}: ${(error as Error).message}`);
      }
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (turn.kind === 'stall') {
      const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
      for (const piece of pieces(turn.text, 4)) res.write(chunk('chatcmpl-stall', request.body.model, { content: piece }));
      stalls.push({ request, closed });
      return;
    }
    for (const frame of replyFrames(turn, request.body.model, request.index)) res.write(frame);
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      failures.push(`fake failed: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const until = <T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<NonNullable<T>> => waitFor(probe, { timeoutMs, intervalMs: 5, message: `fake-openai: ${what}` });
  let stallsClaimed = 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    failures,
    script(next) {
      turns = [...next];
    },
    waitForRequests: (count, timeoutMs = 5000) => until(`${count} requests`, () => (requests.length >= count ? requests : undefined), timeoutMs),
    async waitForStall(timeoutMs = 5000) {
      const index = stallsClaimed++;
      return until('a stall', () => stalls[index], timeoutMs);
    },
    assertDone() {
      const problems = [...failures, ...turns.map((t) => `unused script entry: ${t.kind}`)];
      if (problems.length > 0) throw new Error(`fake-openai: ${problems.join('; ')}`);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
