/**
 * Appending a session's sections (memory stores, skills, repositories) to the agent's own system
 * prompt: after a blank line, or as the whole prompt when the agent has none.
 */

/** The agent snapshot with `section` appended to its system prompt; unchanged when there is no section (or no agent). */
export function withPromptSection<A extends { system: string | null }>(agent: A | null, section: string | undefined): A | null {
  if (!section || !agent) return agent;
  return { ...agent, system: agent.system ? `${agent.system}\n\n${section}` : section };
}
