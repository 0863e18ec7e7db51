/** `bash`: runs a command in the session's persistent shell (cwd and exported variables persist). */
import { z } from 'zod';
import type { Tool, ToolContext, ToolResult } from './tool.ts';
import { parseToolInput } from './shared/tool-input.ts';
import { errorResult, failureResult, textResult } from './shared/tool-results.ts';
import type { ShellResult } from '../sandbox/sandbox.ts';

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_TIMEOUT_MS = 600_000;
const MAX_OUTPUT_BYTES = 64 * 1024;

const BashInput = z.object({
  command: z.string().optional(),
  restart: z.boolean().optional(),
  timeout_ms: z.number().int().positive().optional(),
});

export class BashTool implements Tool {
  readonly name = 'bash';
  readonly mutating = true;
  readonly description =
    'Runs a bash command in a persistent shell session inside the sandbox. The working directory and exported ' +
    'environment variables persist between calls; background processes do not outlive the command. Use ' +
    '`restart: true` to reset the shell. Output (stdout and stderr) is truncated beyond 64 KiB. Commands time out ' +
    `after ${DEFAULT_TIMEOUT_MS / 1000} s unless timeout_ms is given (max ${MAX_TIMEOUT_MS / 1000} s). ` +
    'Prefer the read, write, edit, glob and grep tools for file operations.';
  readonly inputSchema = {
    type: 'object',
    properties: {
      command: { type: 'string', description: 'The bash command to run.' },
      restart: { type: 'boolean', description: 'Set to true to restart the shell (forget cwd and exported variables).' },
      timeout_ms: { type: 'integer', description: `Timeout in milliseconds (default ${DEFAULT_TIMEOUT_MS}, max ${MAX_TIMEOUT_MS}).` },
    },
  };

  async run(input: unknown, context: ToolContext): Promise<ToolResult> {
    const parsed = parseToolInput(this.name, BashInput, input);
    if (!parsed.ok) return parsed.result;
    const { command, restart, timeout_ms } = parsed.value;
    try {
      if (restart) await context.sandbox.restartShell();
      if (command === undefined || command.trim() === '') {
        return restart ? textResult('Shell restarted: working directory and exported variables were reset.') : errorResult('Provide a `command` to run (or `restart: true`).');
      }
      const timeoutMs = Math.min(timeout_ms ?? DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS);
      const result = await context.sandbox.shell(command, { timeoutMs, signal: context.signal, maxOutputBytes: MAX_OUTPUT_BYTES });
      return formatShellResult(result, timeoutMs);
    } catch (error) {
      return failureResult(error);
    }
  }
}

/** Combines stdout, stderr and the outcome into one text, as the model expects from a terminal. */
export function formatShellResult(result: ShellResult, timeoutMs: number): ToolResult {
  const parts: string[] = [];
  if (result.stdout) parts.push(result.stdout.replace(/\n$/, ''));
  if (result.stderr) parts.push(result.stderr.replace(/\n$/, ''));
  if (result.truncatedBytes > 0) parts.push(`[output truncated: ${result.truncatedBytes} bytes omitted]`);
  if (result.timedOut) {
    parts.push(`command timed out after ${timeoutMs} ms and was killed`);
    return errorResult(parts.join('\n'));
  }
  if (result.aborted) {
    parts.push('command was interrupted and killed');
    return errorResult(parts.join('\n'));
  }
  if (result.exitCode === null) parts.push(`command was killed (${result.signal ?? 'signal'})`);
  else if (result.exitCode !== 0) parts.push(`exit code: ${result.exitCode}`);
  return textResult(parts.length > 0 ? parts.join('\n') : '(no output)');
}
