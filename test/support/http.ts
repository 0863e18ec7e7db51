/**
 * Raw HTTP helpers for the integration suite: requests the SDK cannot express (malformed bodies,
 * missing headers, form content types, query spellings) and one assertion for the error envelope.
 */
import { expect } from 'vitest';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface RawOptions {
  apiKey?: string | null;
  body?: string;
  headers?: Record<string, string>;
}

/** One request with `x-api-key` (unless apiKey is null) and the body sent as is. */
export async function raw(baseURL: string, method: string, path: string, options: RawOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseURL}${path}`, { method, headers, body: options.body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Asserts status, the `{type:"error", error:{type, message}, request_id}` envelope and the request-id header. */
export function expectError(res: RawResponse, status: number, type: string, message?: RegExp): void {
  const where = `${status} ${type} but got ${res.status}: ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBe(status);
  expect(res.headers.get('content-type') ?? '', where).toMatch(/application\/json/);
  expect(res.json?.type, where).toBe('error');
  expect(res.json.error.type, where).toBe(type);
  expect(typeof res.json.error.message, where).toBe('string');
  expect(res.json.error.message.length, where).toBeGreaterThan(0);
  expect(res.json.request_id, where).toMatch(/^req_/);
  expect(res.headers.get('request-id'), where).toBe(res.json.request_id);
  if (message) expect(res.json.error.message, where).toMatch(message);
}
