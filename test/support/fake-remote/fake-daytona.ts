/**
 * A loopback Daytona: the REST API the @daytonaio/sdk 0.218 client calls (Bearer key: POST/GET
 * /sandbox, GET/DELETE /sandbox/{id}, POST /sandbox/{id}/start, GET /sandbox/{id}/toolbox-proxy-url)
 * and the toolbox behind `toolboxProxyUrl` (`/toolbox/{id}/process/execute`, which, like Daytona's
 * daemon, splits the command into words and executes it without a shell, answering the combined
 * output as `result`; `/files/bulk-upload` multipart; `/files/bulk-download` answering multipart
 * `file` or `error` parts). Commands run for real in a FakeMachine.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { FakeMachine } from './machine.ts';
import { FakeRemoteService, json, readBody } from './fake-service.ts';

export class FakeDaytona extends FakeRemoteService {
  constructor(readonly apiKey = `dtn_test_${randomBytes(8).toString('hex')}`) {
    super();
  }

  protected internalError(message: string): unknown {
    return { statusCode: 500, message, code: 'INTERNAL' };
  }

  get options(): { apiKey: string; apiUrl: string } {
    return { apiKey: this.apiKey, apiUrl: `${this.url}/api` };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const contentType = req.headers['content-type'] ?? '';
    this.requests.push({ method, path: url.pathname, body: contentType.includes('json') && body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined });
    const fault = this.takeFault(method, url.pathname);
    if (fault) return json(res, fault.status, { statusCode: fault.status, message: fault.message, code: 'FAULT' });
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return json(res, 401, { statusCode: 401, message: 'Invalid API key', code: 'UNAUTHORIZED' });
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] === 'toolbox') return this.toolbox(res, { machineId: parts[1], path: `/${parts.slice(2).join('/')}`, body, contentType });
    if (parts[0] !== 'api' || parts[1] !== 'sandbox') return json(res, 404, { statusCode: 404, message: `Cannot ${method} ${url.pathname}`, code: 'NOT_FOUND' });
    const id = parts[2];
    if (method === 'POST' && !id) return this.create(res, JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    if (method === 'GET' && !id) return this.list(res, url);
    const machine = id ? this.machines.get(id) : undefined;
    if (!machine) return json(res, 404, { statusCode: 404, message: `Sandbox with ID or name ${id} not found`, code: 'NOT_FOUND' });
    if (method === 'GET' && parts.length === 3) return json(res, 200, this.describe(machine));
    if (method === 'GET' && parts[3] === 'toolbox-proxy-url') return json(res, 200, { url: `${this.url}/toolbox` });
    if (method === 'DELETE' && parts.length === 3) {
      await this.machines.delete(machine.id);
      return json(res, 200, { ...this.describe(machine), state: 'destroyed' });
    }
    if (method === 'POST' && parts[3] === 'start') {
      if (machine.state !== 'running') await machine.start();
      machine.state = 'running';
      return json(res, 200, this.describe(machine));
    }
    return json(res, 404, { statusCode: 404, message: `Cannot ${method} ${url.pathname}`, code: 'NOT_FOUND' });
  }

  private async create(res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const { labels, ...rest } = body;
    const machine = await this.machines.create((labels as Record<string, string> | undefined) ?? {}, rest, '');
    json(res, 200, this.describe(machine));
  }

  private describe(machine: FakeMachine): Record<string, unknown> {
    const e = machine.extra;
    return {
      id: machine.id, name: machine.id, organizationId: 'org_fake', snapshot: e.snapshot ?? 'daytonaio/sandbox:0.4.3', user: 'daytona', env: e.env ?? {}, labels: machine.labels,
      public: false, target: e.target ?? 'us', cpu: 1, gpu: 0, memory: 1, disk: 3, state: machine.state === 'running' ? 'started' : 'stopped',
      networkBlockAll: e.networkBlockAll ?? false, networkAllowList: e.networkAllowList, autoStopInterval: e.autoStopInterval ?? 15, autoDeleteInterval: e.autoDeleteInterval ?? -1,
      createdAt: new Date(machine.createdAt).toISOString(), updatedAt: new Date().toISOString(), toolboxProxyUrl: `${this.url}/toolbox`,
    };
  }

  private list(res: ServerResponse, url: URL): void {
    const wanted = JSON.parse(url.searchParams.get('labels') ?? '{}') as Record<string, string>;
    const items = [...this.machines.machines.values()].filter((m) => Object.entries(wanted).every(([key, value]) => m.labels[key] === value)).map((m) => this.describe(m));
    json(res, 200, { items, total: items.length, page: 1, totalPages: 1, nextCursor: null });
  }

  private async toolbox(res: ServerResponse, call: { machineId: string; path: string; body: Buffer; contentType: string }): Promise<void> {
    const machine = this.machines.get(call.machineId);
    if (!machine || machine.state !== 'running') return json(res, 404, { statusCode: 404, message: `sandbox ${call.machineId} not found or not started`, code: 'NOT_FOUND' });
    if (call.path === '/process/execute') {
      const request = JSON.parse(call.body.toString('utf8')) as { command: string; cwd?: string; envs?: Record<string, string>; timeout?: number };
      const child = machine.spawn(splitWords(request.command), { env: { HOME: '/home/daytona', USER: 'daytona', ...request.envs }, cwd: request.cwd ?? '/home/daytona' });
      child.stdin?.end();
      const output: Buffer[] = [];
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
      const timer = request.timeout ? setTimeout(() => child.kill('SIGKILL'), request.timeout * 1000) : undefined;
      const code = await new Promise<number>((resolve) => child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 137 : -1))));
      clearTimeout(timer);
      return json(res, 200, { exitCode: code, result: Buffer.concat(output).toString('utf8') });
    }
    if (call.path === '/files/bulk-upload') {
      const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': call.contentType }, body: call.body }).formData();
      for (let i = 0; form.has(`files[${i}].path`); i++) {
        const target = String(form.get(`files[${i}].path`));
        const file = form.get(`files[${i}].file`) as Blob;
        await machine.writeFile(target, Buffer.from(await file.arrayBuffer()));
      }
      return json(res, 200, {});
    }
    if (call.path === '/files/bulk-download') {
      const { paths } = JSON.parse(call.body.toString('utf8')) as { paths: string[] };
      const boundary = `fake${randomBytes(8).toString('hex')}`;
      const parts: Buffer[] = [];
      for (const p of paths) {
        const data = await machine.readFile(p).catch(() => undefined);
        const field = data ? 'file' : 'error';
        const content = data ?? Buffer.from(JSON.stringify({ message: `file not found: ${p}`, statusCode: 404, code: 'FILE_NOT_FOUND' }));
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${p}"\r\nContent-Type: ${data ? 'application/octet-stream' : 'application/json'}\r\n\r\n`), content, Buffer.from('\r\n'));
      }
      parts.push(Buffer.from(`--${boundary}--\r\n`));
      const payload = Buffer.concat(parts);
      res.writeHead(200, { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': payload.length });
      return void res.end(payload);
    }
    return json(res, 404, { statusCode: 404, message: `toolbox route ${call.path} is not implemented by the fake`, code: 'NOT_FOUND' });
  }
}

/** Splits a command line into words (single and double quotes, backslash escapes), no expansion: the daemon's parser. */
export function splitWords(command: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1])) current += command[++i];
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      current += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

