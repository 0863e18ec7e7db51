/**
 * The sandbox's /etc: a short allowlist of host entries, nothing else. Regular files are copied in
 * (bwrap `--file`, from a handle the server opens for each command) and directories are bound
 * read-only. Binding everything cost too much: each bind is a mount, a read of the whole mount
 * table and a remount, and the table grows with every bind, so the 29 entries took ~10 ms of a
 * ~35 ms command on a 2-core VM; opening and copying the files takes about 1 ms.
 * Security boundaries:
 * - A file is copied only when it is a regular file that everyone may read, i.e. what the
 *   session uid could read through a bind. Anything else is bound, so host permissions apply.
 * - The copies are read-only inside: bwrap remounts the sandbox root read-only once set up.
 * - A copy is the file as it was when the command started, which is all a bind showed in practice.
 */
import { constants, type FileHandle, open, stat } from 'node:fs/promises';

/** Host /etc entries the sandbox may see (read-only); everything else in /etc is absent. */
const ETC_ENTRIES = [
  'alternatives', 'bash.bashrc', 'ca-certificates', 'ca-certificates.conf', 'debian_version', 'group',
  'host.conf', 'hostname', 'hosts', 'inputrc', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'localtime',
  'mime.types', 'nsswitch.conf', 'os-release', 'passwd', 'profile', 'protocols', 'resolv.conf', 'services',
  'ssl', 'timezone', 'gitconfig', 'magic', 'perl', 'python3', 'terminfo',
];

/** One allowlisted entry: host `source` shown at `target` inside. */
export interface EtcEntry {
  source: string;
  target: string;
  /** A directory on the host when the provider started: always bound. */
  directory: boolean;
  /** Bound with `--ro-bind` (bwrap fails when it is missing) rather than `--ro-bind-try`. */
  required: boolean;
}

/** One command's /etc: what to bind, and the open files to copy (in the order they are passed). */
export interface EtcSetup {
  binds: { source: string; target: string; required: boolean }[];
  copies: { target: string; handle: FileHandle }[];
}

/** Reads which allowlisted entries are directories on this host (once per provider). */
export async function readEtcEntries(): Promise<EtcEntry[]> {
  return Promise.all(
    ETC_ENTRIES.map(async (name) => {
      const source = `/etc/${name}`;
      const stats = await stat(source).catch(() => undefined);
      return { source, target: source, directory: stats?.isDirectory() ?? false, required: false };
    }),
  );
}

/** The entries with /etc/resolv.conf taken from `resolvConf` (a networked command's DNS), required. */
export function withResolvConf(entries: EtcEntry[], resolvConf: string): EtcEntry[] {
  return entries.map((entry) =>
    entry.target === '/etc/resolv.conf' ? { source: resolvConf, target: entry.target, directory: false, required: true } : entry,
  );
}

/**
 * Opens the files to copy for one command. The caller hands `copies` to the launcher, which
 * closes them (`LaunchSpec.passedFiles`); on a rejection none is left open.
 */
export async function openEtcSetup(entries: EtcEntry[]): Promise<EtcSetup> {
  const setup: EtcSetup = { binds: [], copies: [] };
  const opened = await Promise.all(entries.map((entry) => (entry.directory ? undefined : openReadableFile(entry.source))));
  entries.forEach((entry, index) => {
    const handle = opened[index];
    if (handle) setup.copies.push({ target: entry.target, handle });
    else setup.binds.push({ source: entry.source, target: entry.target, required: entry.required });
  });
  return setup;
}

/**
 * Opens `source` if it is a regular file everyone may read; undefined otherwise (missing, a
 * directory, a device, private). O_NONBLOCK keeps a FIFO from blocking the open.
 */
async function openReadableFile(source: string): Promise<FileHandle | undefined> {
  const handle = await open(source, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch(() => undefined);
  if (!handle) return undefined;
  const stats = await handle.stat().catch(() => undefined);
  if (stats?.isFile() && (stats.mode & 0o004) !== 0) return handle;
  // Best-effort close of a read-only handle we decided not to use; nothing was read from it.
  await handle.close().catch(() => undefined);
  return undefined;
}
