/** Every `oma` command, in the order `--help` lists them. */
import type { Command } from '../command.ts';
import { apiKeysCreate, apiKeysList, apiKeysRevoke } from './api-keys.ts';
import { rotateRootSecretCommand } from './rotate-root-secret.ts';
import { backupCommand, restoreCommand } from './backup.ts';
import { migrateToPostgresCommand } from './migrate-to-postgres.ts';
import { doctorCommand } from './doctor.ts';

export const COMMANDS: Command[] = [apiKeysCreate, apiKeysList, apiKeysRevoke, backupCommand, restoreCommand, migrateToPostgresCommand, doctorCommand, rotateRootSecretCommand];
