/** `oma backup --out DIR` and `oma restore --from DIR [--force]`. */
import { loadConfig } from '../../config/load.ts';
import { createBackup } from '../../ops/backup.ts';
import { restoreBackup } from '../../ops/restore.ts';
import { requireOption, type Command } from '../command.ts';

const total = (tables: Record<string, number>) => Object.values(tables).reduce((a, b) => a + b, 0);

export const backupCommand: Command = {
  name: 'backup',
  summary: 'online, consistent backup of the database, auth.db, secrets, blobs and sandboxes',
  help: `usage: npm run oma -- backup --out <new or empty directory>
  Runs while the server runs (SQLite: VACUUM INTO; Postgres: one REPEATABLE READ snapshot of every
  table). Writes manifest.json (versions, row counts, SHA-256 of every file) last. The directory holds
  the platform secrets: keep it as safe as the server's DATA_DIR.`,
  options: { out: { type: 'string' } },
  async run(args) {
    const out = requireOption(args, 'out');
    const config = loadConfig();
    const manifest = await createBackup(config, out);
    const files = manifest.files.filter((f) => f.kind === 'file').length;
    process.stdout.write(`backup written to ${out}: ${manifest.database.kind} database at migration ${manifest.database.migration_level}, ` +
      `${Object.keys(manifest.database.tables).length} tables, ${total(manifest.database.tables)} rows, ${files} files\n`);
    if (config.authDatabaseUrl) process.stderr.write('note: AUTH_DATABASE_URL is set: the Console users are in that Postgres database, not in this backup; pg_dump it too\n');
    if (manifest.secret_files.length < 2) process.stderr.write('note: a secret set in the environment is not in the backup; set it again on the restored server\n');
    return 0;
  },
};

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'restore a backup into an empty DATA_DIR and database (checksums verified first)',
  help: `usage: npm run oma -- restore --from <backup directory> [--force]
  Verifies every checksum first, then restores into this configuration's DATA_DIR and database
  (DATABASE_URL or DATABASE_PATH; a SQLite backup restores into Postgres too). The server must be
  stopped. Refuses a non-empty DATA_DIR or database unless --force, which replaces what is there.`,
  options: { from: { type: 'string' }, force: { type: 'boolean' } },
  async run(args) {
    const from = requireOption(args, 'from');
    const config = loadConfig(process.env, { generateSecrets: false });
    const { manifest, database } = await restoreBackup(config, from, args.values.force === true);
    process.stdout.write(`restored ${from} (taken ${manifest.created_at}) into ${config.dataDir}: ${Object.keys(database.tables).length} tables, ${total(database.tables)} rows verified\n`);
    return 0;
  },
};
