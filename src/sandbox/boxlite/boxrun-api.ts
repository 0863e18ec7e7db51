/**
 * Client of the BoxLite REST API that `boxlite serve` exposes (openapi/box.openapi.yaml of
 * boxlite-ai/boxlite): boxes, executions (POST /exec, then a WebSocket attach carrying the
 * output, see boxrun-attach.ts) and tar file transfer. `baseUrl` is the box-scoped root, e.g.
 * `http://host:8100/v1/default` (BOXRUN_URL): routes are `<baseUrl>/boxes/...`.
 * Failures become RemoteProviderError carrying the server's own message; 408/429/5xx-gateway and
 * connection failures are marked retryable.
 */
import { isRetryableNetworkError, isRetryableStatus, RemoteProviderError } from '../remote/driver.ts';
import { attachExecution, type AttachHandlers } from './boxrun-attach.ts';

/** The API's `Box`. */
export interface BoxrunBox {
  box_id: string;
  name?: string | null;
  status: string;
  created_at: string;
  updated_at: string;
  image: string;
  labels?: Record<string, string>;
}

/** The API's `CreateBoxRequest`, limited to the fields this client sends (the server rejects unknown ones). */
export interface BoxrunCreateBox {
  name: string;
  image?: string;
  rootfs_path?: string;
  working_dir?: string;
  env?: Record<string, string>;
  network: { outbound: { mode: 'enabled' | 'disabled'; allow_net?: string[] }; inbound: { mode: 'disabled' } };
  detach: boolean;
  auto_remove: boolean;
}

/** The API's `ExecRequest`. */
export interface BoxrunExec {
  command: string;
  args: string[];
  working_dir?: string;
  env?: Record<string, string>;
  timeout_seconds?: number;
  tty: false;
}

const CONTROL_TIMEOUT_MS = 60_000;
/** Creating and starting a box may pull an image and boot a VM. */
const BOOT_TIMEOUT_MS = 10 * 60_000;
const PROVIDER = 'boxrun';

export class BoxrunApi {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;

