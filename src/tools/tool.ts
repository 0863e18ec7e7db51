/**
 * The tool port. A tool runs inside a session's sandbox and returns content for the model.
 * `mutating` tells crash recovery whether an interrupted run may be repeated (false: read-only,
 * safe to re-run) or must be reported as possibly done (true).
 */
import type { Sandbox } from '../sandbox/sandbox.ts';

export type ToolResultBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } };

export interface ToolResult {
  content: ToolResultBlock[];
  isError: boolean;
}

export interface ToolContext {
  sandbox: Sandbox;
  sessionId: string;
  /** Aborted on user.interrupt, session delete or shutdown: stop at once. */
  signal: AbortSignal;
  /** Tool-specific configuration from the agent's toolset `configs[]` entry (e.g. web_fetch domains). */
  config?: Record<string, unknown>;
}

export interface Tool {
  /** Name the model calls, e.g. "bash". */
  readonly name: string;
  readonly description: string;
  /** JSON Schema (type: object) of the input the model sends. */
  readonly inputSchema: Record<string, unknown>;
  /** True when running it changes something outside (files, processes, network). */
  readonly mutating: boolean;
  /** Runs the tool. Bad input and failures come back as `isError: true` results, never thrown. */
  run(input: unknown, context: ToolContext): Promise<ToolResult>;
}
