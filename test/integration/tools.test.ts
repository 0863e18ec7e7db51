import http from 'node:http';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BwrapSandboxProvider } from '../../src/sandbox/bwrap.ts';
import type { SandboxProvider } from '../../src/sandbox/sandbox.ts';
import { SubprocessSandboxProvider } from '../../src/sandbox/subprocess.ts';
import { BUILTIN_TOOL_NAMES, createBuiltinTools } from '../../src/tools/registry.ts';
import type { Tool, ToolContext, ToolResult } from '../../src/tools/tool.ts';
import { createWorkdirRoot } from '../contract/sandbox.contract.ts';

const probeRoot = await createWorkdirRoot('oma-tools-probe');
const bwrapUnavailable = await new BwrapSandboxProvider({ workdirRoot: probeRoot }).check().then(() => undefined, (error: Error) => error.message);
await rm(path.dirname(probeRoot), { recursive: true, force: true });
if (bwrapUnavailable) console.warn(`Running the tools suite without bwrap: ${bwrapUnavailable}`);

const PROVIDERS: { name: string; make: (root: string) => SandboxProvider }[] = [
  { name: 'subprocess', make: (workdirRoot) => new SubprocessSandboxProvider({ workdirRoot }) },
  ...(bwrapUnavailable ? [] : [{ name: 'bwrap', make: (workdirRoot: string) => new BwrapSandboxProvider({ workdirRoot }) }]),
];

const tools = createBuiltinTools();
const text = (result: ToolResult): string => result.content.map((block) => (block.type === 'text' ? block.text : `[${block.type}]`)).join('');

describe('built-in tool registry', () => {
  it('offers every built-in tool except web_search when no search backend is configured', () => {
    expect([...tools.keys()]).toEqual(BUILTIN_TOOL_NAMES.filter((name) => name !== 'web_search'));
    for (const tool of tools.values()) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.description.length).toBeGreaterThan(20);
    }
    expect(tools.get('read')!.mutating).toBe(false);
    expect(tools.get('bash')!.mutating).toBe(true);
  });

  it('offers web_search once a backend is configured', async () => {
    const withSearch = createBuiltinTools({ webSearchBackend: { search: async (query) => [{ title: `About ${query}`, url: 'https://example.com/', snippet: 'hit' }] } });
    const result = await withSearch.get('web_search')!.run({ query: 'otters' }, { signal: new AbortController().signal } as ToolContext);
    expect(text(result)).toContain('About otters');
  });
});

