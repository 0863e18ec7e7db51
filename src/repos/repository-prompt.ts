/**
 * The system prompt section for a session's repositories: where each is checked out (relative to
 * the working directory too, which is /workspace under bwrap and the session directory under
 * subprocess). Sessions without repositories get the agent's prompt unchanged.
 */
import type { GithubRepositoryResource } from '../api/schemas/session-resources.ts';
import { repositoryResourcesOf } from './session-repository-checkouts.ts';
import { withPromptSection } from '../agents/system-prompt.ts';

function describe(r: GithubRepositoryResource): string {
  const at = r.checkout === null ? 'its default branch' : r.checkout.type === 'branch' ? `branch ${r.checkout.name}` : `commit ${r.checkout.sha}`;
  return `- ${r.url} (${at}): ${r.mount_path} (in your working directory: ${r.mount_path.slice('/workspace/'.length)})`;
}

export function repositoryPromptSection(resources: GithubRepositoryResource[]): string | undefined {
  if (resources.length === 0) return undefined;
  return ['# Repositories', 'These Git repositories are checked out for this session when you first use a tool:', ...resources.map(describe)].join('\n');
}

/** The agent snapshot with the repositories section appended to its system prompt. */
export function withRepositoryPrompt<A extends { system: string | null }>(agent: A | null, resourcesJson: string): A | null {
  return withPromptSection(agent, repositoryPromptSection(repositoryResourcesOf(resourcesJson)));
}
