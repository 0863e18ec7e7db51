/**
 * Blobs are shared by every version with the same content (in any store), so one is removed only
 * when no version holds it any more. Trade-off: the count and the removal are not atomic with a
 * concurrent write of the same content; that write re-puts the blob before its transaction, but a
 * removal landing between that put and its commit can still drop it. Writers of identical content
 * at the very moment of a redaction are the only case, and it fails loudly (a read reports the
 * missing blob) rather than silently.
 */
import type { Store } from '../store/store.ts';
import type { BlobStore } from '../blobs/blob-store.ts';

/** Deletes each blob that no memory version refers to any more. */
export async function releaseBlobs(deps: { store: Store; blobs: BlobStore }, hashes: Iterable<string>): Promise<void> {
  for (const hash of new Set(hashes)) {
    if ((await deps.store.memoryVersions.countHolding(hash)) === 0) await deps.blobs.delete(hash);
  }
}
