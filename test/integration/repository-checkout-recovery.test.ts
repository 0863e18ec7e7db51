/**
 * A repository checkout moved into place by an attempt that was killed before it recorded the
 * clone (cloned_at still NULL): the next attempt finds the checkout at its mount path and records
 * it, keeping the agent's changes, instead of refusing the occupied path with a session.error at
 * every turn. Real git host (git http-backend), real store on both backends, real directories.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { sql } from 'kysely';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startTestGitServer, type TestGitServer } from '../support/git-server.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { AesGcmSecretBox } from '../../src/vault/secret-box.ts';
import { SessionRepositoryCheckouts } from '../../src/repos/session-repository-checkouts.ts';

describe.each(BACKENDS)('repository checkout placed before a crash (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  let git: TestGitServer;
  let workdir: string;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
    git = await startTestGitServer({ token: 'ghp_unused' });
    workdir = await mkdtemp(path.join(tmpdir(), 'oma-repo-recovery-'));
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    await git?.close();
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  it('records the checkout it finds at the mount path (same origin) and keeps it; another directory there is still refused', async () => {
    const checkouts = new SessionRepositoryCheckouts({ store, secretBox: new AesGcmSecretBox('s'.repeat(64)), workdirRoot: workdir, allowedPrivateHosts: ['127.0.0.1'], logger: pino({ level: 'silent' }), provider: 'bwrap' });
    const resource = (id: string, mountPath: string) => ({ id, type: 'github_repository', url: `${git.baseUrl}/acme/hello`, mount_path: mountPath, checkout: null, created_at: '', updated_at: '' });
    const session = { id: 'sesn_recover', tenant_id: 't1', resources: JSON.stringify([resource('sesrsc_a', '/workspace/hello'), resource('sesrsc_b', '/workspace/other')]) };
    await store.sessionRepositories.insertMany(['sesrsc_a', 'sesrsc_b'].map((id) => ({ id, tenant_id: 't1', session_id: session.id, authorization_token: null, cloned_at: null, created_at: 1, updated_at: 1 })));
    const clonedAt = async () => Object.fromEntries((await sql<{ id: string; cloned_at: number | null }>`SELECT id, cloned_at FROM session_repositories ORDER BY id`.execute(store.db)).rows.map((r) => [r.id, r.cloned_at === null ? null : 'set']));

    expect(await checkouts.prepare(session)).toEqual({ failures: [], placed: 2 });
    const readme = path.join(workdir, session.id, 'hello', 'README.md');
    // The agent's change to the checkout, then the crash window: placed, not recorded.
    await writeFile(readme, 'changed by the agent\n');
    await sql`UPDATE session_repositories SET cloned_at = NULL`.execute(store.db);
    // sesrsc_b's path now holds something that is not its checkout.
    await rm(path.join(workdir, session.id, 'other'), { recursive: true });
    await mkdir(path.join(workdir, session.id, 'other', 'notes'), { recursive: true });

    const again = await checkouts.prepare(session);
    expect(again.failures.map((f) => [f.repository_url, f.message])).toEqual([[`${git.baseUrl}/acme/hello`, expect.stringMatching(/\/workspace\/other already exists/)]]);
    expect(await clonedAt()).toEqual({ sesrsc_a: 'set', sesrsc_b: null });
    expect(await readFile(readme, 'utf8')).toBe('changed by the agent\n');
  });
});
