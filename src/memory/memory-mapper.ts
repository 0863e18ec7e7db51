/** memories / memory_versions rows → wire objects, with content read from the blob store for view=full. */
import type { MemoryTable, MemoryVersionTable } from '../store/schema.ts';
import type { Actor, Memory, MemoryVersion, MemoryView } from '../api/schemas/memory-stores.ts';
import { readBlob, type BlobStore } from '../blobs/blob-store.ts';
import { parseJson } from '../store/json.ts';
import { toIso } from '../lib/time.ts';
import { InternalError } from '../errors.ts';

/** The content of a blob that a row says exists; its absence is a server fault, never "empty". */
export async function contentOf(blobs: BlobStore, hash: string, owner: string): Promise<string> {
  const bytes = await readBlob(blobs, hash);
  if (!bytes) throw new InternalError(`the content of ${owner} (sha256 ${hash}) is missing from the blob store (${blobs.description})`);
  return bytes.toString('utf8');
}

export async function toMemory(row: MemoryTable, view: MemoryView, blobs: BlobStore): Promise<Memory> {
  return {
    id: row.id,
    type: 'memory',
    memory_store_id: row.memory_store_id,
    path: row.path,
    content: view === 'full' ? await contentOf(blobs, row.content_sha256, `memory ${row.id}`) : null,
    content_sha256: row.content_sha256,
    content_size_bytes: Number(row.content_size_bytes),
    memory_version_id: row.memory_version_id,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

export async function toMemoryVersion(row: MemoryVersionTable, view: MemoryView, blobs: BlobStore): Promise<MemoryVersion> {
  const hasContent = row.content_sha256 !== null && row.redacted_at === null && row.operation !== 'deleted';
  return {
    id: row.id,
    type: 'memory_version',
    memory_id: row.memory_id,
    memory_store_id: row.memory_store_id,
    operation: row.operation as MemoryVersion['operation'],
    path: row.path,
    content: view === 'full' && hasContent ? await contentOf(blobs, row.content_sha256!, `memory version ${row.id}`) : null,
    content_sha256: row.operation === 'deleted' ? null : row.content_sha256,
    content_size_bytes: row.operation === 'deleted' || row.content_size_bytes === null ? null : Number(row.content_size_bytes),
    created_at: toIso(row.created_at),
    created_by: parseJson<Actor | null>(row.created_by, 'memory_versions.created_by'),
    redacted_at: toIso(row.redacted_at),
    redacted_by: parseJson<Actor | null>(row.redacted_by, 'memory_versions.redacted_by'),
  };
}
