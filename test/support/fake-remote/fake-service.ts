/**
 * What the loopback fakes of remote sandbox providers (fake-e2b.ts, fake-daytona.ts) share: the
 * machines their sandboxes run in, the requests they saw, the faults to inject, a server on a free
 * loopback port, and the JSON/body plumbing. Each fake answers its own service's routes and error
 * shapes in `handle` and `internalError`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeMachines } from './machine.ts';

export interface Fault {
  method: string;
  /** Matched against the path (without query). */
  path: RegExp;
  status: number;
  message: string;
  /** How many requests fail (default 1). */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  sandboxId?: string;
  body?: unknown;
}

export abstract class FakeRemoteService {
  readonly machines = new FakeMachines();
  readonly requests: RecordedRequest[] = [];
  readonly faults: Fault[] = [];
  private server: Server | undefined;
  url = '';

  /** Answers one request (a rejection becomes a 500 with `internalError`'s body). */
  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  /** The service's body for an unexpected 500. */
  protected abstract internalError(message: string): unknown;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res).catch((error: unknown) => json(res, 500, this.internalError((error as Error).message))));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
    await this.machines.close();
  }

  /** The first fault matching the request, counted down (and removed once used up). */
  protected takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((f) => f.method === method && f.path.test(path));
    if (!fault) return undefined;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function json(res: ServerResponse, status: number, value: unknown): void {
  const data = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length });
  res.end(data);
}
