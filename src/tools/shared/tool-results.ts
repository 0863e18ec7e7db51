/** Small builders for tool results the model reads. */
import { SandboxError } from '../../sandbox/sandbox.ts';
import type { ToolResult } from '../tool.ts';

export function textResult(text: string): ToolResult {
  return { content: [{ type: 'text', text }], isError: false };
}

export function errorResult(text: string): ToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** Turns a failure into an error result; SandboxError messages are written for the model already. */
export function failureResult(error: unknown): ToolResult {
  if (error instanceof SandboxError) return errorResult(error.message);
  return errorResult(`Tool failed: ${error instanceof Error ? error.message : String(error)}`);
}

/** Cuts `text` to `maxChars`, appending a marker that says how much was left out. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}\n[output truncated: ${text.length - maxChars} characters omitted]`;
}
