/** Key/value facts about the installation (e.g. the root-secret check value). */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export class MetaRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom('platform_meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
  }

  /** Inserts the value unless the key exists; returns the value now stored. */
  async setIfAbsent(key: string, value: string): Promise<string> {
    await this.db.insertInto('platform_meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.get(key)) ?? value;
  }

  /** Inserts or replaces the value. */
  async set(key: string, value: string): Promise<void> {
    await this.db.insertInto('platform_meta').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  }
}
