/**
 * A loopback stand-in for `boxlite serve` (the BoxLite REST API, openapi/box.openapi.yaml of
 * boxlite-ai/boxlite), speaking its wire format: `/v1/<prefix>/boxes…` routes, the
 * `{error:{message,type,code}}` envelope, create bodies with unknown fields refused (400, as the
 * server's `deny_unknown_fields`), executions started by `POST /exec` and streamed over the
 * attach WebSocket, tar upload/download at `/files?path=`. Boxes are the shared fake machines
 * (test/support/fake-remote/machine.ts: a private root whose /workspace, /mnt, /tmp and /home are
 * the box's own) and their commands run for real. The SDK's own REST client (`JsBoxlite.rest`) works against it, which
 * test/integration/sandbox-boxrun.test.ts checks.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { tarSingleFile, untarFiles } from '../../../src/lib/ustar.ts';
import { FakeMachines, type FakeMachine } from '../fake-remote/machine.ts';
import { FakeExecution } from './executions.ts';
import { acceptWebSocket, refuseUpgrade } from './websocket.ts';

const CREATE_FIELDS = new Set([
  'name', 'image', 'rootfs_path', 'cpus', 'memory_mib', 'disk_size_gb', 'working_dir', 'env', 'entrypoint', 'cmd', 'user', 'volumes', 'network', 'secrets', 'detach', 'tty', 'auto_stop', 'auto_delete', 'auto_resume', 'auto_remove', 'advanced',
]);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface FakeBox {
  box_id: string;
  name: string | null;
  status: 'configured' | 'running' | 'stopped';
  created_at: string;
  updated_at: string;
  image: string;
  env: Record<string, string>;
  working_dir: string;
  network: unknown;
  machine: FakeMachine;
  executions: Map<string, FakeExecution>;
}

export interface FakeBoxrun {
  /** BOXRUN_URL: `http://127.0.0.1:<port>/v1/<prefix>`. */
  readonly url: string;
  readonly boxes: ReadonlyMap<string, FakeBox>;
  /** Every request line seen, e.g. "POST /v1/default/boxes". */
  readonly requests: readonly string[];
  /** The bodies of every create request, as sent. */
  readonly createBodies: readonly Record<string, unknown>[];
  /** Answers the next `count` requests matching `route` (e.g. "POST /boxes") with `status` and the envelope. */
  failNext(route: string, status: number, error: { message: string; type: string; code: string }, count?: number): void;
  close(): Promise<void>;
}

