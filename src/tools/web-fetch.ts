/**
 * `web_fetch`: fetches a URL from the server (not the sandbox) and returns its text. Only public
 * http(s) destinations: every hop of a redirect chain is re-checked against the network guard and
 * the agent's allowed/blocked domain lists.
 */
import { z } from 'zod';
import type { Tool, ToolContext, ToolResult } from './tool.ts';
import { guardedGet } from './shared/guarded-http.ts';
import { htmlToText } from './shared/html-text.ts';
import { BlockedDestinationError } from '../net/guarded-lookup.ts';
import { parseToolInput } from './shared/tool-input.ts';
import { errorResult, textResult, truncateText } from './shared/tool-results.ts';

const MAX_REDIRECTS = 5;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const MAX_TEXT_CHARS = 100_000;
const TIMEOUT_MS = 30_000;

const WebFetchInput = z.object({ url: z.string().min(1) });
const DomainList = z.array(z.string()).optional();

export class WebFetchTool implements Tool {
  readonly name = 'web_fetch';
  readonly mutating = true;
  readonly description =
    'Fetches a public http(s) URL and returns its content as text (HTML is reduced to plain text). Private, ' +
    `loopback and link-local addresses are refused. Follows up to ${MAX_REDIRECTS} redirects; long pages are truncated.`;
  readonly inputSchema = {
    type: 'object',
    properties: { url: { type: 'string', description: 'The http or https URL to fetch.' } },
    required: ['url'],
  };

  async run(input: unknown, context: ToolContext): Promise<ToolResult> {
    const parsed = parseToolInput(this.name, WebFetchInput, input);
    if (!parsed.ok) return parsed.result;
    const domains = { allowed: DomainList.safeParse(context.config?.allowed_domains).data, blocked: DomainList.safeParse(context.config?.blocked_domains).data };
    let url: URL;
    try {
      url = new URL(parsed.value.url);
    } catch {
      return errorResult(`Not a valid URL: ${parsed.value.url}`);
    }
    try {
      for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
        const refusal = checkDestination(url, domains);
        if (refusal) return errorResult(refusal);
        const response = await guardedGet(url, { signal: context.signal, maxBodyBytes: MAX_BODY_BYTES, timeoutMs: TIMEOUT_MS });
        const location = response.headers.location;
        if (response.status >= 300 && response.status < 400 && location) {
          url = new URL(location, url);
          continue;
        }
        return formatResponse(url, response);
      }
      return errorResult(`Too many redirects (more than ${MAX_REDIRECTS}) starting from ${parsed.value.url}.`);
    } catch (error) {
      if (error instanceof BlockedDestinationError) return errorResult(error.message);
      const cause = (error as NodeJS.ErrnoException).cause as NodeJS.ErrnoException | undefined;
      if (cause instanceof BlockedDestinationError) return errorResult(cause.message);
      return errorResult(`Fetching ${url.href} failed: ${(error as Error).message}`);
    }
  }
}

function checkDestination(url: URL, domains: { allowed?: string[]; blocked?: string[] }): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `Refused: only http and https URLs can be fetched, not ${url.protocol}`;
  if (url.username || url.password) return 'Refused: URLs with credentials are not fetched.';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (domains.blocked?.some((domain) => matchesDomain(host, domain))) return `Refused: ${host} is in blocked_domains.`;
  if (domains.allowed && domains.allowed.length > 0 && !domains.allowed.some((domain) => matchesDomain(host, domain))) {
    return `Refused: ${host} is not in allowed_domains (${domains.allowed.join(', ')}).`;
  }
  return undefined;
}

function matchesDomain(host: string, domain: string): boolean {
  const normalized = domain.toLowerCase().replace(/^\*?\./, '');
  return host === normalized || host.endsWith(`.${normalized}`);
}

function formatResponse(url: URL, response: Awaited<ReturnType<typeof guardedGet>>): ToolResult {
  const contentType = String(response.headers['content-type'] ?? 'application/octet-stream');
  const header = `URL: ${url.href}\nStatus: ${response.status}\nContent-Type: ${contentType}\n\n`;
  const isText = /^text\/|json|xml|javascript|x-www-form-urlencoded/i.test(contentType);
  if (!isText) return textResult(`${header}[binary content (${response.body.length} bytes) not shown]`);
  const raw = response.body.toString('utf8');
  let text = /html/i.test(contentType) ? htmlToText(raw) : raw;
  if (response.truncatedBytes > 0) text += `\n[body truncated: only the first ${MAX_BODY_BYTES} bytes were downloaded]`;
  const result = textResult(header + truncateText(text, MAX_TEXT_CHARS));
  return response.status >= 400 ? { ...result, isError: true } : result;
}
