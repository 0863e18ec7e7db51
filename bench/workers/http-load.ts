/** Child process: closed-loop POST load over keep-alive connections (see child.ts). */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { serveWorker } from '../child.ts';

export interface LoadRequest {
  baseURL: string;
  /** Loop i posts to paths[i % paths.length]. */
  paths: string[];
  body: string;
  /** Extra request headers (the API key). */
  headers: Record<string, string>;
  concurrency: number;
  durationMs: number;
}

export interface LoadResult {
  /** Requests answered 200. */
  count: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  latencies: number[];
}

function post(agent: http.Agent, url: string, request: Pick<LoadRequest, 'body' | 'headers'>): Promise<{ status: number; text: string }> {
  const { body } = request;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...request.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.once('error', reject);
    });
    req.end(body);
  });
}

async function runLoad(request: LoadRequest): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: request.concurrency });
  const result: LoadResult = { count: 0, errors: 0, elapsedMs: 0, latencies: [] };
  const start = performance.now();
  const deadline = start + request.durationMs;
  const loop = async (i: number) => {
    const url = `${request.baseURL}${request.paths[i % request.paths.length]}`;
    while (performance.now() < deadline) {
      const t = performance.now();
      try {
        const res = await post(agent, url, request);
        if (res.status === 200) {
          result.count++;
          result.latencies.push(performance.now() - t);
        } else {
          result.errors++;
          result.firstError ??= `${res.status} ${res.text.slice(0, 200)}`;
        }
      } catch (err) {
        result.errors++;
        result.firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, (_, i) => loop(i)));
  result.elapsedMs = performance.now() - start;
  agent.destroy();
  return result;
}

serveWorker(runLoad);
