/** `Sandbox.readFile`/`writeFile`/`list`, run as commands inside the sandbox (see file-commands.ts). */
import type { DirEntry } from '../sandbox.ts';
import type { CommandSandbox } from './command-sandbox.ts';
import {
  EXIT_NOT_FOUND,
  EXIT_WRONG_TYPE,
  LIST_SCRIPT,
  READ_FILE_LIMIT_BYTES,
  READ_FILE_SCRIPT,
  WRITE_FILE_SCRIPT,
} from './file-commands.ts';

const FILE_TIMEOUT_MS = 60_000;
const ENTRY_TYPES: Record<string, DirEntry['type']> = { f: 'file', d: 'directory', l: 'symlink' };

export async function readFileInSandbox(sandbox: CommandSandbox, filePath: string): Promise<Buffer> {
  const raw = await sandbox.runBash(['-c', READ_FILE_SCRIPT, 'oma-read', filePath], {
    operation: 'readFile',
    timeoutMs: FILE_TIMEOUT_MS,
    maxOutputBytes: READ_FILE_LIMIT_BYTES,
  });
  if (raw.exitCode === EXIT_NOT_FOUND) throw sandbox.error('readFile', `File does not exist: ${filePath}`);
  if (raw.exitCode === EXIT_WRONG_TYPE) throw sandbox.error('readFile', `Path is a directory, not a file: ${filePath}`);
  if (raw.exitCode !== 0) throw sandbox.error('readFile', `Could not read ${filePath}: ${describeFailure(raw)}`);
  if (raw.truncatedBytes > 0) {
    throw sandbox.error('readFile', `File is larger than ${READ_FILE_LIMIT_BYTES} bytes and was not read: ${filePath}`);
  }
  return raw.stdout;
}

export async function writeFileInSandbox(sandbox: CommandSandbox, filePath: string, data: string | Buffer): Promise<void> {
  const raw = await sandbox.runBash(['-c', WRITE_FILE_SCRIPT, 'oma-write', filePath], {
    operation: 'writeFile',
    timeoutMs: FILE_TIMEOUT_MS,
    stdin: data,
  });
  if (raw.exitCode === EXIT_WRONG_TYPE) throw sandbox.error('writeFile', `Path is a directory, not a file: ${filePath}`);
  if (raw.exitCode !== 0) throw sandbox.error('writeFile', `Could not write ${filePath}: ${describeFailure(raw)}`);
}

export async function listInSandbox(sandbox: CommandSandbox, directoryPath: string): Promise<DirEntry[]> {
  const raw = await sandbox.runBash(['-c', LIST_SCRIPT, 'oma-list', directoryPath], {
    operation: 'list',
    timeoutMs: FILE_TIMEOUT_MS,
    maxOutputBytes: READ_FILE_LIMIT_BYTES,
  });
  if (raw.exitCode === EXIT_NOT_FOUND) throw sandbox.error('list', `Directory does not exist: ${directoryPath}`);
  if (raw.exitCode === EXIT_WRONG_TYPE) throw sandbox.error('list', `Path is not a directory: ${directoryPath}`);
  if (raw.exitCode !== 0) throw sandbox.error('list', `Could not list ${directoryPath}: ${describeFailure(raw)}`);
  return parseEntries(raw.stdout.toString('utf8'));
}

function parseEntries(output: string): DirEntry[] {
  const entries: DirEntry[] = [];
  for (const record of output.split('\0')) {
    const [kind, size, mtime, ...name] = record.split('\t');
    if (name.length === 0) continue;
    entries.push({
      name: name.join('\t'),
      type: ENTRY_TYPES[kind] ?? 'other',
      size: Number(size),
      mtimeMs: Math.round(Number(mtime) * 1000),
    });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function describeFailure(raw: { exitCode: number | null; stderr: Buffer; timedOut: boolean }): string {
  if (raw.timedOut) return `timed out after ${FILE_TIMEOUT_MS} ms`;
  const stderr = raw.stderr.toString('utf8').trim();
  return stderr || `exit code ${raw.exitCode}`;
}
