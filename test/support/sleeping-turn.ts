/**
 * A session whose turn runs a long `sleep` in bash, planned for the crash test's ScriptedAgent (the
 * fake model must answer with it), and pgrep to see whether that command still runs: the tests of
 * what a kill -9, a second server or another instance does to a running tool.
 */
import { execFileSync } from 'node:child_process';
import { encodePlan } from '../../scripts/crash-test/plan.ts';
import { postJson } from '../../scripts/crash-test/api.ts';
import { waitFor } from './wait-for.ts';

/** A `sleep` command line of a little over `seconds` that no other run uses, so pgrep finds only this run's process. */
export function uniqueSleep(seconds: number): string {
  return `sleep ${(seconds + Math.random()).toFixed(3)}`;
}

/** Whether a process whose command line contains `marker` is running (pgrep -f). */
export function isRunning(marker: string): boolean {
  try {
    return execFileSync('pgrep', ['-f', marker]).toString().trim() !== '';
  } catch {
    return false; // pgrep exits 1 when nothing matches
  }
}

/**
 * Creates an agent with the agent toolset and a session on the server, sends it a turn whose one
 * bash step runs `sleep` (a `uniqueSleep` marker), and waits until the command runs. Returns the session id.
 */
export async function startSleepingTurn(baseURL: string, sleep: string, sessionTag: string): Promise<string> {
  const agent = await postJson<{ id: string }>(baseURL, '/v1/agents', { name: 'x', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
  const session = await postJson<{ id: string }>(baseURL, '/v1/sessions', { agent: agent.id });
  const sleepMs = Number(sleep.split(' ')[1]) * 1000;
  const text = encodePlan({ sessionTag, messageTag: 'm0', chunkDelayMs: 0, textLength: 20, steps: [{ kind: 'bash', sleepMs, failOnce: false }] });
  await postJson(baseURL, `/v1/sessions/${session.id}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
  await waitFor(() => isRunning(sleep) || undefined, { timeoutMs: 20_000, message: 'the bash tool never started' });
  return session.id;
}
