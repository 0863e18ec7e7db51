/** `edit`: replaces an exact string in a file; the string must be unique unless replace_all is set. */
import { z } from 'zod';
import type { Tool, ToolContext, ToolResult } from './tool.ts';
import { parseToolInput } from './shared/tool-input.ts';
import { errorResult, failureResult, textResult } from './shared/tool-results.ts';

const EditInput = z.object({
  file_path: z.string().min(1),
  old_string: z.string(),
  new_string: z.string(),
  replace_all: z.boolean().optional(),
});

export class EditTool implements Tool {
  readonly name = 'edit';
  readonly mutating = true;
  readonly description =
    'Replaces exact text in a file. old_string must match the file exactly (including whitespace and indentation) ' +
    'and must occur exactly once, unless replace_all is true, in which case every occurrence is replaced. Include ' +
    'enough surrounding lines to make old_string unique. Read the file first.';
  readonly inputSchema = {
    type: 'object',
    properties: {
      file_path: { type: 'string', description: 'Path of the file to modify.' },
      old_string: { type: 'string', description: 'The exact text to replace.' },
      new_string: { type: 'string', description: 'The text to replace it with (must differ from old_string).' },
      replace_all: { type: 'boolean', description: 'Replace every occurrence of old_string (default false).' },
    },
    required: ['file_path', 'old_string', 'new_string'],
  };

  async run(input: unknown, context: ToolContext): Promise<ToolResult> {
    const parsed = parseToolInput(this.name, EditInput, input);
    if (!parsed.ok) return parsed.result;
    const { file_path, old_string, new_string, replace_all } = parsed.value;
    if (old_string === '') return errorResult('old_string must not be empty; use the write tool to create a file.');
    if (old_string === new_string) return errorResult('old_string and new_string are identical; nothing to change.');
    try {
      const text = (await context.sandbox.readFile(file_path)).toString('utf8');
      const count = text.split(old_string).length - 1;
      if (count === 0) return errorResult(`old_string was not found in ${file_path}. Read the file and copy the text exactly.`);
      if (count > 1 && !replace_all) {
        return errorResult(`old_string occurs ${count} times in ${file_path}. Add surrounding context to make it unique, or set replace_all to true.`);
      }
      const updated = replace_all ? text.split(old_string).join(new_string) : text.replace(old_string, () => new_string);
      await context.sandbox.writeFile(file_path, updated);
      return textResult(`Replaced ${count} occurrence${count === 1 ? '' : 's'} in ${file_path}.`);
    } catch (error) {
      return failureResult(error);
    }
  }
}
