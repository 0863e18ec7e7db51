/**
 * The Console's one way to the server: same-origin fetch with the session cookie, JSON in and out.
 * Every failure becomes an ApiError carrying the server's own message (the Anthropic error
 * envelope, or better-auth's `{message, code}`), so pages can show it as is.
 */
import { tenantHeader } from '../lib/tenant.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function messageOf(status: number, body: unknown): { message: string; type: string } {
  const b = body as { error?: { message?: string; type?: string }; message?: string; code?: string } | undefined;
  if (b?.error?.message) return { message: b.error.message, type: b.error.type ?? 'error' };
  if (b?.message) return { message: b.message, type: b.code ?? 'error' };
  return { message: `the server answered ${status}`, type: 'error' };
}

/** One API call. `body` is sent as JSON. Throws ApiError for any non-2xx answer or a network failure. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...tenantHeader() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'cannot reach the server; check that it is running', 'network_error');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const { message, type } = messageOf(res.status, json);
    throw new ApiError(res.status, message, type);
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** The message to show for any error a query or mutation produced. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
