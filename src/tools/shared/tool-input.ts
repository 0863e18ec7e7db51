/** Validates model-produced tool input with zod and turns a failure into a readable error result. */
import { z } from 'zod';
import type { ToolResult } from '../tool.ts';
import { errorResult } from './tool-results.ts';

export type ParsedInput<T> = { ok: true; value: T } | { ok: false; result: ToolResult };

export function parseToolInput<T>(toolName: string, schema: z.ZodType<T>, input: unknown): ParsedInput<T> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, result: errorResult(`Invalid input for ${toolName}:\n${z.prettifyError(parsed.error)}`) };
}
