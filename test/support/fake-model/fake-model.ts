/**
 * A scripted Anthropic Messages API on 127.0.0.1: each `POST /v1/messages` consumes the next
 * script entry. Every request is recorded; surprises (an extra call, a failed expectation, an
 * unknown route) are answered with an error envelope and kept for `assertDone()`, so a test fails
 * even when the code under test swallowed the error response.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { respondWithTurn, sendError } from './respond.ts';
import { resolveEntry, type ContentSpec, type RecordedRequest, type ScriptEntry, type Turn } from './turns.ts';
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
  /**
   * Answers every request the script has no entry left for with `responder` (a model as a function
   * of the request, e.g. for randomized crash tests where the number of calls is not known up front).
   * `undefined` restores the default: such a call is a surprise.
   */
  respondWith(responder: ((request: RecordedRequest) => Turn | ContentSpec) | undefined): void;
  /** Requests being answered right now (received, response not yet closed). */
  readonly inFlight: number;
  /** Drops the recorded requests (long runs); request counts start again from zero. */
  forgetRequests(): void;
  /** Throws when a script entry is unused or any surprise was recorded. */
  assertDone(): void;
  /** Resolves once at least `count` requests have arrived (default timeout 5 s). */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly RecordedRequest[]>;
  /** Resolves with the next stall not yet claimed by an earlier call, once it has stalled. */
  waitForStall(timeoutMs?: number): Promise<StallHandle>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const DEFAULT_WAIT_MS = 5_000;

function describeEntry(entry: ScriptEntry): string {
  if (typeof entry === 'function') return 'a function entry';
  return 'kind' in entry ? `a ${entry.kind} turn` : `a ${entry.type} reply`;
}

async function readRequest(req: IncomingMessage, index: number): Promise<{ request: RecordedRequest; parseError?: string }> {
  const chunks: Buffer[] = [];
  for await (const piece of req) chunks.push(piece as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  let body: unknown = {};
  let parseError: string | undefined;
  try {
    body = raw === '' ? {} : JSON.parse(raw);
  } catch (error) {
    parseError = `request body is not JSON: ${(error as Error).message}`;
  }
  const path = (req.url ?? '/').split('?')[0]!;
  const request: RecordedRequest = { index, method: req.method ?? 'GET', path, headers: req.headers, body: body as RecordedRequest['body'], receivedAt: Date.now() };
  return { request, parseError };
}

function checkExpectation(turn: Turn, request: RecordedRequest): string | undefined {
  if (!turn.expect) return undefined;
  try {
    return turn.expect(request) ?? undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

class ScriptedFakeModel implements FakeModel {
  readonly requests: RecordedRequest[] = [];
  readonly failures: string[] = [];
  readonly #queue: ScriptEntry[] = [];
  readonly #stalls: StallHandle[] = [];
  readonly #waiters = new Waiters();
  readonly #server: Server;
  #claimedStalls = 0;
  #responder: ((request: RecordedRequest) => Turn | ContentSpec) | undefined;
  #inFlight = 0;
  url = '';

  get inFlight(): number {
    return this.#inFlight;
  }

  constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        this.failures.push(`fake-model crashed: ${(error as Error).stack ?? String(error)}`);
        if (!res.headersSent) sendError(res, 500, 'fake-model crashed');
        else res.destroy();
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  script(entries: ScriptEntry[]): void {
    this.#queue.splice(0, this.#queue.length, ...entries);
  }

  push(...entries: ScriptEntry[]): void {
    this.#queue.push(...entries);
  }

  respondWith(responder: ((request: RecordedRequest) => Turn | ContentSpec) | undefined): void {
    this.#responder = responder;
  }

  forgetRequests(): void {
    this.requests.length = 0;
  }

  assertDone(): void {
    const problems = [...this.failures];
    const unused = this.#queue.length;
    if (unused > 0) {
      const noun = unused === 1 ? 'entry was' : 'entries were';
      problems.push(`${unused} script ${noun} never used: ${this.#queue.map(describeEntry).join(', ')}`);
    }
    if (problems.length > 0) throw new Error(`fake model script not satisfied:\n- ${problems.join('\n- ')}`);
  }

  async waitForRequests(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<readonly RecordedRequest[]> {
    await this.#waiters.until(() => this.requests.length >= count, timeoutMs, `${count} request(s)`);
    return this.requests;
  }

  async waitForStall(timeoutMs = DEFAULT_WAIT_MS): Promise<StallHandle> {
    const position = this.#claimedStalls++;
    await this.#waiters.until(() => this.#stalls.length > position, timeoutMs, `stall #${position + 1}`);
    return this.#stalls[position]!;
  }

  async close(): Promise<void> {
    this.#waiters.rejectAll(new Error('fake model closed'));
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  #fail(res: ServerResponse, status: number, message: string): void {
    this.failures.push(message);
    sendError(res, status, message);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    this.#inFlight++;
    let closedAt: number | undefined;
    let recorded: RecordedRequest | undefined;
    res.once('close', () => {
      this.#inFlight--;
      closedAt = Date.now();
      if (recorded) recorded.closedAt = closedAt;
    });
    const { request, parseError } = await readRequest(req, this.requests.length);
    request.receivedAt = receivedAt;
    request.closedAt = closedAt;
    recorded = request;
    this.requests.push(request);
    this.#waiters.notify();
    const label = `fake-model request #${request.index} (${request.method} ${request.path})`;
    if (request.method !== 'POST' || request.path !== '/v1/messages') return this.#fail(res, 404, `${label}: no such route`);
    if (parseError) return this.#fail(res, 400, `${label}: ${parseError}`);
    const entry = this.#queue.shift() ?? this.#responder;
    if (entry === undefined) return this.#fail(res, 500, `${label}: unexpected call, the script has no entries left`);
    let turn: Turn;
    try {
      turn = resolveEntry(entry, request);
    } catch (error) {
      return this.#fail(res, 400, `${label}: script function threw: ${(error as Error).message}`);
    }
    const mismatch = checkExpectation(turn, request);
    if (mismatch !== undefined) return this.#fail(res, 400, `${label}: expectation failed: ${mismatch}`);
    await this.#answer(turn, request, res);
  }

  async #answer(turn: Turn, request: RecordedRequest, res: ServerResponse): Promise<void> {
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
        this.#stalls.push({ request, closed });
        this.#waiters.notify();
      },
    });
  }
}

/** Starts a fake Messages API on an ephemeral loopback port; `close()` it after the test. */
export async function startFakeModel(): Promise<FakeModel> {
  const fake = new ScriptedFakeModel();
  await fake.listen();
  return fake;
}
