/**
 * The scrubbed environment every sandboxed command starts with. Nothing from the server's own
 * `process.env` is copied: API keys, database URLs and `PLATFORM_ROOT_SECRET` live there, so the
 * child environment is built only from this allowlist plus the caller's per-command variables.
 */

/** PATH used inside sandboxes unless the provider is configured with another one. */
export const DEFAULT_SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SandboxEnvironmentOptions {
  /** HOME as seen inside the sandbox. */
  home: string;
  /** TMPDIR as seen inside the sandbox. */
  tmpdir: string;
  /** PATH inside the sandbox; defaults to `DEFAULT_SANDBOX_PATH`. */
  path?: string;
  /** Per-command variables; they win over the base allowlist. */
  extra?: Record<string, string>;
}

/** Returns true when `name` is a valid shell variable name (the only names we pass on). */
export function isEnvironmentName(name: string): boolean {
  return ENV_NAME.test(name);
}

/** Builds the child environment from the allowlist. Invalid names in `extra` are dropped. */
export function createSandboxEnvironment(options: SandboxEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = {
    PATH: options.path ?? DEFAULT_SANDBOX_PATH,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TERM: 'dumb',
    PAGER: 'cat',
    GIT_PAGER: 'cat',
    HOME: options.home,
    TMPDIR: options.tmpdir,
  };
  for (const [name, value] of Object.entries(options.extra ?? {})) {
    if (isEnvironmentName(name) && !value.includes('\0')) env[name] = value;
  }
  return env;
}
