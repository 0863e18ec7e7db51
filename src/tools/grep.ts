/** `grep`: searches file contents with an extended regular expression (grep -E) inside the sandbox. */
import path from 'node:path';
import { z } from 'zod';
import type { Tool, ToolContext, ToolResult } from './tool.ts';
import { parseToolInput } from './shared/tool-input.ts';
import { errorResult, failureResult, textResult } from './shared/tool-results.ts';
import { quoteShellWord } from '../sandbox/shared/shell-quote.ts';

const MAX_LINES = 250;
const MAX_LINE_CHARS = 500;
const MAX_OUTPUT_BYTES = 256 * 1024;

const GrepInput = z.object({
  pattern: z.string().min(1),
  path: z.string().min(1).optional(),
  glob: z.string().min(1).optional(),
  case_insensitive: z.boolean().optional(),
});

export class GrepTool implements Tool {
  readonly name = 'grep';
  readonly mutating = false;
  readonly description =
    'Searches file contents for an extended regular expression (GNU grep -E syntax, e.g. "function\\s+\\w+"). ' +
    'Searches `path` recursively (default: the working ' +
    'directory), skipping binary files and .git. Returns matching lines as path:line:text, at most ' +
    `${MAX_LINES} lines. Use glob (e.g. "*.ts") to limit which file names are searched.`;
  readonly inputSchema = {
    type: 'object',
    properties: {
      pattern: { type: 'string', description: 'Extended regular expression to search for.' },
      path: { type: 'string', description: 'File or directory to search (default: the working directory).' },
      glob: { type: 'string', description: 'Only search files whose name matches this glob, e.g. "*.py".' },
      case_insensitive: { type: 'boolean', description: 'Ignore case (default false).' },
    },
    required: ['pattern'],
  };

  async run(input: unknown, context: ToolContext): Promise<ToolResult> {
    const parsed = parseToolInput(this.name, GrepInput, input);
    if (!parsed.ok) return parsed.result;
    const { pattern, glob, case_insensitive } = parsed.value;
    const target = path.posix.resolve(context.sandbox.workdir, parsed.value.path ?? '.');
    const flags = ['-rnIE', '--exclude-dir=.git', '--exclude-dir=.oma', ...(case_insensitive ? ['-i'] : []), ...(glob ? [`--include=${glob}`] : [])];
    const command = `grep ${flags.map(quoteShellWord).join(' ')} -e ${quoteShellWord(pattern)} -- ${quoteShellWord(target)}`;
    try {
      const result = await context.sandbox.exec(command, { signal: context.signal, maxOutputBytes: MAX_OUTPUT_BYTES, timeoutMs: 60_000 });
      if (result.timedOut) return errorResult('grep timed out after 60 s; narrow the path or the pattern.');
      if (result.exitCode === 1) return textResult(`No matches for ${pattern} in ${target}.`);
      if (result.exitCode !== 0 && result.stdout === '') return errorResult(`grep failed: ${result.stderr.trim() || `exit code ${result.exitCode}`}`);
      return textResult(formatMatches(result.stdout, result.truncatedBytes));
    } catch (error) {
      return failureResult(error);
    }
  }
}

function formatMatches(stdout: string, truncatedBytes: number): string {
  const lines = stdout.replace(/\n$/, '').split('\n');
  const shown = lines.slice(0, MAX_LINES).map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} [line truncated]` : line));
  if (lines.length > MAX_LINES || truncatedBytes > 0) {
    shown.push(`[output truncated: more than ${MAX_LINES} matching lines; narrow the pattern, path or glob]`);
  }
  return shown.join('\n');
}
