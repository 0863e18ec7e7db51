/**
 * A session's memory store directories on the host: `<root>/<session id>/<slug>` (root is
 * `SANDBOX_WORKDIR/.memory`), with one manifest per store beside them, outside what the sandbox
 * sees. `prepare` fills them from the stores when the sandbox opens; `sync` runs after each
 * mutating tool call, before its result is committed, and after a crash before the recovered
 * result is (see memory-sync.ts for the rule); `remove` deletes them with the session.
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '../store/store.ts';
import type { SessionTable } from '../store/schema.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { SandboxMemory } from '../sandbox/sandbox.ts';
import { memoryResourcesOf, MEMORY_MOUNT_ROOT } from './session-memory.ts';
import { refreshStore, syncStore, type StoreMount } from './memory-sync.ts';

type SessionRow = Pick<SessionTable, 'id' | 'tenant_id' | 'resources'>;

const SESSION_ID = /^[A-Za-z0-9_]+$/;

export class SessionMemoryMounts {
  constructor(private readonly deps: { store: Store; blobs: BlobStore; root: string }) {}

  private sessionRoot(sessionId: string): string {
    if (!SESSION_ID.test(sessionId)) throw new Error(`unexpected session id ${JSON.stringify(sessionId)}`);
    return path.join(path.resolve(this.deps.root), sessionId);
  }

  private mountsOf(session: SessionRow): StoreMount[] {
    const root = this.sessionRoot(session.id);
    return memoryResourcesOf(session.resources).map((r) => {
      const slug = r.mount_path.slice(MEMORY_MOUNT_ROOT.length + 1);
      return {
        tenantId: session.tenant_id,
        storeId: r.memory_store_id,
        dir: path.join(root, slug),
        manifestFile: path.join(root, `.${slug}.manifest.json`),
        readOnly: r.access === 'read_only',
        mountPath: r.mount_path,
      };
    });
  }

  /** Creates and fills the directories; undefined for a session without memory stores. */
  async prepare(session: SessionRow): Promise<SandboxMemory | undefined> {
    const mounts = this.mountsOf(session);
    if (mounts.length === 0) return undefined;
    const root = this.sessionRoot(session.id);
    // 0711: a sandbox uid may pass through to its own store directories, and list nothing here.
    await mkdir(path.dirname(root), { recursive: true, mode: 0o711 });
    await chmod(path.dirname(root), 0o711);
    await mkdir(root, { recursive: true, mode: 0o711 });
    for (const mount of mounts) {
      await mkdir(mount.dir, { recursive: true, mode: 0o700 });
      await refreshStore(this.deps, mount, { force: mount.readOnly });
    }
    return { hostRoot: root, mounts: mounts.map((m) => ({ name: path.basename(m.dir), readOnly: m.readOnly })) };
  }

  /** Commits what the agent changed in every store of the session; returns notices for the tool result. */
  async sync(session: SessionRow): Promise<string[]> {
    const notices: string[] = [];
    for (const mount of this.mountsOf(session)) notices.push(...(await syncStore(this.deps, mount, { kind: 'session', sessionId: session.id })));
    return notices;
  }

  async remove(sessionId: string): Promise<void> {
    await rm(this.sessionRoot(sessionId), { recursive: true, force: true });
  }
}