describe.each(PROVIDERS)('tools on the $name sandbox', ({ name, make }) => {
  let provider: SandboxProvider;
  let context: ToolContext;
  let counter = 0;
  const run = (toolName: string, input: unknown): Promise<ToolResult> => (tools.get(toolName) as Tool).run(input, context);

  beforeAll(async () => {
    provider = make(await createWorkdirRoot(`oma-tools-${name}`));
  });

  afterAll(async () => {
    await provider?.shutdown();
  });

  async function freshSession(): Promise<void> {
    const sessionId = `sess_tools_${name}_${++counter}`;
    context = { sandbox: await provider.open(sessionId), sessionId, signal: new AbortController().signal };
  }

  it('bash keeps the shell state and reports exit codes without failing the call', async () => {
    await freshSession();
    expect(text(await run('bash', { command: 'mkdir -p app && cd app && export MODE=test && echo ready' }))).toBe('ready');
    const status = await run('bash', { command: 'echo "$MODE in $(basename "$PWD")"; echo oops >&2; exit 3' });
    expect(status.isError).toBe(false);
    expect(text(status)).toBe('test in app\noops\nexit code: 3');
    expect(text(await run('bash', { restart: true }))).toContain('restarted');
    expect(text(await run('bash', { command: 'echo "[$MODE]"' }))).toBe('[]');
    expect(text(await run('bash', { command: 'true' }))).toBe('(no output)');
  });

  it('bash reports timeouts and truncation clearly', async () => {
    await freshSession();
    const slow = await run('bash', { command: 'sleep 30', timeout_ms: 300 });
    expect(slow.isError).toBe(true);
    expect(text(slow)).toContain('command timed out after 300 ms');
    const loud = await run('bash', { command: "head -c 100000 /dev/zero | tr '\\0' x" });
    expect(text(loud)).toMatch(/\[output truncated: 34464 bytes omitted\]$/);
    expect((await run('bash', {})).isError).toBe(true);
    expect((await run('bash', { command: 42 })).isError).toBe(true);
  });

  it('write, read and edit files with numbered lines and clear errors', async () => {
    await freshSession();
    expect(text(await run('write', { file_path: 'src/app.txt', content: 'one\ntwo\nthree\ntwo\n' }))).toBe('Wrote 18 bytes to src/app.txt.');
    expect(text(await run('read', { file_path: 'src/app.txt' }))).toBe('     1\tone\n     2\ttwo\n     3\tthree\n     4\ttwo');
    expect(text(await run('read', { file_path: 'src/app.txt', view_range: [2, 3] }))).toBe('     2\ttwo\n     3\tthree');
    expect(text(await run('read', { file_path: 'src/app.txt', view_range: [3, -1] }))).toBe('     3\tthree\n     4\ttwo');
    const missing = await run('read', { file_path: 'src/none.txt' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toBe('File does not exist: src/none.txt');
    const ambiguous = await run('edit', { file_path: 'src/app.txt', old_string: 'two', new_string: '2' });
    expect(ambiguous.isError).toBe(true);
    expect(text(ambiguous)).toContain('occurs 2 times');
    expect((await run('edit', { file_path: 'src/app.txt', old_string: 'four', new_string: '4' })).isError).toBe(true);
    expect(text(await run('edit', { file_path: 'src/app.txt', old_string: 'three', new_string: '3' }))).toBe('Replaced 1 occurrence in src/app.txt.');
    expect(text(await run('edit', { file_path: 'src/app.txt', old_string: 'two', new_string: '2', replace_all: true }))).toBe('Replaced 2 occurrences in src/app.txt.');
    expect(text(await run('bash', { command: 'cat src/app.txt' }))).toBe('one\n2\n3\n2');
  });

  it('read truncates long files with a marker', async () => {
    await freshSession();
    await run('bash', { command: 'seq 1 2500 > long.txt' });
    const result = text(await run('read', { file_path: 'long.txt' }));
    expect(result.split('\n')).toHaveLength(2001);
    expect(result).toContain('[file truncated: showing lines 1-2000 of 2500; use view_range [2001, ...] to read further]');
  });

  it('glob finds files by doublestar pattern, newest first', async () => {
    await freshSession();
    await run('bash', { command: 'mkdir -p a/b c && touch -d @1000 a/old.ts && touch -d @2000 a/b/new.ts && touch -d @1500 c/mid.ts c/x.js' });
    const { workdir } = context.sandbox;
    expect(text(await run('glob', { pattern: '**/*.ts' }))).toBe([`${workdir}/a/b/new.ts`, `${workdir}/c/mid.ts`, `${workdir}/a/old.ts`].join('\n'));
    expect(text(await run('glob', { pattern: '*.ts', path: 'a' }))).toBe(`${workdir}/a/old.ts`);
    expect(text(await run('glob', { pattern: 'c/*.{js,ts}' }))).toContain(`${workdir}/c/x.js`);
    expect(text(await run('glob', { pattern: '**/*.py' }))).toContain('No files match');
  });

  it('grep searches file contents with line numbers', async () => {
    await freshSession();
    await run('write', { file_path: 'src/main.py', content: 'def main():\n    return 42\n' });
    await run('write', { file_path: 'src/util.py', content: 'def helper():\n    pass\n' });
    const { workdir } = context.sandbox;
    const found = text(await run('grep', { pattern: 'def (main|helper)', glob: '*.py' }));
    expect(found.split('\n').sort()).toEqual([`${workdir}/src/main.py:1:def main():`, `${workdir}/src/util.py:1:def helper():`]);
    expect(text(await run('grep', { pattern: 'nothing-here' }))).toContain('No matches');
    const invalid = await run('grep', { pattern: '(' });
    expect(invalid.isError).toBe(true);
  });
});

describe('web_fetch', () => {
  let server: http.Server;
  let requests = 0;
  const context = { signal: new AbortController().signal } as ToolContext;
  const fetchTool = tools.get('web_fetch')!;

  beforeAll(async () => {
    server = http.createServer((_request, response) => {
      requests++;
      response.end('internal');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses loopback, private and non-http destinations without connecting', async () => {
    const port = (server.address() as { port: number }).port;
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::1]:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'file:///etc/passwd']) {
      const result = await fetchTool.run({ url }, context);
      expect(result.isError, url).toBe(true);
      expect(text(result), url).toMatch(/^Refused/);
    }
    expect(requests).toBe(0);
  });

  // Repro (issue #24, finding 8): [::127.0.0.1] (parsed as ::7f00:1), ::ffff:0:a.b.c.d, 64:ff9b:1::/48
  // and 2001::/32 passed the old guard as public.
  it('refuses IPv6 forms that carry a private IPv4 address, NAT64 local use, Teredo and 6to4', async () => {
    const port = (server.address() as { port: number }).port;
    for (const host of ['[::127.0.0.1]', '[::7f00:1]', '[::ffff:0:127.0.0.1]', '[64:ff9b::127.0.0.1]', '[64:ff9b:1::a00:1]', '[2001::1]', '[2002:7f00:1::1]', '[fe80::1]', '[fc00::1]']) {
      const result = await fetchTool.run({ url: `http://${host}:${port}/` }, context);
      expect(result.isError, host).toBe(true);
      expect(text(result), host).toMatch(/^Refused to connect to \[.*not a public one/);
    }
    expect(requests).toBe(0);
  });

  it('applies allowed_domains and blocked_domains before any lookup', async () => {
    const blocked = await fetchTool.run({ url: 'https://evil.example.com/' }, { ...context, config: { blocked_domains: ['example.com'] } });
    expect(text(blocked)).toContain('blocked_domains');
    const notAllowed = await fetchTool.run({ url: 'https://other.example.org/' }, { ...context, config: { allowed_domains: ['docs.example.com'] } });
    expect(text(notAllowed)).toContain('not in allowed_domains');
  });

  it('rejects malformed input as an error result', async () => {
    expect((await fetchTool.run({ url: 'not a url' }, context)).isError).toBe(true);
    expect((await fetchTool.run({}, context)).isError).toBe(true);
  });
});
