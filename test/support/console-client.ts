/**
 * A browser-like client for the Console's auth: keeps better-auth's cookies and sends the page's
 * Origin on every request, as a browser on the server's own page would.
 */
import { raw, type RawResponse } from './http.ts';

export class ConsoleClient {
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly baseURL: string,
    /** The Origin header sent; null sends none (a non-browser client). */
    public origin: string | null = baseURL,
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size > 0) h.cookie = this.cookieHeader;
    if (this.origin) h.origin = this.origin;
    const res = await raw(this.baseURL, method, path, { apiKey: null, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  signUp(email: string, password: string, name = email.split('@')[0]!): Promise<RawResponse> {
    return this.request('POST', '/api/auth/sign-up/email', { email, password, name });
  }

  signIn(email: string, password: string): Promise<RawResponse> {
    return this.request('POST', '/api/auth/sign-in/email', { email, password });
  }

  signOut(): Promise<RawResponse> {
    return this.request('POST', '/api/auth/sign-out', {});
  }

  hasSession(): boolean {
    return [...this.cookies.keys()].some((k) => k.endsWith('oma.session_token'));
  }
}
