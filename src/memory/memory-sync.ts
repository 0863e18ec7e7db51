/**
 * Turns what an agent changed in a mounted store directory into memory versions, and brings other
 * writers' changes into the directory. The rule (docs/memory.md "Writes from sessions"): a file
 * whose hash differs from the one this session last saw (its manifest) was changed by the agent and
 * becomes a version by `session_actor`; if the memory changed meanwhile (someone else wrote a
 * version this session never read), the agent's content still becomes a new version on top — never
 * a silent overwrite: the tool result says so. A file the agent deleted is deleted only if nobody
 * changed it since. The sync is idempotent (a file equal to the stored memory writes nothing), so
 * re-running it after a crash repeats no version and loses no change.
 */
import type { Store } from '../store/store.ts';
import type { MemoryTable } from '../store/schema.ts';
import { sha256Hex, type BlobStore } from '../blobs/blob-store.ts';
import { AppError } from '../errors.ts';
import { ancestorsOf, assertMemoryPath, MAX_CONTENT_BYTES } from './memory-paths.ts';
import { createMemoryRow, deleteMemoryRow, lockStore, modifyMemoryRow, type Content } from './memory-writes.ts';
import { contentOf } from './memory-mapper.ts';
import { isDirectory, readManifest, removeStoreFile, scanDirectory, writeManifest, writeStoreFile, type Manifest } from './memory-files.ts';
import type { WriteActor } from './memory-actor.ts';

export interface StoreMount {
  tenantId: string;
  storeId: string;
  /** Host directory of the store for this session. */
  dir: string;
  manifestFile: string;
  readOnly: boolean;
  /** As the agent sees it, for messages: /mnt/memory/<slug>. */
  mountPath: string;
}

interface SyncDeps {
  store: Store;
  blobs: BlobStore;
}

interface Change {
  path: string;
  content: Content;
}

/** Commits the agent's changes in one store directory; returns notices for the tool result. */
export async function syncStore(deps: SyncDeps, mount: StoreMount, actor: WriteActor): Promise<string[]> {
  const notices: string[] = [];
  if (!(await deps.store.memoryStores.find(mount.tenantId, mount.storeId))) return notices;
  // No directory (never prepared, or removed): nothing was changed, and nothing may read as deleted.
  if (!(await isDirectory(mount.dir))) return notices;
  const base = (await readManifest(mount.manifestFile)) ?? {};
  const scan = await scanDirectory(mount.dir, MAX_CONTENT_BYTES);
  const acknowledged = new Set<string>();
  const skip = (p: string, why: string) => {
    acknowledged.add(p);
    notices.push(`${mount.mountPath}${p} was not saved to memory: ${why}.`);
  };
  for (const p of scan.skipped) if (base[p] === undefined) skip(p, 'only regular files are memories (not symlinks or special files)');
  for (const p of scan.tooLarge) skip(p, `it is larger than ${MAX_CONTENT_BYTES} bytes`);
  if (mount.readOnly) {
    const changed = [...scan.files.values()].some((f) => base[f.path] !== sha256Hex(f.bytes)) || Object.keys(base).some((p) => !scan.files.has(p));
    if (changed) notices.push(`The memory store at ${mount.mountPath} is read-only: changes there were discarded.`);
    await refreshStore(deps, mount, { force: true });
    return notices;
  }
  const writes: Change[] = [];
  for (const file of scan.files.values()) {
    const hash = sha256Hex(file.bytes);
    if (base[file.path] === hash) continue;
    const text = file.bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(file.bytes)) { skip(file.path, 'memories are UTF-8 text'); continue; }
    try {
      assertMemoryPath(file.path);
    } catch (err) {
      skip(file.path, (err as Error).message.replace(/^path: /, 'its path '));
      continue;
    }
    await deps.blobs.put(hash, file.bytes);
    writes.push({ path: file.path, content: { hash, size: file.bytes.length } });
  }
  const deletes = Object.keys(base).filter((p) => !scan.files.has(p) && !scan.tooLarge.includes(p) && !scan.skipped.includes(p));
  if (writes.length > 0 || deletes.length > 0) {
    try {
      await deps.store.transaction(async (tx) => {
        await lockStore(tx, mount.tenantId, mount.storeId, { write: true });
        for (const p of deletes) await applyDelete(tx, { mount, base, actor, notices }, p);
        for (const change of writes) await applyWrite(tx, { mount, base, actor, notices, acknowledged }, change);
      });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      notices.push(`Changes in ${mount.mountPath} were not saved to memory: ${err.message}.`);
      for (const c of writes) acknowledged.add(c.path);
    }
  }
  await refreshStore(deps, mount, { acknowledged, base, current: scan.files });
  return notices;
}

