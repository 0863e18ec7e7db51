/** `oma migrate-to-postgres --url URL [--force]`. */
import { loadConfig } from '../../config/load.ts';
import { migrateToPostgres } from '../../ops/migrate-to-postgres.ts';
import { requireOption, UsageError, type Command } from '../command.ts';

export const migrateToPostgresCommand: Command = {
  name: 'migrate-to-postgres',
  summary: 'copy every table of the SQLite database into an empty Postgres database, verified',
  help: `usage: npm run oma -- migrate-to-postgres --url postgres://user:password@host:5432/db [--force]
  Stop the server first. Applies the migrations to the target, copies every table in batches in one
  transaction (a failure leaves the target as it was; run it again), checks per-table counts and a
  sample of rows, and prints what to set next. Refuses a target with rows unless --force, which
  deletes them first. The SQLite file is not changed.`,
  options: { url: { type: 'string' }, force: { type: 'boolean' } },
  async run(args) {
    const url = requireOption(args, 'url');
    if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError('--url must start with postgres:// or postgresql://');
    const config = loadConfig();
    let last = '';
    const result = await migrateToPostgres(config, {
      url,
      force: args.values.force === true,
      progress: (table, copied) => {
        if (table !== last) process.stderr.write(`${last ? '\n' : ''}copying ${table}`);
        last = table;
        if (copied % 10_000 === 0) process.stderr.write('.');
      },
    });
    if (last) process.stderr.write('\n');
    const rows = Object.entries(result.tables).map(([t, n]) => `  ${t}: ${n}`).join('\n');
    process.stdout.write(`copied into ${new URL(url).host}${new URL(url).pathname}, counts and sampled rows verified:\n${rows}\n\n` +
      `Next: start the server with DATABASE_URL set to that URL (keep DATA_DIR: its secret files and auth.db\n` +
      `stay there). ${config.database.kind === 'sqlite' ? config.database.path : ''} is unchanged; keep it until you have checked the move.\n`);
    return 0;
  },
};
