/**
 * Prestarted launches (issue 19, item 4): most of a sandbox command's cost is starting it, not
 * running it — bwrap builds six namespaces, a mount tree and the /etc copies, loads the seccomp
 * filter and attaches the network (≈20–30 ms on a busy 2-core VM); a subprocess command enters its
 * cgroup, which costs an RCU grace period (≈7–12 ms) when a process moves itself. So each sandbox
 * keeps, per network mode, ONE launch started ahead: a complete, fresh sandbox (the same spec, the
 * same process tree, booked in the session's ProcessSet and ledger) whose bash waits on its control
 * pipe (CONTROL_FD) before running anything. A call hands it the command; the next one is started
 * in the background once the call has finished.
 *
 * What this keeps (and why it is not a shared namespace or a persistent shell):
 * - Every call still gets its own sandbox, used once: its own namespaces, /tmp, cgroup, process
 *   tree, timeout and kill. Nothing of one call is visible to the next (no zygote forks from a
 *   shared parent, no shell that outlives its command).
 * - The network mode is part of the key: an internal file operation (network: false) only ever
 *   takes a launch built without the network, whatever the session's commands get.
 * - The launch is built from the session's state at start time. What changes that state (mounts:
 *   `discard`, stop/shutdown) discards the waiting launches, and one started before the change is
 *   killed, not used (`epoch`).
 * - A launch that dies while it waits (killed, bwrap failed) is dropped; the call then starts one
 *   the ordinary way, which reports any error as before. That holds even when it dies as the call
 *   is handed over: a launch that ended without acknowledging its call, and that we did not kill
 *   (timeout, abort, stop), never ran it, so the call runs fresh. A launch unused for IDLE_MS is killed, so an
 *   idle session holds no process.
 * - The call's environment: the launch starts with the base environment (the call's variables
 *   empty); the call's bash exports the differences before running the command. Names that bash
 *   reads specially when it starts (BASH_ENV, SHELLOPTS, IFS, PWD, …) do not take this path: the
 *   call starts fresh, so that their meaning is unchanged.
 * - The command runs in the bash that waited (`eval`, with $0 and the positional parameters set as
 *   `bash -c` would), not in a second one: that would cost another bash start.
 * Costs: one idle sandbox per session and network mode (two processes: bwrap and bash; a networked
 * one also its slirp4netns), and the CPU of starting it, spent between calls rather than in them.
 */
import { isEnvironmentName } from './environment.ts';
import { CONTROL_FD, REPORT_FD, type StartedProcess } from './run-process.ts';
import { quoteShellWord } from './shell-quote.ts';

/** A waiting launch unused this long is killed. */
const IDLE_MS = 60_000;

/**
 * What a prestarted launch runs (`bash -c PARK_SCRIPT`): it closes every inherited descriptor but
 * stdio, the report and the control pipe (see CLOSE_INHERITED_FDS in command-sandbox.ts), says it
 * is ready (`r`), reads the call's length on one line and then exactly that many bytes (`read -N`
 * reads in blocks, with LC_ALL=C counting bytes; a `read -d` would read one byte per system call),
 * says it has the call (`a`: a launch that ends without it never ran the command, which is then
 * started fresh), closes the control pipe and evaluates the call (`callMessage`).
 */
export const PARK_SCRIPT =
  `for __oma_fd in /proc/self/fd/*; do __oma_fd=\${__oma_fd##*/}; ` +
  `if [[ $__oma_fd =~ ^[0-9]+$ ]] && (( __oma_fd > 2 && __oma_fd != ${REPORT_FD} && __oma_fd != ${CONTROL_FD} )) && [[ -e /proc/self/fd/$__oma_fd ]]; then exec {__oma_fd}>&-; fi; done; unset -v __oma_fd\n` +
  `printf r >&${CONTROL_FD} || exit 125\n` +
  `IFS= read -r -u ${CONTROL_FD} __oma_n || exit 125\n` +
  `LC_ALL=C IFS= read -r -N "$__oma_n" -u ${CONTROL_FD} __oma_call || exit 125\n` +
  `printf a >&${CONTROL_FD}; exec ${CONTROL_FD}<&-\n` +
  `unset -v __oma_n\n` +
  `eval "$__oma_call"`;

/** Variables bash reads or sets itself at startup: a call that sets one starts fresh (see above). */
const BASH_STARTUP_NAMES =
  /^(BASH\w*|SHELLOPTS|ENV|IFS|POSIXLY_CORRECT|PS[0-4]|CDPATH|GLOBIGNORE|SHLVL|PWD|OLDPWD|PPID|UID|EUID|GROUPS|RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|FUNCNAME|EPOCHSECONDS|EPOCHREALTIME|DIRSTACK|OPTIND|OPTARG|OPTERR|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE|PIPESTATUS|SHELL|HISTFILE|HISTSIZE|HISTFILESIZE|TMOUT|COLUMNS|LINES|MAIL|MAILPATH|MAILCHECK|PROMPT_COMMAND|INPUTRC|TIMEFORMAT|COPROC|MAPFILE|REPLY|_|__oma_\w*)$/;

