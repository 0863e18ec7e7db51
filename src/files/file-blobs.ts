/**
 * Files and skill files share the files blob store by content, so a blob is removed only when
 * neither a file nor a skill file holds it. Trade-off (as in memory/blob-references.ts): the count
 * and the removal are not atomic with a concurrent upload of identical bytes, which re-puts the blob
 * before inserting its row; a removal landing between the two drops it, and the download then
 * reports the missing blob loudly rather than serving wrong bytes.
 */
import type { Store } from '../store/store.ts';
import type { BlobStore } from '../blobs/blob-store.ts';

/** Deletes each blob no file and no skill file refers to any more. */
export async function releaseFileBlobs(deps: { store: Store; blobs: BlobStore }, hashes: Iterable<string>): Promise<void> {
  for (const hash of new Set(hashes)) {
    const held = (await deps.store.files.countHolding(hash)) + (await deps.store.skills.countHolding(hash));
    if (held === 0) await deps.blobs.delete(hash);
  }
}
