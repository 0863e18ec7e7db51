/** `write`: creates or overwrites a file, creating parent directories. */
import { z } from 'zod';
import type { Tool, ToolContext, ToolResult } from './tool.ts';
import { parseToolInput } from './shared/tool-input.ts';
import { failureResult, textResult } from './shared/tool-results.ts';

const WriteInput = z.object({ file_path: z.string().min(1), content: z.string() });

export class WriteTool implements Tool {
  readonly name = 'write';
  readonly mutating = true;
  readonly description =
    'Writes a file in the sandbox, replacing it if it exists and creating missing parent directories. Paths are ' +
    'absolute or relative to the working directory. Prefer the edit tool to change part of an existing file.';
  readonly inputSchema = {
    type: 'object',
    properties: {
      file_path: { type: 'string', description: 'Path of the file to write.' },
      content: { type: 'string', description: 'The complete new content of the file.' },
    },
    required: ['file_path', 'content'],
  };

  async run(input: unknown, context: ToolContext): Promise<ToolResult> {
    const parsed = parseToolInput(this.name, WriteInput, input);
    if (!parsed.ok) return parsed.result;
    const { file_path, content } = parsed.value;
    try {
      await context.sandbox.writeFile(file_path, content);
      return textResult(`Wrote ${Buffer.byteLength(content)} bytes to ${file_path}.`);
    } catch (error) {
      return failureResult(error);
    }
  }
}