/** True when `variables` can be set by a waiting launch (see BASH_STARTUP_NAMES). */
export function canPrestartWith(variables: Record<string, string>): boolean {
  return Object.keys(variables).every((name) => !isEnvironmentName(name) || !BASH_STARTUP_NAMES.test(name));
}

/**
 * The control message for `bash <args>` (args[0] must be `-c`) with environment `target`, in a
 * launch that started with `base`: undefined when the call cannot take this path (see above).
 * `report`: keep the report pipe open for the command (else it is closed, as a fresh launch has none).
 */
export function callMessage(args: string[], base: Record<string, string>, target: Record<string, string>, report: boolean): Buffer | undefined {
  const [flag, script, name, ...positional] = args;
  if (flag !== '-c' || script === undefined || args.some((arg) => arg.includes('\0'))) return undefined;
  const unset = Object.keys(base).filter((key) => !(key in target));
  const exported = Object.entries(target).filter(([key, value]) => base[key] !== value);
  if ([...unset, ...exported.map(([key]) => key)].some((key) => !isEnvironmentName(key) || BASH_STARTUP_NAMES.test(key))) return undefined;
  const lines = ['unset -v __oma_call'];
  if (unset.length > 0) lines.push(`unset -v ${unset.join(' ')}`);
  for (const [key, value] of exported) lines.push(`export ${quoteShellWord(`${key}=${value}`)}`);
  if (positional.length > 0) lines.push(`set -- ${positional.map(quoteShellWord).join(' ')}`);
  if (name !== undefined) lines.push(`BASH_ARGV0=${quoteShellWord(name)}`);
  if (!report) lines.push(`exec ${REPORT_FD}>&-`);
  lines.push(`eval ${quoteShellWord(script)}`);
  const body = Buffer.from(lines.join('\n'), 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

/** One waiting launch: the process and the environment it started with. */
export interface PrestartedLaunch {
  process: StartedProcess;
  env: Record<string, string>;
}

interface Entry {
  launch: Promise<PrestartedLaunch | undefined>;
  /** The launch once started (for `pids`). */
  started?: PrestartedLaunch;
  epoch: number;
  idle?: NodeJS.Timeout;
}

/** The waiting launches of one sandbox, one per network mode. */
export class PrestartedLaunches {
  private readonly waiting = new Map<boolean, Entry>();
  private current = 0;

  constructor(private readonly start: (network: boolean) => Promise<PrestartedLaunch>) {}

  /** Changes whenever the waiting launches are discarded; `refill` takes the value seen before a call. */
  get epoch(): number {
    return this.current;
  }

  /**
   * The waiting launch for `network`, once it is ready, or undefined (none, it died, or it is from
   * before a discard). The caller must run it at once (no await in between).
   */
  async take(network: boolean): Promise<PrestartedLaunch | undefined> {
    const entry = this.waiting.get(network);
    if (!entry) return undefined;
    this.waiting.delete(network);
    clearTimeout(entry.idle);
    const launch = await entry.launch;
    const ready = launch !== undefined && (await launch.process.ready);
    if (!launch || !ready || entry.epoch !== this.current || !launch.process.available) {
      launch?.process.kill();
      return undefined;
    }
    return launch;
  }

  /** Starts the next launch for `network` in the background, unless one waits or a discard happened since `epoch`. */
  refill(network: boolean, epoch: number): void {
    if (epoch !== this.current || this.waiting.has(network)) return;
    const entry: Entry = { epoch, launch: Promise.resolve(undefined) };
    const drop = (): void => {
      if (this.waiting.get(network) === entry) {
        this.waiting.delete(network);
        clearTimeout(entry.idle);
      }
    };
    entry.launch = this.start(network).then(
      (launch) => {
        if (entry.epoch !== this.current) launch.process.kill();
        entry.started = launch;
        void launch.process.ended.then(drop);
        return launch;
      },
      () => {
        // Could not start ahead: the next call starts the ordinary way and reports the error.
        drop();
        return undefined;
      },
    );
    entry.idle = setTimeout(() => {
      drop();
      void entry.launch.then((launch) => launch?.process.kill());
    }, IDLE_MS);
    entry.idle.unref();
    this.waiting.set(network, entry);
  }

  /** Kills the waiting launches; launches being started now are killed when they are. */
  discard(): void {
    this.current++;
    for (const entry of this.waiting.values()) {
      clearTimeout(entry.idle);
      void entry.launch.then((launch) => launch?.process.kill());
    }
    this.waiting.clear();
  }

  /** Host pids of the waiting launches' processes (tests tell them from a command's leftovers). */
  pids(): number[] {
    return [...this.waiting.values()].flatMap((entry) => entry.started?.process.pids ?? []);
  }

  /** Settles when every launch being started has started and said it is ready (or died): for the bench. */
  async settled(): Promise<void> {
    await Promise.all([...this.waiting.values()].map(async (entry) => (await entry.launch)?.process.ready));
  }
}
