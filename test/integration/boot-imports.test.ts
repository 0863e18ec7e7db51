/**
 * What a booted, idle server has loaded (the compiled server, as it ships): the optional SDKs (remote sandboxes, S3, MCP, e-mail, the
 * pretty logger, the model providers' clients) are imported by the first use of their feature, so
 * they must not be among the packages loaded by boot and a /health request. A lazy import turned
 * back into a static one (tens of MB of resident memory each) fails here. The positive control
 * (kysely and hono are loaded) shows the recording works.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { buildServer } from '../../scripts/server-build.ts';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';

const RECORDER = fileURLToPath(new URL('../support/record-imports.mjs', import.meta.url));
const LAZY = ['@daytonaio/sdk', 'e2b', '@aws-sdk/client-s3', '@modelcontextprotocol/sdk', 'nodemailer', 'pino-pretty', '@anthropic-ai/sdk', 'openai'];

async function loadedPackages(server: ChildServer): Promise<string[]> {
  server.child.kill('SIGUSR2');
  for (;;) {
    const line = /^oma-imports (.*)$/m.exec(server.output());
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
      env: { MEMORY_S3_BUCKET: 'bench-bucket', MEMORY_S3_ACCESS_KEY: 'AKIA', MEMORY_S3_SECRET_KEY: 'secret', MEMORY_S3_ENDPOINT: 'http://127.0.0.1:9', SMTP_HOST: '127.0.0.1', SMTP_FROM: 'oma@example.com' },
      readyTimeoutMs: 60_000,
    });
    const loaded = await loadedPackages(server);
    expect(loaded).toEqual(expect.arrayContaining(['kysely', 'hono']));
    expect(loaded.filter((p) => LAZY.includes(p))).toEqual([]);
  }, 90_000);
});
