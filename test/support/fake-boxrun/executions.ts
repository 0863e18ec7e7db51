/**
 * Executions of the fake `boxlite serve`: a real process per `POST /exec`, its output kept as a
 * backlog until the client attaches (as the real server's BacklogBroadcast does) and then
 * streamed as `[channel][payload]` binary frames, the `{"type":"exit"}` text frame at the end.
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { ServerSocket } from './websocket.ts';

export class FakeExecution {
  readonly id: string;
  readonly command: string;
  readonly startedAt = new Date();
  status: 'running' | 'completed' | 'killed' | 'timed_out' = 'running';
  exitCode: number | null = null;
  attached = false;
  private readonly backlog: Buffer[] = [];
  private socket: ServerSocket | undefined;
  private readonly child: ChildProcess;
  private timer: NodeJS.Timeout | undefined;
  private readonly exited: Promise<void>;

  constructor(options: { id: string; command: string; child: ChildProcess; timeoutSeconds?: number }) {
    this.id = options.id;
    this.command = options.command;
    this.child = options.child;
    let stdoutDone = false;
    let stderrDone = false;
    let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let resolveExited!: () => void;
    this.exited = new Promise((resolve) => (resolveExited = resolve));
    const settle = (): void => {
      if (!stdoutDone || !stderrDone || !exitStatus) return;
      if (this.timer) clearTimeout(this.timer);
      const { code, signal } = exitStatus;
      this.exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 9) : 9);
      if (this.status === 'running') this.status = 'completed';
      this.socket?.sendText(JSON.stringify({ type: 'exit', exit_code: this.exitCode }));
      this.socket?.close(1000);
      resolveExited();
    };
    this.child.stdout?.on('data', (chunk: Buffer) => this.emit(1, chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.emit(2, chunk));
    this.child.stdout?.on('end', () => ((stdoutDone = true), settle()));
    this.child.stderr?.on('end', () => ((stderrDone = true), settle()));
    this.child.on('close', (code, signal) => ((exitStatus = { code, signal }), (stdoutDone = stderrDone = true), settle()));
    this.child.on('error', (error) => {
      this.emit(2, Buffer.from(`${error.message}\n`));
      exitStatus = { code: 127, signal: null };
      stdoutDone = stderrDone = true;
      settle();
    });
    if (options.timeoutSeconds !== undefined) {
      this.timer = setTimeout(() => {
        this.status = 'timed_out';
        this.killGroup();
      }, options.timeoutSeconds * 1000);
    }
  }

  get done(): boolean {
    return this.exitCode !== null;
  }

  /** Takes the single attach slot: replays the backlog, then streams live. */
  attach(socket: ServerSocket): void {
    this.attached = true;
    this.socket = socket;
    for (const frame of this.backlog.splice(0)) socket.sendBinary(frame);
    if (this.done) {
      socket.sendText(JSON.stringify({ type: 'exit', exit_code: this.exitCode }));
      socket.close(1000);
    }
    void socket.closed.then(() => {
      if (this.socket === socket) this.socket = undefined;
      this.attached = false;
    });
  }

  /** DELETE /executions/{id}: SIGKILL the process group. */
  async kill(): Promise<void> {
    if (this.done) return;
    this.status = 'killed';
    this.killGroup();
    await this.exited;
  }

  info(): Record<string, unknown> {
    return {
      execution_id: this.id,
      command: this.command,
      status: this.status,
      attached: this.attached,
      exit_code: this.exitCode,
      started_at: this.startedAt.toISOString(),
      duration_ms: null,
      error_message: null,
    };
  }

  private emit(channel: number, chunk: Buffer): void {
    const frame = Buffer.concat([Buffer.from([channel]), chunk]);
    if (this.socket) this.socket.sendBinary(frame);
    else this.backlog.push(frame);
  }

  /** SIGKILL to the command (the machine runs it in place of nsenter; the framework kills its own process groups). */
  private killGroup(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
