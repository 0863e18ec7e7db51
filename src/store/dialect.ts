/**
 * What the rest of the store needs to know about the database it runs on. Only store/ sees this;
 * differences the core cares about are capability flags, never a backend name comparison.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { TableInfo } from './catalog.ts';
import type { AppendBatch, AppendOutcome } from './event-append.ts';

export interface DialectCapabilities {
  /** Postgres LISTEN/NOTIFY is available for cross-instance wake-ups. */
  supportsListenNotify: boolean;
  /** Several server processes may write at once (Postgres); SQLite is one writer per file. */
  supportsManyWriters: boolean;
}

/** Receives the payloads of one notification channel (see StoreDialect.listen). */
export interface NotificationHandlers {
  onMessage(payload: string): void;
  /** After the connection was lost and re-established: notifications in between are lost. */
  onReconnect(): void;
  onError(err: unknown): void;
}

export interface NotificationListener {
  close(): Promise<void>;
}

export interface StoreDialect {
  /** "sqlite" or "postgres" — for /health and logs only. */
  readonly kind: 'sqlite' | 'postgres';
  /** Human description without credentials: "sqlite /data/oma.db", "postgres host:5432/oma". */
  readonly description: string;
  readonly capabilities: DialectCapabilities;
  readonly db: Kysely<Database>;
  /** Runs fn in one write transaction (SQLite: BEGIN IMMEDIATE; Postgres: READ COMMITTED). */
  transaction<T>(fn: (tx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * The event log's append as one atomic unit in the fewest round trips (event-append.ts): lease
   * check, seq bump, session patch, inserts, processed marks. Committed when it resolves. Not for
   * use inside `transaction`.
   */
  appendEvents(batch: AppendBatch): Promise<AppendOutcome>;
  /** This dialect's DDL of the auth epoch (auth-epoch.ts): its table and the triggers that bump it. */
  readonly authEpochDdl: readonly string[];
  /** The committed auth epoch (0 before any bump). */
  readAuthEpoch(): Promise<number>;
  /** Serialises concurrent migrators; called first inside the migration transaction. */
  lockForMigration(tx: Kysely<Database> | Transaction<Database>): Promise<void>;
  /** ALTER TABLE … ADD COLUMN unless the column exists. */
  addColumn(tx: Kysely<Database>, table: string, column: string, definition: string): Promise<void>;
  /** True when err is a unique/primary-key violation of the driver. */
  isUniqueViolation(err: unknown): boolean;
  /**
   * Who this process is in the database's notifications (Postgres: its application_name), so a
   * listener can tell its own writes from other instances'. Only with supportsListenNotify.
   */
  readonly origin?: string;
  /** Sends one notification on a channel (delivered to listeners at once); only with supportsListenNotify. */
  notify?(channel: string, payload: string): Promise<void>;
  /** Listens on a channel on a dedicated connection that reconnects; only with supportsListenNotify. */
  listen?(channel: string, handlers: NotificationHandlers): Promise<NotificationListener>;
  /** Every table of the database with its columns, primary key and foreign-key parents (catalog.ts). */
  listTables(): Promise<TableInfo[]>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
