/**
 * The system prompt section for a session's mounted memory stores (reference §8): one entry per
 * store with its name, description (snapshotted at attach) and the attachment's instructions.
 * Appended after the agent's own system prompt; sessions without stores get the agent's unchanged.
 */
import type { MemoryStoreResource } from '../api/schemas/session-resources.ts';
import { withPromptSection } from '../agents/system-prompt.ts';

export function memoryPromptSection(resources: MemoryStoreResource[]): string | undefined {
  if (resources.length === 0) return undefined;
  const entries = resources.map((r) => {
    const lines = [`## ${r.name}`, `Directory: ${r.mount_path} (${r.access === 'read_only' ? 'read-only' : 'read-write'})`];
    if (r.description) lines.push(`Description: ${r.description}`);
    if (r.instructions) lines.push(`Instructions: ${r.instructions}`);
    return lines.join('\n');
  });
  return [
    '# Memory',
    'These memory stores are mounted as directories of text files. They persist across sessions: read them before you start,',
    'and write what is worth remembering back as files. The file tools use the paths below; in bash the same directories are',
    'under "$OMA_MEMORY_DIR" (for example "$OMA_MEMORY_DIR/<name>/notes.md" for <directory>/notes.md).',
    '',
    entries.join('\n\n'),
  ].join('\n');
}

/** The agent snapshot with the memory section appended to its system prompt. */
export function withMemoryPrompt<A extends { system: string | null }>(agent: A | null, resources: MemoryStoreResource[]): A | null {
  return withPromptSection(agent, memoryPromptSection(resources));
}
