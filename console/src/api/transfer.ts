/**
 * Uploads (multipart, for /v1/files and /v1/skills) and downloads (bytes saved through an object URL,
 * so the tenant header goes with them). Failures are ApiErrors with the server's message, like `api`.
 */
import { ApiError } from './client.ts';
import { tenantHeader } from '../lib/tenant.ts';

async function failure(res: Response): Promise<ApiError> {
  let body: { error?: { message?: string; type?: string } } | undefined;
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = undefined;
  }
  return new ApiError(res.status, body?.error?.message ?? `the server answered ${res.status}`, body?.error?.type ?? 'error');
}

/** POSTs `form` as multipart/form-data (the browser sets the boundary). */
export async function upload<T>(path: string, form: FormData): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json', ...tenantHeader() }, body: form });
  } catch {
    throw new ApiError(0, 'cannot reach the server; check that it is running', 'network_error');
  }
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** Fetches `path` and hands the bytes to the browser as a download named `filename`. */
export async function download(path: string, filename: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/binary', ...tenantHeader() } });
  } catch {
    throw new ApiError(0, 'cannot reach the server; check that it is running', 'network_error');
  }
  if (!res.ok) throw await failure(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A byte count for people: 1.2 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