  constructor(options: { url: string; apiKey?: string }) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
  }

  /** Lists every box (all pages). */
  async listBoxes(): Promise<BoxrunBox[]> {
    const boxes: BoxrunBox[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const query = pageToken ? `?pageToken=${encodeURIComponent(pageToken)}` : '';
      const body = (await this.json('GET', `/boxes${query}`, { operation: 'list boxes' })) as { boxes?: BoxrunBox[]; next_page_token?: string | null };
      boxes.push(...(body.boxes ?? []));
      pageToken = body.next_page_token ?? undefined;
      if (!pageToken) break;
    }
    return boxes;
  }

  /** The box with this id or name; undefined when the server has none. */
  async getBox(idOrName: string): Promise<BoxrunBox | undefined> {
    return (await this.json('GET', `/boxes/${encodeURIComponent(idOrName)}`, { operation: 'get box', missingOk: true })) as BoxrunBox | undefined;
  }

  async createBox(request: BoxrunCreateBox): Promise<BoxrunBox> {
    return (await this.json('POST', '/boxes', { operation: 'create box', body: request, timeoutMs: BOOT_TIMEOUT_MS })) as BoxrunBox;
  }

  /** Starts the box's VM (idempotent on a running box). */
  async startBox(boxId: string): Promise<BoxrunBox> {
    return (await this.json('POST', `/boxes/${encodeURIComponent(boxId)}/start`, { operation: 'start box', timeoutMs: BOOT_TIMEOUT_MS })) as BoxrunBox;
  }

  /** Removes the box, running or not. Resolves when it is gone or was already gone. */
  async removeBox(boxId: string): Promise<void> {
    await this.json('DELETE', `/boxes/${encodeURIComponent(boxId)}?force=true`, { operation: 'remove box', missingOk: true });
  }

  /** Starts a command and returns its execution id. */
  async startExecution(boxId: string, request: BoxrunExec): Promise<string> {
    const body = (await this.json('POST', `/boxes/${encodeURIComponent(boxId)}/exec`, { operation: 'start execution', body: request })) as { execution_id?: string };
    if (typeof body?.execution_id !== 'string') throw providerError('start execution: the server answered without an execution_id', { retryable: false });
    return body.execution_id;
  }

  /** The exit code of an execution, or null while it runs (the API's `ExecutionInfo`). */
  async executionExitCode(boxId: string, executionId: string): Promise<number | null | undefined> {
    const path = `/boxes/${encodeURIComponent(boxId)}/executions/${encodeURIComponent(executionId)}`;
    const info = (await this.json('GET', path, { operation: 'get execution', missingOk: true })) as { exit_code?: number | null } | undefined;
    return info === undefined ? undefined : (info.exit_code ?? null);
  }

  /** Streams an execution's output until it exits; resolves with the exit code. */
  attach(boxId: string, executionId: string, handlers: AttachHandlers): Promise<number> {
    const url = `${this.baseUrl}/boxes/${encodeURIComponent(boxId)}/executions/${encodeURIComponent(executionId)}/attach`.replace(/^http/, 'ws');
    return attachExecution({ url, headers: this.headers(), provider: PROVIDER }, handlers);
  }

  /** Extracts `tar` at `directory` inside the box. */
  async uploadTar(boxId: string, directory: string, tar: Buffer): Promise<void> {
    const path = `/boxes/${encodeURIComponent(boxId)}/files?path=${encodeURIComponent(directory)}`;
    await this.request('PUT', path, { operation: 'upload files', raw: tar, contentType: 'application/x-tar' });
  }

  /** A tar archive of `path` inside the box (a file: one entry named after it); undefined when it does not exist. */
  async downloadTar(boxId: string, path: string): Promise<Buffer | undefined> {
    const url = `/boxes/${encodeURIComponent(boxId)}/files?path=${encodeURIComponent(path)}`;
    const response = await this.request('GET', url, { operation: 'download files', missingOk: true, accept: 'application/x-tar' });
    return response ? Buffer.from(await response.arrayBuffer()) : undefined;
  }

  private async json(method: string, path: string, options: RequestOptions): Promise<unknown> {
    const response = await this.request(method, path, options);
    if (!response) return undefined;
    const text = await response.text();
    if (text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw providerError(`${options.operation}: the server answered HTTP ${response.status} with a body that is not JSON`, { retryable: false, cause });
    }
  }

  private async request(method: string, path: string, options: RequestOptions): Promise<Response | undefined> {
    const headers = this.headers();
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.contentType) headers['content-type'] = options.contentType;
    if (options.accept) headers.accept = options.accept;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
        signal: AbortSignal.timeout(options.timeoutMs ?? CONTROL_TIMEOUT_MS),
      });
    } catch (cause) {
      const reason = (cause as { cause?: { message?: string } }).cause?.message ?? (cause as Error).message;
      throw providerError(`${options.operation}: cannot reach ${this.baseUrl}: ${reason}`, { retryable: isRetryableNetworkError(cause), cause });
    }
    if (response.status === 404 && options.missingOk) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw await errorFromResponse(response, options.operation);
    return response;
  }

  private headers(): Record<string, string> {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
  }
}

interface RequestOptions {
  operation: string;
  body?: unknown;
  raw?: Buffer;
  contentType?: string;
  accept?: string;
  missingOk?: boolean;
  timeoutMs?: number;
}

/** The API's error envelope `{ error: { message, type, code } }` as a RemoteProviderError. */
async function errorFromResponse(response: Response, operation: string): Promise<RemoteProviderError> {
  const text = await response.text().catch(() => '');
  let message = text.trim().slice(0, 500) || response.statusText;
  let code: string | undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string; code?: string }; message?: string; code?: string };
    message = parsed.error?.message ?? parsed.message ?? message;
    code = parsed.error?.code ?? parsed.code;
  } catch {
    // not the envelope: keep the text
  }
  const detail = code ? `HTTP ${response.status}, ${code}` : `HTTP ${response.status}`;
  const hint = response.status === 401 ? ' (check BOXRUN_API_KEY against the server\'s --api-key)' : '';
  return new RemoteProviderError({
    provider: PROVIDER,
    message: `${operation}: ${message} (${detail})${hint}`,
    retryable: isRetryableStatus(response.status) || code === 'upstream_unavailable',
    status: response.status,
  });
}

function providerError(message: string, options: { retryable: boolean; cause?: unknown }): RemoteProviderError {
  return new RemoteProviderError({ provider: PROVIDER, message, retryable: options.retryable, cause: options.cause });
}
