/** The few HTTP calls the crash test makes (auth is off on the server under test). */
export type WireEvent = { type: string; id: string; processed_at?: string | null; [k: string]: unknown };

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

async function requestJson<T>(url: string, init: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new HttpError(res.status, text, `${init.method ?? 'GET'} ${new URL(url).pathname}`);
  return JSON.parse(text) as T;
}

/** GET and parse JSON; throws HttpError on a non-2xx answer, a fetch error when the server is gone. */
export function getJson<T>(baseURL: string, path: string): Promise<T> {
  return requestJson<T>(`${baseURL}${path}`, { method: 'GET' });
}

/** POST a JSON body and parse the JSON answer; errors as for getJson. */
export function postJson<T>(baseURL: string, path: string, body: unknown): Promise<T> {
  return requestJson<T>(`${baseURL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Every stored event of a session, bookkeeping (oma.*) events included, in log order. */
export async function listAllEvents(baseURL: string, sessionId: string): Promise<WireEvent[]> {
  const out: WireEvent[] = [];
  let page: string | undefined;
  do {
    const q = `include_extensions=true&limit=1000${page ? `&page=${encodeURIComponent(page)}` : ''}`;
    const body = await getJson<{ data: WireEvent[]; next_page: string | null }>(baseURL, `/v1/sessions/${sessionId}/events?${q}`);
    out.push(...body.data);
    page = body.next_page ?? undefined;
  } while (page);
  return out;
}

export function textOf(event: WireEvent): string {
  const content = event.content as { type: string; text?: string }[] | undefined;
  return (content ?? []).map((b) => b.text ?? '').join('');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