export async function startFakeBoxrun(options: { prefix?: string; apiKey?: string } = {}): Promise<FakeBoxrun> {
  const prefix = options.prefix ?? 'default';
  const boxes = new Map<string, FakeBox>();
  const requests: string[] = [];
  const createBodies: Record<string, unknown>[] = [];
  const failures: { route: string; status: number; error: { message: string; type: string; code: string }; count: number }[] = [];
  const root = `/v1/${prefix}`;
  const machines = new FakeMachines();

  const findBox = (idOrName: string): FakeBox | undefined => boxes.get(idOrName) ?? [...boxes.values()].find((box) => box.name === idOrName);
  const authorized = (request: IncomingMessage): boolean => !options.apiKey || request.headers.authorization === `Bearer ${options.apiKey}`;

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: Error) => sendError(response, 500, error.message, 'internal'));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    requests.push(`${request.method} ${url.pathname}`);
    if (!authorized(request)) return sendError(response, 401, 'invalid or missing API key', 'auth');
    if (!url.pathname.startsWith(`${root}/`)) return sendError(response, 404, `no route: ${url.pathname}`, 'notFound');
    const route = url.pathname.slice(root.length);
    const scripted = failures.find((failure) => `${request.method} ${route}`.startsWith(failure.route) && failure.count > 0);
    if (scripted) {
      scripted.count--;
      return sendJson(response, scripted.status, { error: scripted.error });
    }
    const body = await readBody(request);
    const parts = route.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'boxes') return sendError(response, 404, `no route: ${url.pathname}`, 'notFound');
    if (parts.length === 1 && request.method === 'GET') return sendJson(response, 200, { boxes: [...boxes.values()].map(toWire), next_page_token: null });
    if (parts.length === 1 && request.method === 'POST') return createBox(body, response);
    const box = findBox(parts[1] ?? '');
    if (!box) return sendError(response, 404, `box not found: ${parts[1]}`, 'notFound');
    return boxRoute(box, parts.slice(2), request.method ?? 'GET', { url, body, response });
  }

  async function createBox(body: Buffer, response: ServerResponse): Promise<void> {
    const parsed = parseJson(body);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return sendError(response, 400, 'request body must be a JSON object', 'invalid');
    const unknown = Object.keys(parsed).find((key) => !CREATE_FIELDS.has(key));
    if (unknown) return sendError(response, 400, `Failed to deserialize the JSON body into the target type: unknown field \`${unknown}\``, 'invalid');
    const request = parsed as Record<string, unknown>;
    const networkProblem = checkNetwork(request.network);
    if (networkProblem) return sendError(response, 400, networkProblem, 'invalid');
    const name = typeof request.name === 'string' ? request.name : null;
    if (name !== null && (!NAME.test(name) || name.length > 128)) return sendError(response, 400, `invalid box name: ${name}`, 'invalid');
    if (name !== null && findBox(name)) return sendError(response, 409, `box with name '${name}' already exists`, 'exists');
    createBodies.push(request);
    const now = new Date().toISOString();
    const box: FakeBox = {
      box_id: randomId(12),
      name,
      status: 'configured',
      created_at: now,
      updated_at: now,
      image: typeof request.image === 'string' ? request.image : typeof request.rootfs_path === 'string' ? request.rootfs_path : 'alpine:latest',
      env: (request.env as Record<string, string> | undefined) ?? {},
      working_dir: typeof request.working_dir === 'string' ? request.working_dir : '/',
      network: request.network,
      machine: await machines.create({}, {}, 'box'),
      executions: new Map(),
    };
    boxes.set(box.box_id, box);
    response.setHeader('location', `${root}/boxes/${box.box_id}`);
    sendJson(response, 201, toWire(box));
  }

  async function boxRoute(box: FakeBox, rest: string[], method: string, context: { url: URL; body: Buffer; response: ServerResponse }): Promise<void> {
    const { response } = context;
    const action = rest.join('/');
    if (action === '' && method === 'GET') return sendJson(response, 200, toWire(box));
    if (action === '' && method === 'DELETE') {
      if (box.status === 'running' && context.url.searchParams.get('force') !== 'true') {
        return sendError(response, 409, `invalid state: box ${box.box_id} is running; stop it or pass force=true`, 'state');
      }
      await stopBox(box);
      boxes.delete(box.box_id);
      await machines.delete(box.machine.id);
      response.writeHead(204).end();
      return;
    }
    if (action === 'start' && method === 'POST') return (await startBox(box), sendJson(response, 200, toWire(box)));
    if (action === 'stop' && method === 'POST') return (await stopBox(box), sendJson(response, 200, toWire(box)));
    if (action === 'exec' && method === 'POST') return startExecution(box, context.body, response);
    if (rest[0] === 'executions' && rest[1] && rest.length === 2) {
      const execution = box.executions.get(rest[1]);
      if (!execution) return sendError(response, 404, `execution not found: ${rest[1]}`, 'notFound');
      if (method === 'GET') return sendJson(response, 200, execution.info());
      if (method === 'DELETE') return (await execution.kill(), box.executions.delete(execution.id), void response.writeHead(204).end());
    }
    if (action === 'files' && method === 'PUT') return upload(box, context.url.searchParams.get('path'), context.body, response);
    if (action === 'files' && method === 'GET') return download(box, context.url.searchParams.get('path'), response);
    sendError(response, 404, `no route: ${method} ${context.url.pathname}`, 'notFound');
  }

  async function startExecution(box: FakeBox, body: Buffer, response: ServerResponse): Promise<void> {
    const request = parseJson(body) as { command?: unknown; args?: unknown; env?: Record<string, string>; working_dir?: string; timeout_seconds?: number } | undefined;
    if (!request || typeof request.command !== 'string') return sendError(response, 400, 'missing field `command`', 'invalid');
    const args = Array.isArray(request.args) ? request.args.map(String) : [];
    await startBox(box);
    const child = box.machine.spawn([request.command, ...args], { cwd: request.working_dir ?? box.working_dir, env: { ...box.env, ...(request.env ?? {}) } });
    const execution = new FakeExecution({ id: `exec-${randomId(12)}`, command: request.command, child, timeoutSeconds: request.timeout_seconds });
    box.executions.set(execution.id, execution);
    response.setHeader('location', `${root}/boxes/${box.box_id}/executions/${execution.id}`);
    sendJson(response, 201, { execution_id: execution.id });
  }

  async function upload(box: FakeBox, directory: string | null, body: Buffer, response: ServerResponse): Promise<void> {
    if (!directory) return sendError(response, 400, 'missing query parameter `path`', 'invalid');
    let files: { name: string; data: Buffer }[];
    try {
      files = untarFiles(body);
    } catch (error) {
      return sendError(response, 400, `failed to extract tar: ${(error as Error).message}`, 'invalid');
    }
    try {
      for (const file of files) await box.machine.writeFile(path.posix.join(directory, file.name), file.data);
    } catch (error) {
      return sendError(response, 403, `cannot write in the box: ${(error as Error).message}`, 'invalid');
    }
    response.writeHead(204).end();
  }

  async function download(box: FakeBox, source: string | null, response: ServerResponse): Promise<void> {
    if (!source) return sendError(response, 400, 'missing query parameter `path`', 'invalid');
    const target = box.machine.hostPath(source);
    const info = target ? await stat(target).catch(() => undefined) : undefined;
    if (!info) return sendError(response, 404, `not found: no such file or directory: ${source}`, 'notFound');
    if (!info.isFile()) return sendError(response, 400, `the fake only archives regular files: ${source}`, 'invalid');
    const archive = tarSingleFile(path.posix.basename(source), (await box.machine.readFile(source))!, { mtimeMs: info.mtimeMs });
    response.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': archive.length }).end(archive);
  }

  server.on('upgrade', (request, socket) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    requests.push(`GET ${url.pathname} (upgrade)`);
    const match = /^\/boxes\/([^/]+)\/executions\/([^/]+)\/attach$/.exec(url.pathname.slice(root.length));
    const box = match ? findBox(decodeURIComponent(match[1]!)) : undefined;
    const execution = match ? box?.executions.get(decodeURIComponent(match[2]!)) : undefined;
    if (!authorized(request)) return refuseUpgrade(socket, 401, 'Unauthorized', envelope('invalid or missing API key', 'auth'));
    if (!execution) return refuseUpgrade(socket, 404, 'Not Found', envelope(`execution not found: ${url.pathname}`, 'notFound'));
    if (execution.attached) return refuseUpgrade(socket, 409, 'Conflict', envelope(`execution ${execution.id} has another client attached`, 'exists'));
    execution.attach(acceptWebSocket(request, socket));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${root}`,
    boxes,
    requests,
    createBodies,
    failNext(route, status, error, count = 1) {
      failures.push({ route, status, error, count });
    },
    async close() {
      for (const box of boxes.values()) await stopBox(box);
      boxes.clear();
      await machines.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function stopBox(box: FakeBox): Promise<void> {
  await Promise.all([...box.executions.values()].map((execution) => execution.kill()));
  if (box.status === 'running') {
    await box.machine.stop();
    setStatus(box, 'stopped');
  }
}

/** Boots the box's machine unless it runs (exec starts a box lazily, as the real server does). */
async function startBox(box: FakeBox): Promise<void> {
  if (box.machine.state !== 'running') {
    await box.machine.start();
    box.machine.state = 'running';
  }
  if (box.status !== 'running') setStatus(box, 'running');
}

function setStatus(box: FakeBox, status: FakeBox['status']): void {
  box.status = status;
  box.updated_at = new Date().toISOString();
}

/** The API's `Box`. */
function toWire(box: FakeBox): Record<string, unknown> {
  return {
    box_id: box.box_id,
    name: box.name,
    status: box.status,
    created_at: box.created_at,
    updated_at: box.updated_at,
    pid: box.status === 'running' ? process.pid : null,
    image: box.image,
    cpus: 2,
    memory_mib: 512,
    labels: {},
    auto_stop: 0,
    auto_delete: 0,
    auto_resume: true,
  };
}

/** The nested `outbound`/`inbound` shape or the deprecated flat one, never both (as the server normalizes). */
function checkNetwork(network: unknown): string | undefined {
  if (network === undefined) return undefined;
  if (!network || typeof network !== 'object') return 'network must be an object';
  const spec = network as Record<string, unknown>;
  const nested = 'outbound' in spec || 'inbound' in spec;
  const flat = 'mode' in spec || 'allow_net' in spec;
  if (nested && flat) return 'network: the flat mode/allow_net fields cannot be mixed with outbound/inbound';
  for (const direction of ['outbound', 'inbound']) {
    const value = spec[direction] as { mode?: unknown } | undefined;
    if (value !== undefined && value.mode !== 'enabled' && value.mode !== 'disabled') return `network.${direction}.mode must be "enabled" or "disabled"`;
  }
  return undefined;
}

/** The server's error kinds: `type` (PascalCase) and `code` (snake_case) of the envelope. */
const KINDS = {
  invalid: ['InvalidArgumentError', 'invalid_argument'],
  notFound: ['NotFoundError', 'not_found'],
  auth: ['AuthError', 'unauthenticated'],
  exists: ['AlreadyExistsError', 'already_exists'],
  state: ['InvalidStateError', 'invalid_state'],
  internal: ['InternalError', 'internal'],
} as const;

function envelope(message: string, kind: keyof typeof KINDS): { error: { message: string; type: string; code: string } } {
  const [type, code] = KINDS[kind];
  return { error: { message, type, code } };
}

function sendError(response: ServerResponse, status: number, message: string, kind: keyof typeof KINDS): void {
  if (response.headersSent) return void response.end();
  sendJson(response, status, envelope(message, kind));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function randomId(length: number): string {
  return [...randomBytes(length)].map((byte) => BASE62[byte % 62]).join('');
}
