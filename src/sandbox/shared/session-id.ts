import { SandboxError } from '../sandbox.ts';

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Checks that a session id is safe to use as one path component. The id names the session's
 * directory under the workdir root, so "..", slashes or NUL bytes would let it escape.
 */
export function assertSessionId(provider: string, sessionId: string): void {
  if (!SESSION_ID.test(sessionId)) {
    throw new SandboxError({
      provider,
      operation: 'open',
      sandboxId: undefined,
      message: `Invalid session id for a sandbox directory: only letters, digits, "_" and "-" are allowed (1-128 characters).`,
    });
  }
}
