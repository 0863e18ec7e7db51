/** `read`: returns a file's lines numbered like `cat -n`, or an image block for image files. */
import path from 'node:path';
import { z } from 'zod';
import type { Tool, ToolContext, ToolResult } from './tool.ts';
import { parseToolInput } from './shared/tool-input.ts';
import { errorResult, failureResult, textResult } from './shared/tool-results.ts';

const MAX_LINES = 2000;
const MAX_LINE_CHARS = 2000;
const MAX_OUTPUT_CHARS = 256 * 1024;
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

const ReadInput = z.object({
  file_path: z.string().min(1),
  view_range: z.tuple([z.number().int(), z.number().int()]).optional(),
});

export class ReadTool implements Tool {
  readonly name = 'read';
  readonly mutating = false;
  readonly description =
    'Reads a file from the sandbox and returns its lines numbered like `cat -n` (1-based). Paths are absolute or ' +
    `relative to the working directory. Returns at most ${MAX_LINES} lines; use view_range [start, end] (1-based, ` +
    'inclusive; end <= 0 means end of file) to read further. Lines longer than 2000 characters are cut. PNG, JPEG, ' +
    'GIF and WebP files are returned as images.';
  readonly inputSchema = {
    type: 'object',
    properties: {
      file_path: { type: 'string', description: 'Path of the file to read.' },
      view_range: {
        type: 'array',
        items: { type: 'integer' },
        minItems: 2,
        maxItems: 2,
        description: 'Optional [start_line, end_line], 1-based and inclusive; end_line <= 0 reads to the end.',
      },
    },
    required: ['file_path'],
  };

  async run(input: unknown, context: ToolContext): Promise<ToolResult> {
    const parsed = parseToolInput(this.name, ReadInput, input);
    if (!parsed.ok) return parsed.result;
    const { file_path, view_range } = parsed.value;
    let data: Buffer;
    try {
      data = await context.sandbox.readFile(file_path);
    } catch (error) {
      return failureResult(error);
    }
    const mediaType = IMAGE_TYPES[path.extname(file_path).toLowerCase()];
    if (mediaType) return imageResult(file_path, data, mediaType);
    if (data.subarray(0, 8192).includes(0)) {
      return errorResult(`${file_path} is a binary file (${data.length} bytes) and cannot be shown as text; inspect it with bash (e.g. xxd | head).`);
    }
    return numberedLines(file_path, data.toString('utf8'), view_range);
  }
}

function imageResult(filePath: string, data: Buffer, mediaType: string): ToolResult {
  if (data.length > MAX_IMAGE_BYTES) return errorResult(`${filePath} is an image larger than ${MAX_IMAGE_BYTES} bytes; it was not returned.`);
  return { content: [{ type: 'image', source: { type: 'base64', media_type: mediaType, data: data.toString('base64') } }], isError: false };
}

function numberedLines(filePath: string, text: string, viewRange: [number, number] | undefined): ToolResult {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return textResult(`(${filePath} is empty)`);
  const start = viewRange?.[0] ?? 1;
  const requestedEnd = viewRange === undefined || viewRange[1] <= 0 ? lines.length : viewRange[1];
  if (start < 1 || start > lines.length) return errorResult(`Invalid view_range: start line ${start} is outside the file (${filePath} has ${lines.length} lines).`);
  if (requestedEnd < start) return errorResult(`Invalid view_range: end line ${requestedEnd} is before start line ${start}.`);
  const end = Math.min(requestedEnd, lines.length, start + MAX_LINES - 1);
  const out: string[] = [];
  let chars = 0;
  let last = start - 1;
  for (let number = start; number <= end; number++) {
    const line = lines[number - 1];
    const shown = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} [line truncated]` : line;
    const formatted = `${String(number).padStart(6)}\t${shown}`;
    if (chars + formatted.length > MAX_OUTPUT_CHARS) break;
    out.push(formatted);
    chars += formatted.length + 1;
    last = number;
  }
  if (last < Math.min(requestedEnd, lines.length)) {
    out.push(`[file truncated: showing lines ${start}-${last} of ${lines.length}; use view_range [${last + 1}, ...] to read further]`);
  }
  return textResult(out.join('\n'));
}
