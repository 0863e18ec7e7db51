/** A minimal keep-alive JSON client over node:http for driving the server from a suite. */
import http from 'node:http';

export interface JsonResponse<T> {
  status: number;
  body: T;
}

export class HttpClient {
  private readonly agent: http.Agent;
  /** Sent with every request (e.g. x-api-key). */
  private readonly headers: Record<string, string>;

  constructor(private readonly baseURL: string, options: { maxSockets?: number; headers?: Record<string, string> } = {}) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
    this.headers = options.headers ?? {};
  }

  request<T>(method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.baseURL}${path}`, {
        method,
        agent: this.agent,
        headers: payload === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      });
      req.once('error', reject);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: (text === '' ? undefined : JSON.parse(text)) as T });
          } catch (err) {
            reject(new Error(`${method} ${path}: answer is not JSON (${res.statusCode}): ${text.slice(0, 200)}`, { cause: err }));
          }
        });
      });
      req.end(payload);
    });
  }

  /** POST that must answer 200; returns the body. */
  async post<T>(path: string, body: unknown): Promise<T> {
    const res = await this.request<T>('POST', path, body);
    if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async get<T>(path: string): Promise<T> {
    const res = await this.request<T>('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  close(): void {
    this.agent.destroy();
  }
}
