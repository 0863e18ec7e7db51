/** Helpers shared by the remote providers' tests: sessions rows to tag and reap against, a memory mount on the host. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../../src/store/store.ts';
import type { SandboxMemory } from '../../../src/sandbox/sandbox.ts';

let counter = 0;

/** Inserts a session row (tenant `tenant_remote`) and returns its id. */
export async function insertSession(store: Store, options: { archived?: boolean; status?: string } = {}): Promise<string> {
  const id = `sesn_remote${Date.now().toString(36)}${++counter}`;
  const now = Date.now();
  await store.sessions.insert({
    id, tenant_id: 'tenant_remote', agent_id: null, agent_version: null, agent: null, environment_id: 'env_x', title: null, metadata: '{}', vault_ids: '[]', resources: '[]',
    status: options.status ?? 'idle', last_seq: 0, usage: '{}', active_ms: 0, created_at: now, updated_at: now, archived_at: options.archived ? now : null, turn_id: null, environment_config: null,
  });
  return id;
}

/** A host memory root with a writable store "notes" (holding a.md) and a read-only store "docs" (holding ro.md). */
export async function memoryFixture(): Promise<SandboxMemory> {
  const hostRoot = await mkdtemp(path.join(os.tmpdir(), 'oma-remote-memory-'));
  await mkdir(path.join(hostRoot, 'notes'));
  await mkdir(path.join(hostRoot, 'docs'));
  await writeFile(path.join(hostRoot, 'notes', 'a.md'), 'alpha\n');
  await writeFile(path.join(hostRoot, 'docs', 'ro.md'), 'read only\n');
  return { hostRoot, mounts: [{ name: 'notes', readOnly: false }, { name: 'docs', readOnly: true }] };
}