interface ApplyContext {
  mount: StoreMount;
  base: Manifest;
  actor: WriteActor;
  notices: string[];
}

async function applyDelete(tx: Store, ctx: ApplyContext, p: string): Promise<void> {
  const current = await tx.memories.findByPath(ctx.mount.tenantId, ctx.mount.storeId, p);
  if (!current) return;
  if (current.content_sha256 !== ctx.base[p]) {
    ctx.notices.push(`${ctx.mount.mountPath}${p} was not deleted from memory: another writer changed it after this session read it (memory version ${current.memory_version_id}); it is back in the directory.`);
    return;
  }
  await deleteMemoryRow(tx, current, ctx.actor);
}

async function applyWrite(tx: Store, ctx: ApplyContext & { acknowledged: Set<string> }, change: Change): Promise<void> {
  const { mount } = ctx;
  const current = await tx.memories.findByPath(mount.tenantId, mount.storeId, change.path);
  if (current?.content_sha256 === change.content.hash) return;
  if (current) {
    if (current.content_sha256 !== ctx.base[change.path]) {
      ctx.notices.push(`${mount.mountPath}${change.path} had been changed by another writer since this session read it (memory version ${current.memory_version_id}); your content was saved as a newer version on top of it.`);
    }
    await modifyMemoryRow(tx, current, { path: change.path, content: change.content, actor: ctx.actor });
    return;
  }
  const other = await tx.memories.findOverlapping(mount.tenantId, mount.storeId, { path: change.path, ancestors: ancestorsOf(change.path) });
  if (other) {
    ctx.acknowledged.add(change.path);
    ctx.notices.push(`${mount.mountPath}${change.path} was not saved to memory: its path overlaps memory ${other.id} at ${other.path}.`);
    return;
  }
  if (ctx.base[change.path] !== undefined) ctx.notices.push(`${mount.mountPath}${change.path} had been deleted by another writer since this session read it; your content re-created it.`);
  await createMemoryRow(tx, { tenantId: mount.tenantId, storeId: mount.storeId, path: change.path, content: change.content, actor: ctx.actor });
}

/**
 * Makes the directory show the store as it is now, except files the agent changed that were not
 * saved (they stay, with their old base so the next sync tries again, or acknowledged: their
 * current hash becomes the base and they are not reported again). `force` (read-only stores)
 * restores every file. Writes the new manifest.
 */
export async function refreshStore(
  deps: SyncDeps,
  mount: StoreMount,
  options: { force?: boolean; acknowledged?: Set<string>; base?: Manifest; current?: Map<string, { bytes: Buffer }> } = {},
): Promise<void> {
  const base = options.base ?? (await readManifest(mount.manifestFile)) ?? {};
  const current = options.current ?? (await scanDirectory(mount.dir, MAX_CONTENT_BYTES)).files;
  const rows = await deps.store.memories.listUnder(mount.tenantId, mount.storeId, '/');
  const next: Manifest = {};
  const stored = new Map<string, MemoryTable>(rows.map((r) => [r.path, r]));
  for (const [p, file] of current) {
    if (stored.has(p)) continue;
    const hash = sha256Hex(file.bytes);
    if (options.force || hash === base[p]) await removeStoreFile(mount.dir, p);
    else if (options.acknowledged?.has(p)) next[p] = hash;
    else if (base[p] !== undefined) next[p] = base[p];
  }
  for (const row of rows) {
    const file = current.get(row.path);
    const hash = file ? sha256Hex(file.bytes) : undefined;
    const untouched = hash === undefined || hash === base[row.path] || hash === row.content_sha256;
    if (options.force || untouched) {
      if (hash !== row.content_sha256) await writeStoreFile(mount.dir, row.path, Buffer.from(await contentOf(deps.blobs, row.content_sha256, `memory ${row.id}`), 'utf8'));
      next[row.path] = row.content_sha256;
    } else if (options.acknowledged?.has(row.path)) next[row.path] = hash!;
    else if (base[row.path] !== undefined) next[row.path] = base[row.path];
  }
  await writeManifest(mount.manifestFile, next);
}
