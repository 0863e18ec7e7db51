/**
 * A scripted Anthropic Messages API on 127.0.0.1: each `POST /v1/messages` consumes the next
 * script entry. Every request is recorded; surprises (an extra call, a failed expectation, an
 * unknown route) are answered with an error envelope and kept for `assertDone()`, so a test fails
 * even when the code under test swallowed the error response.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { respondWithTurn, sendError } from './respond.ts';
import { resolveEntry, type RecordedRequest, type ScriptEntry, type Turn } from './turns.ts';
import { Waiters } from './waiters.ts';

/** A stalled streaming request, held open until the client disconnects. */
export interface StallHandle {
  request: RecordedRequest;
  /** Resolves when the client closed the connection. */
  closed: Promise<void>;
}

export interface FakeModel {
  /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every request received, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Surprises so far; `assertDone()` throws when this is non-empty. */
  readonly failures: readonly string[];
  /** Replaces the queued script. */
  script(entries: ScriptEntry[]): void;
  /** Appends entries to the script. */
  push(...entries: ScriptEntry[]): void;
  /** Throws when a script entry is unused or any surprise was recorded. */
  assertDone(): void;
  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly RecordedRequest[]>;
  /** Resolves with the next stall not yet claimed by an earlier call, once it has stalled. */
  waitForStall(timeoutMs?: number): Promise<StallHandle>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

function describeEntry(entry: ScriptEntry): string {
  if (typeof entry === 'function') return 'a function entry';
  return 'kind' in entry ? `a ${entry.kind} turn` : `a ${entry.type} reply`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const piece of req) chunks.push(piece as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function checkExpectation(turn: Turn, request: RecordedRequest): string | undefined {
  if (!turn.expect) return undefined;
  try {
    return turn.expect(request) ?? undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function startFakeModel(): Promise<FakeModel> {
  const queue: ScriptEntry[] = [];
  const requests: RecordedRequest[] = [];
  const failures: string[] = [];
  const stalls: StallHandle[] = [];
  const waiters = new Waiters();
  let claimedStalls = 0;

  const fail = (res: ServerResponse, status: number, message: string): void => {
    failures.push(message);
    sendError(res, status, message);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    let body: unknown = {};
    let parseError: string | undefined;
    try {
      body = raw === '' ? {} : JSON.parse(raw);
    } catch (error) {
      parseError = `request body is not JSON: ${(error as Error).message}`;
    }
    const request: RecordedRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: body as RecordedRequest['body'],
    };
    requests.push(request);
    waiters.notify();
    const label = `fake-model request #${request.index} (${request.method} ${path})`;
    if (request.method !== 'POST' || path !== '/v1/messages') return fail(res, 404, `${label}: no such route`);
    if (parseError) return fail(res, 400, `${label}: ${parseError}`);
    const entry = queue.shift();
    if (entry === undefined) return fail(res, 500, `${label}: unexpected call, the script has no entries left`);
    let turn: Turn;
    try {
      turn = resolveEntry(entry, request);
    } catch (error) {
      return fail(res, 400, `${label}: script function threw: ${(error as Error).message}`);
    }
    const mismatch = checkExpectation(turn, request);
    if (mismatch !== undefined) return fail(res, 400, `${label}: expectation failed: ${mismatch}`);
    await answer(turn, request, res);
  }

  async function answer(turn: Turn, request: RecordedRequest, res: ServerResponse): Promise<void> {
    const closedController = new AbortController();
    const closed = new Promise<void>((resolve) => {
      res.once('close', () => {
        closedController.abort();
        resolve();
      });
    });
    const body = request.body as { stream?: boolean; model?: string };
    await respondWithTurn(turn, {
      res,
      stream: body.stream === true,
      model: body.model,
      closed: closedController.signal,
      onStall: () => {
        stalls.push({ request, closed });
        waiters.notify();
      },
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      failures.push(`fake-model crashed: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) sendError(res, 500, 'fake-model crashed');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failures,
    script(entries) {
      queue.splice(0, queue.length, ...entries);
    },
    push(...entries) {
      queue.push(...entries);
    },
    assertDone() {
      const problems = [...failures];
      if (queue.length > 0) {
        problems.push(`${queue.length} script entr${queue.length === 1 ? 'y was' : 'ies were'} never used: ${queue.map(describeEntry).join(', ')}`);
      }
      if (problems.length > 0) throw new Error(`fake model script not satisfied:\n- ${problems.join('\n- ')}`);
    },
    async waitForRequests(count, timeoutMs = 5_000) {
      await waiters.until(() => requests.length >= count, timeoutMs, `${count} request(s) (got ${requests.length})`);
      return requests;
    },
    async waitForStall(timeoutMs = 5_000) {
      const position = claimedStalls++;
      await waiters.until(() => stalls.length > position, timeoutMs, `stall #${position + 1}`);
      return stalls[position]!;
    },
    async close() {
      waiters.rejectAll(new Error('fake model closed'));
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
