/** One HTTP(S) GET through the network guard, with a body cap. Redirects are left to the caller. */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { assertPublicLiteral, guardedLookup } from '../../net/guarded-lookup.ts';

export interface GuardedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Bytes of body dropped beyond the cap. */
  truncatedBytes: number;
}

export function guardedGet(url: URL, options: { signal: AbortSignal; maxBodyBytes: number; timeoutMs: number }): Promise<GuardedResponse> {
  // Node skips `lookup` for IP literals, so those are checked here.
  try {
    assertPublicLiteral(url.hostname);
  } catch (error) {
    return Promise.reject(error);
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'GET',
        lookup: guardedLookup as unknown as net.LookupFunction,
        signal: options.signal,
        timeout: options.timeoutMs,
        headers: { 'user-agent': 'open-managed-agents web_fetch', accept: 'text/html,text/plain,application/json,*/*;q=0.5', 'accept-encoding': 'identity' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let dropped = 0;
        response.on('data', (chunk: Buffer) => {
          const room = Math.max(0, options.maxBodyBytes - kept);
          if (room > 0) chunks.push(chunk.subarray(0, room));
          kept += Math.min(room, chunk.length);
          dropped += Math.max(0, chunk.length - room);
          if (dropped > 0) response.destroy();
        });
        const finish = (): void => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), truncatedBytes: dropped });
        response.on('end', finish);
        response.on('close', finish);
        response.on('error', (error) => (dropped > 0 ? finish() : reject(error)));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no response within ${options.timeoutMs} ms`)));
    request.on('error', reject);
    request.end();
  });
}
