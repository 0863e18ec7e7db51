/**
 * A loopback E2B: the control plane (REST, X-API-KEY: POST/GET /v2/sandboxes, POST
 * /v2/sandboxes/{id}/connect, DELETE /sandboxes/{id}, POST /sandboxes/{id}/timeout) and envd on
 * the same port, reached the way the SDK reaches a gateway (`sandboxUrl`, headers E2b-Sandbox-Id
 * and X-Access-Token): process.Process/Start as a Connect server stream (JSON envelopes),
 * process.Process/SendSignal unary, GET/POST /files, GET /health. Wire shapes are the ones the
 * e2b 2.x SDK sends and parses (node_modules/e2b/dist/index.mjs). Commands run for real in a
 * FakeMachine. `faults` makes the next matching requests fail, as the real service does under
 * rate limits or outages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { FakeMachine } from './machine.ts';
import { FakeRemoteService, json, readBody } from './fake-service.ts';

export class FakeE2b extends FakeRemoteService {
  private readonly tokens = new Map<string, string>();
  /** pid → process, per machine. */
  private readonly processes = new Map<number, { machine: string; kill(): void }>();

  constructor(readonly apiKey = `e2b_test_${randomBytes(8).toString('hex')}`) {
    super();
  }

  protected internalError(message: string): unknown {
    return { code: 500, message };
  }

  /** Connection options for the SDK (what E2B_API_URL / E2B_SANDBOX_URL / E2B_API_KEY give the driver). */
  get options(): { apiKey: string; apiUrl: string; sandboxUrl: string } {
    return { apiKey: this.apiKey, apiUrl: this.url, sandboxUrl: this.url };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const sandboxId = header(req, 'e2b-sandbox-id');
    const body = await readBody(req);
    const contentType = header(req, 'content-type') ?? '';
    this.requests.push({ method, path: url.pathname, sandboxId, body: contentType.includes('json') && !contentType.includes('connect+json') && body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined });
    const fault = this.takeFault(method, url.pathname);
    if (fault) return json(res, fault.status, { code: fault.status, message: fault.message });
    if (sandboxId !== undefined) return this.envd(req, res, { url, sandboxId, body });
    if (header(req, 'x-api-key') !== this.apiKey) return json(res, 401, { code: 401, message: 'Invalid API key' });
    const parts = url.pathname.split('/').filter(Boolean);
    if (method === 'POST' && url.pathname === '/v2/sandboxes') return this.createSandbox(res, JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    if (method === 'GET' && url.pathname === '/v2/sandboxes') return this.listSandboxes(res, url);
    if (method === 'POST' && parts[0] === 'v2' && parts[1] === 'sandboxes' && parts[3] === 'connect') {
      const machine = this.machines.get(parts[2]);
      if (!machine) return json(res, 404, { code: 404, message: `sandbox "${parts[2]}" doesn't exist or you don't have access to it` });
      return json(res, 200, this.describe(machine));
    }
    if (method === 'DELETE' && parts[0] === 'sandboxes' && parts.length === 2) {
      const deleted = await this.machines.delete(parts[1]);
      return deleted ? empty(res, 204) : json(res, 404, { code: 404, message: `sandbox "${parts[1]}" not found` });
    }
    if (method === 'POST' && parts[0] === 'sandboxes' && parts[2] === 'timeout') {
      const machine = this.machines.get(parts[1]);
      if (!machine) return json(res, 404, { code: 404, message: `sandbox "${parts[1]}" not found` });
      machine.extra.timeout = (JSON.parse(body.toString('utf8')) as { timeout: number }).timeout;
      return empty(res, 204);
    }
    return json(res, 404, { code: 404, message: `no route ${method} ${url.pathname}` });
  }

  private async createSandbox(res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const machine = await this.machines.create((body.metadata as Record<string, string> | undefined) ?? {}, {
      templateID: body.templateID,
      timeout: body.timeout,
      allowInternetAccess: body.allow_internet_access,
      network: body.network,
    }, 'i');
    this.tokens.set(machine.id, randomBytes(12).toString('hex'));
    json(res, 201, this.describe(machine));
  }

  private describe(machine: FakeMachine): Record<string, unknown> {
    return { sandboxID: machine.id, templateID: machine.extra.templateID ?? 'base', clientID: 'fake', envdVersion: '0.5.7', envdAccessToken: this.tokens.get(machine.id), domain: null };
  }

  private listSandboxes(res: ServerResponse, url: URL): void {
    const wanted = new URLSearchParams(url.searchParams.get('metadata') ?? '');
    const list = [...this.machines.machines.values()].filter((m) => [...wanted].every(([key, value]) => m.labels[key] === value));
    json(res, 200, list.map((m) => ({ sandboxID: m.id, templateID: m.extra.templateID ?? 'base', clientID: 'fake', metadata: m.labels, startedAt: new Date(m.createdAt).toISOString(), endAt: new Date(m.createdAt + 3600_000).toISOString(), state: 'running', cpuCount: 2, memoryMB: 512, envdVersion: '0.5.7', diskSizeMB: 1024 })));
  }

  private async envd(req: IncomingMessage, res: ServerResponse, call: { url: URL; sandboxId: string; body: Buffer }): Promise<void> {
    const { url, sandboxId, body } = call;
    const machine = this.machines.get(sandboxId);
    // What the E2B edge answers for a sandbox that is gone.
    if (!machine) return json(res, 502, { code: 502, message: `The sandbox ${sandboxId} was not found` });
    if (header(req, 'x-access-token') !== this.tokens.get(sandboxId)) return json(res, 401, { code: 401, message: 'invalid access token' });
    if (url.pathname === '/health') return empty(res, 204);
    if (url.pathname === '/files') {
      const filePath = url.searchParams.get('path') ?? '';
      if (req.method === 'GET') {
        const data = await machine.readFile(filePath).catch((error: Error) => error);
        if (data instanceof Error) return json(res, 400, { code: 400, message: data.message });
        if (!data) return json(res, 404, { code: 404, message: `path '${filePath}' does not exist` });
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
        return void res.end(data);
      }
      const contentType = header(req, 'content-type') ?? '';
      const data = contentType.startsWith('multipart/form-data')
        ? Buffer.from(await ((await new Request('http://x/', { method: 'POST', headers: { 'content-type': contentType }, body }).formData()).get('file') as Blob).arrayBuffer())
        : body;
      await machine.writeFile(filePath, data);
      return json(res, 200, [{ name: filePath.split('/').pop(), type: 'file', path: filePath }]);
    }
    if (url.pathname === '/process.Process/Start') return this.startProcess(res, machine, body);
    if (url.pathname === '/process.Process/SendSignal') {
      const request = JSON.parse(body.toString('utf8')) as { process: { pid: number } };
      const proc = this.processes.get(request.process.pid);
      if (!proc || proc.machine !== machine.id) return json(res, 404, { code: 'not_found', message: `process with pid ${request.process.pid} not found` });
      proc.kill();
      return json(res, 200, {});
    }
    return json(res, 404, { code: 'unimplemented', message: `${url.pathname} is not implemented by the fake` });
  }

  /** process.Process/Start: a Connect server stream of ProcessEvent messages (start, data…, end). */
  private startProcess(res: ServerResponse, machine: FakeMachine, body: Buffer): void {
    const request = JSON.parse(decodeEnvelopes(body)[0]) as { process: { cmd: string; args?: string[]; envs?: Record<string, string>; cwd?: string } };
    const { cmd, args = [], envs = {}, cwd } = request.process;
    res.writeHead(200, { 'content-type': 'application/connect+json' });
    const child = machine.spawn([cmd, ...args], { env: { HOME: '/home/user', USER: 'user', ...envs }, cwd: cwd ?? '/home/user' });
    child.stdin?.end();
    const pid = child.pid ?? 0;
    this.processes.set(pid, { machine: machine.id, kill: () => child.kill('SIGKILL') });
    res.write(envelope(0, { event: { start: { pid } } }));
    child.stdout?.on('data', (chunk: Buffer) => res.write(envelope(0, { event: { data: { stdout: chunk.toString('base64') } } })));
    child.stderr?.on('data', (chunk: Buffer) => res.write(envelope(0, { event: { data: { stderr: chunk.toString('base64') } } })));
    child.on('close', (code, signal) => {
      this.processes.delete(pid);
      const exitCode = code ?? -1;
      res.write(envelope(0, { event: { end: { exitCode, exited: code !== null, status: signal ? `signal: ${signal === 'SIGKILL' ? 'killed' : signal}` : `exit status ${exitCode}` } } }));
      res.end(envelope(2, {}));
    });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function empty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/** A Connect envelope: flags (0 message, 2 end of stream), big-endian length, JSON. */
function envelope(flags: number, value: unknown): Buffer {
  const data = Buffer.from(JSON.stringify(value));
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

function decodeEnvelopes(body: Buffer): string[] {
  const messages: string[] = [];
  for (let offset = 0; offset + 5 <= body.length; ) {
    const length = body.readUInt32BE(offset + 1);
    messages.push(body.subarray(offset + 5, offset + 5 + length).toString('utf8'));
    offset += 5 + length;
  }
  return messages;
}
