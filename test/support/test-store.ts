/**
 * A fresh database with its store open for the tests of the enclosing describe block (or file):
 * created in beforeAll, closed and dropped in afterAll. Its fields are set once beforeAll ran, so
 * read them inside hooks and tests, not while the tests are being collected.
 */
import { afterAll, beforeAll } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, type Backend, type TestDatabase } from './backends.ts';

export interface TestStore {
  readonly db: TestDatabase;
  readonly store: Store;
}

export function useTestStore(backend: Backend): TestStore {
  let db: TestDatabase | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });
  return {
    get db() {
      if (!db) throw new Error('useTestStore: the database is created in beforeAll; read it inside a hook or test');
      return db;
    },
    get store() {
      if (!store) throw new Error('useTestStore: the store is opened in beforeAll; read it inside a hook or test');
      return store;
    },
  };
}
