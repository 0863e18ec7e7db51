/** The contract every BlobStore implementation obeys; each implementation's test calls it with a factory. */
import { Readable } from 'node:stream';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readBlob, sha256Hex, type BlobStore } from '../../src/blobs/blob-store.ts';

export function blobStoreContract(name: string, factory: () => Promise<{ store: BlobStore; close(): Promise<void> }>): void {
  describe(`blob store contract (${name})`, () => {
    let store: BlobStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await factory());
    });
    afterAll(async () => {
      await close?.();
    });

    it('puts, gets and deletes bytes by their SHA-256', async () => {
      const bytes = Buffer.from(`hello ${name} ${Date.now()}`);
      const hash = sha256Hex(bytes);
      expect(await store.get(hash)).toBeUndefined();
      await store.put(hash, bytes);
      expect(await readBlob(store, hash)).toEqual(bytes);
      await store.put(hash, bytes);
      expect(await readBlob(store, hash)).toEqual(bytes);
      await store.delete(hash);
      expect(await store.get(hash)).toBeUndefined();
      await store.delete(hash);
    });

    it('takes a stream and streams back the same bytes', async () => {
      const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(4096, i));
      const whole = Buffer.concat(parts);
      const hash = sha256Hex(whole);
      await store.put(hash, Readable.from(parts));
      const back = await store.get(hash);
      expect(back).toBeDefined();
      const chunks: Buffer[] = [];
      for await (const c of back!) chunks.push(Buffer.from(c as Uint8Array));
      expect(Buffer.concat(chunks).equals(whole)).toBe(true);
    });

    it('refuses content that does not hash to its key and leaves nothing behind', async () => {
      const hash = sha256Hex('the real content');
      await expect(store.put(hash, Buffer.from('other content'))).rejects.toThrow(/hashes to/);
      expect(await store.get(hash)).toBeUndefined();
    });

    it('refuses keys that are not a lowercase hex SHA-256', async () => {
      await expect(store.put('../escape', Buffer.from('x'))).rejects.toThrow(/SHA-256/);
      await expect(store.get('ABC')).rejects.toThrow(/SHA-256/);
    });
  });
}
