/**
 * The attach WebSocket of one execution (`GET .../executions/{exec_id}/attach`). Server → client:
 * binary frames `[channel:u8][payload]` (0x01 stdout, 0x02 stderr) and text frames
 * `{"type":"exit","exit_code":N}` (then a normal close) or `{"type":"error","message":…}`
 * (non-fatal). We never write stdin (the framework passes stdin as a file), so the client sends
 * nothing. A close without an exit frame rejects with AttachClosedEarly: the caller asks the status
 * endpoint for the exit code.
 */
import { WebSocket } from 'undici';
import { RemoteProviderError } from '../remote/driver.ts';

export interface AttachHandlers {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** Closes the socket early (the caller gave up waiting). */
  signal?: AbortSignal;
}

const CHANNEL_STDOUT = 1;
const CHANNEL_STDERR = 2;

/**
 * Connects and pumps frames until the exit frame and the close. Resolves with the exit code;
 * rejects with RemoteProviderError when it cannot connect, AttachClosedEarly when the socket
 * closed without an exit frame.
 */
export function attachExecution(target: { url: string; headers: Record<string, string>; provider: string }, handlers: AttachHandlers): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(target.url, { headers: target.headers });
    socket.binaryType = 'arraybuffer';
    let opened = false;
    let exitCode: number | undefined;
    const onAbort = (): void => socket.close(1000);
    handlers.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => handlers.signal?.removeEventListener('abort', onAbort);
    socket.addEventListener('open', () => {
      opened = true;
    });
    socket.addEventListener('message', (event) => {
      if (typeof event.data === 'string') {
        const control = parseControl(event.data);
        if (control?.type === 'exit' && typeof control.exit_code === 'number') exitCode = control.exit_code;
        return;
      }
      const frame = Buffer.from(event.data as ArrayBuffer);
      if (frame.length < 1) return;
      const payload = frame.subarray(1);
      if (frame[0] === CHANNEL_STDOUT) handlers.onStdout(payload);
      else if (frame[0] === CHANNEL_STDERR) handlers.onStderr(payload);
    });
    socket.addEventListener('error', () => {
      // The close event follows with the details.
    });
    socket.addEventListener('close', (event) => {
      finish();
      if (exitCode !== undefined) return resolve(exitCode);
      if (!opened) {
        return reject(
          new RemoteProviderError({ provider: target.provider, message: `attach execution: the WebSocket to ${redact(target.url)} did not open (${event.reason || `close code ${event.code}`})`, retryable: false }),
        );
      }
      reject(new AttachClosedEarly(`the WebSocket closed without an exit frame (close code ${event.code}${event.reason ? `, ${event.reason}` : ''})`));
    });
  });
}

/** The attach socket closed before the exit frame: the exit code must come from the status endpoint. */
export class AttachClosedEarly extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttachClosedEarly';
  }
}

function parseControl(text: string): { type?: string; exit_code?: unknown; message?: unknown } | undefined {
  try {
    return JSON.parse(text) as { type?: string; exit_code?: unknown };
  } catch {
    return undefined;
  }
}

function redact(url: string): string {
  return url.replace(/\?.*$/, '');
}
