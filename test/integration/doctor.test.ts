/**
 * `oma doctor` (issue 18) on a healthy installation (a real server booted on it, still running)
 * and on broken ones: a PLATFORM_ROOT_SECRET that does not match the database, a secret file
 * readable by others, bwrap missing for SANDBOX_PROVIDER=bwrap, an unreachable database. Each
 * problem is a FAIL line with what to do, and the exit code is 1.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { freePort, startChildServer, type ChildServer } from '../support/child-process.ts';
import { cliEnv, runOma } from '../support/oma-cli.ts';

describe.each(BACKENDS)('oma doctor (%s)', (backend) => {
  let db: TestDatabase;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    server = await startChildServer(db);
  }, 60_000);
  afterAll(async () => {
    await server?.kill();
    await db?.drop();
  });

  it('reports a healthy installation with exit 0, and names the running server', async () => {
    const r = await runOma(['doctor'], cliEnv(db));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok {3}database: /m);
    expect(r.stdout).toMatch(/^ok {3}migrations: at \d+ \(this build's latest\)/m);
    expect(r.stdout).toMatch(/^ok {3}root secret check: /m);
    // The embedded vault proxy (and its CA) starts with the first sandbox that needs it.
    expect(r.stdout).toMatch(/^(ok {3}vault CA: .*valid until|WARN vault CA: .*does not exist yet)/m);
    expect(r.stdout).toContain(`a server runs on it (pid ${server!.child.pid})`);
    expect(r.stdout).not.toMatch(/^FAIL/m);
  }, 60_000);

  it('fails on a secret that does not match the database, and says what to do', async () => {
    const r = await runOma(['doctor'], cliEnv(db, { PLATFORM_ROOT_SECRET: 'a-different-secret-0123456789' }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL root secret check: .*does not match/m);
    expect(r.stdout).toMatch(/→ restore the original secret/);
  }, 60_000);

  it('fails on a secret file readable by others and on bwrap missing', async () => {
    const file = join(db.dataDir, '.better-auth-secret');
    chmodSync(file, 0o644);
    try {
      const r = await runOma(['doctor'], cliEnv(db, { SANDBOX_PROVIDER: 'bwrap', PATH: '/nonexistent-bin' }));
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`FAIL BETTER_AUTH_SECRET: ${file} is readable by others`);
      expect(r.stdout).toContain(`→ chmod 600 ${file}`);
      expect(r.stdout).toMatch(/^FAIL bwrap: not on PATH/m);
      expect(r.stdout).toMatch(/→ apt-get install bubblewrap/);
    } finally {
      chmodSync(file, 0o600);
    }
  }, 60_000);

  it('fails on an unreachable database', async () => {
    const env = cliEnv(db);
    if (backend === 'postgres') env.DATABASE_URL = `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`;
    else env.DATABASE_PATH = join(db.dataDir, 'no-such-dir', 'sub', 'oma.db');
    const r = await runOma(['doctor'], env);
    if (backend === 'postgres') {
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^FAIL database: /m);
      expect(r.stdout).toMatch(/→ check DATABASE_URL/);
    } else {
      expect(r.stdout).toMatch(/^WARN database: .* does not exist yet/m);
    }
  }, 60_000);
});
