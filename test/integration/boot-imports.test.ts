/**
 * What a booted, idle server (the compiled one, as it ships) has loaded: the optional SDKs (remote
 * sandboxes, S3, MCP, e-mail, the pretty logger, the model providers' clients) are imported by the
 * first use of their feature, so they must not be among the packages loaded by boot and a /health
 * request; nor must better-auth (Console sign-in, started by the first request that needs it) or
 * mockttp (the egress proxy, started by the first sandbox that needs it). A lazy import turned back
 * into a static one (tens of MB of resident memory each) fails here. The positive controls (kysely
 * and hono are loaded; better-auth is after a Console auth request) show the recording works.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { buildServer } from '../../scripts/server-build.ts';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';

const RECORDER = fileURLToPath(new URL('../support/record-imports.mjs', import.meta.url));
const LAZY = ['@daytonaio/sdk', 'e2b', '@aws-sdk/client-s3', '@modelcontextprotocol/sdk', 'nodemailer', 'pino-pretty', '@anthropic-ai/sdk', 'openai', 'mockttp', 'better-auth'];

/** The packages loaded so far (a fresh `oma-imports` line, asked for with SIGUSR2). */
async function loadedPackages(server: ChildServer): Promise<string[]> {
  const lines = () => [...server.output().matchAll(/^oma-imports (.*)$/gm)];
  const before = lines().length;
  server.child.kill('SIGUSR2');
  for (;;) {
    const line = lines()[before];
    if (line) return JSON.parse(line[1]!) as string[];
    if (server.child.exitCode !== null) throw new Error(`server exited:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(() => {
  buildServer();
}, 300_000);

describe.each(BACKENDS)('boot imports (%s)', (backend) => {
  let db: TestDatabase | undefined;
  let server: ChildServer | undefined;
  afterEach(async () => {
    await server?.kill();
    await db?.drop();
  });

  it('does not load the optional SDKs until a feature needs them', async () => {
    db = await createTestDatabase(backend);
    // S3 and SMTP configured, so only laziness (not an unset option) keeps their SDKs out.
    server = await startChildServer(db, {
      built: true,
      nodeArgs: ['--import', RECORDER],
      env: { AUTH_DISABLED: '0', MEMORY_S3_BUCKET: 'bench-bucket', MEMORY_S3_ACCESS_KEY: 'AKIA', MEMORY_S3_SECRET_KEY: 'secret', MEMORY_S3_ENDPOINT: 'http://127.0.0.1:9', SMTP_HOST: '127.0.0.1', SMTP_FROM: 'oma@example.com' },
      readyTimeoutMs: 60_000,
    });
    const loaded = await loadedPackages(server);
    expect(loaded).toEqual(expect.arrayContaining(['kysely', 'hono']));
    expect(loaded.filter((p) => LAZY.includes(p))).toEqual([]);
    // A /v1 request without a cookie does not start better-auth; a Console auth request does.
    expect((await fetch(`${server.baseURL}/v1/agents`)).status).toBe(401);
    expect(await loadedPackages(server)).not.toContain('better-auth');
    expect((await fetch(`${server.baseURL}/api/auth/ok`)).status).toBe(200);
    expect(await loadedPackages(server)).toContain('better-auth');
  }, 90_000);
});
