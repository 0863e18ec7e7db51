/**
 * Load generators and stream clients run in a child process, so they do not share the event
 * loop (or the memory figures) of the server they measure. One request at a time over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface WorkerHandle<Req, Res> {
  call(request: Req): Promise<Res>;
  /** Ends the child and waits for it to be gone. */
  close(): Promise<void>;
}

type Reply<Res> = { ok: true; result: Res } | { ok: false; error: string };

/** Starts `bench/workers/<name>.ts` (which must call `serveWorker`); `exposeGc` gives it `global.gc` for memory figures. */
export function startWorker<Req, Res>(name: string, options: { exposeGc?: boolean } = {}): WorkerHandle<Req, Res> {
  const file = fileURLToPath(new URL(`./workers/${name}.ts`, import.meta.url));
  const child: ChildProcess = fork(file, [], { execArgv: [...(options.exposeGc ? ['--expose-gc'] : []), '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let pending: { resolve: (r: Res) => void; reject: (e: Error) => void } | undefined;
  child.on('message', (message: Reply<Res>) => {
    const p = pending;
    pending = undefined;
    if (message.ok) p?.resolve(message.result);
    else p?.reject(new Error(`worker ${name}: ${message.error}`));
  });
  void exited.then(() => pending?.reject(new Error(`worker ${name} exited (${child.exitCode ?? child.signalCode})`)));
  return {
    call(request) {
      if (pending) return Promise.reject(new Error(`worker ${name} is busy`));
      return new Promise<Res>((resolve, reject) => {
        pending = { resolve, reject };
        child.send(request as object);
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The child side: answers each request with `handler`'s result (or its error message). */
export function serveWorker<Req, Res>(handler: (request: Req) => Promise<Res>): void {
  process.on('message', (request: Req) => {
    handler(request).then(
      (result) => process.send!({ ok: true, result } satisfies Reply<Res>),
      (err: unknown) => process.send!({ ok: false, error: (err as Error).stack ?? String(err) } satisfies Reply<Res>),
    );
  });
  process.once('disconnect', () => process.exit(0));
}
