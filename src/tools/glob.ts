/** `glob`: finds files by doublestar pattern, newest first. */
import path from 'node:path';
import { z } from 'zod';
import type { Tool, ToolContext, ToolResult } from './tool.ts';
import { globToRegExp, splitGlobBase } from './shared/glob-pattern.ts';
import { parseToolInput } from './shared/tool-input.ts';
import { errorResult, failureResult, textResult } from './shared/tool-results.ts';
import { quoteShellWord } from '../sandbox/shared/shell-quote.ts';

const MAX_RESULTS = 100;
const LISTING_LIMIT_BYTES = 16 * 1024 * 1024;

const GlobInput = z.object({ pattern: z.string().min(1), path: z.string().min(1).optional() });

export class GlobTool implements Tool {
  readonly name = 'glob';
  readonly mutating = false;
  readonly description =
    'Finds files whose path matches a glob pattern such as "**/*.ts" or "src/**/{index,main}.js" (`**` spans ' +
    'directories, `*` stays within one). Searches under `path` (default: the working directory); .git directories ' +
    `are skipped. Returns absolute paths, most recently modified first, at most ${MAX_RESULTS}.`;
  readonly inputSchema = {
    type: 'object',
    properties: {
      pattern: { type: 'string', description: 'The glob pattern to match files against.' },
      path: { type: 'string', description: 'Directory to search in (default: the working directory).' },
    },
    required: ['pattern'],
  };

  async run(input: unknown, context: ToolContext): Promise<ToolResult> {
    const parsed = parseToolInput(this.name, GlobInput, input);
    if (!parsed.ok) return parsed.result;
    const { workdir } = context.sandbox;
    const split = splitGlobBase(parsed.value.pattern);
    const root = path.posix.resolve(workdir, parsed.value.path ?? '.', split.base);
    const matcher = globToRegExp(split.rest);
    const command =
      `if [ ! -d ${quoteShellWord(root)} ]; then echo "Directory does not exist: ${root.replaceAll('"', '')}" >&2; exit 2; fi\n` +
      `find ${quoteShellWord(root)} -mindepth 1 \\( -name .git -o -path ${quoteShellWord(path.posix.join(workdir, '.oma'))} \\) -prune ` +
      `-o \\( -type f -o -type l \\) -printf '%T@\\t%P\\0'`;
    try {
      const result = await context.sandbox.exec(command, { signal: context.signal, maxOutputBytes: LISTING_LIMIT_BYTES, timeoutMs: 60_000 });
      if (result.exitCode === 2) return errorResult(result.stderr.trim());
      const matches = parseListing(result.stdout).filter((entry) => matcher.test(entry.path));
      matches.sort((a, b) => b.mtime - a.mtime || a.path.localeCompare(b.path));
      if (matches.length === 0) return textResult(`No files match ${parsed.value.pattern} under ${root}.`);
      const lines = matches.slice(0, MAX_RESULTS).map((entry) => path.posix.join(root, entry.path));
      if (matches.length > MAX_RESULTS) lines.push(`[${matches.length - MAX_RESULTS} more matches not shown; narrow the pattern]`);
      if (result.truncatedBytes > 0) lines.push('[the directory tree was too large to list completely; narrow the path]');
      return textResult(lines.join('\n'));
    } catch (error) {
      return failureResult(error);
    }
  }
}

function parseListing(output: string): { path: string; mtime: number }[] {
  const entries: { path: string; mtime: number }[] = [];
  for (const record of output.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab > 0) entries.push({ mtime: Number(record.slice(0, tab)), path: record.slice(tab + 1) });
  }
  return entries;
}
