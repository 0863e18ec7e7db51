/**
 * Sandbox lifecycle through the API, under every provider and on both backends: /health names the
 * provider, archiving a session kills its running command, deleting it removes its directory,
 * SIGTERM of a real server process leaves no sandbox process behind, and (bwrap) the session's
 * environment decides whether its commands have a network.
 */
import Anthropic from '@anthropic-ai/sdk';
import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase } from '../support/backends.ts';
import { startChildServer } from '../support/child-process.ts';
import { reply, startFakeModel, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { backendProviderPairs, sessionHostDirectory, startSandboxTestServer } from '../support/sandbox-providers.ts';
import type { TestServer } from '../support/server.ts';
import { listEvents, userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';
import { findHostProcesses, uniqueSleep } from '../contract/sandbox.contract.ts';

const toolResultText = (e: WireEvent) => ((e.content as { text?: string }[]) ?? []).map((b) => b.text ?? '').join('');

async function createSession(client: Anthropic, environmentId?: string) {
  const agent = await client.beta.agents.create({ name: 'sandboxed', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
  return client.beta.sessions.create({ agent: agent.id, ...(environmentId ? { environment_id: environmentId } : {}) } as Anthropic.Beta.Sessions.SessionCreateParams);
}

const sleepRunning = async (marker: string) => (await findHostProcesses(`sleep\0${marker}`)).length > 0;

describe.each(backendProviderPairs(BACKENDS))('sandbox lifecycle on $backend, $provider sandbox', ({ backend, provider }) => {
  let fake: FakeModel;
  let t: TestServer;

  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startSandboxTestServer(backend, provider, { env: { ANTHROPIC_BASE_URL: fake.url } });
  });

  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('/health reports the sandbox provider', async () => {
    const response = await fetch(`${t.baseURL}/health`);
    expect(((await response.json()) as { backends: { sandbox: string } }).backends.sandbox).toBe(provider);
  });

  it('archiving a session kills the command it is running', async () => {
    const marker = uniqueSleep();
    const requestsBefore = fake.requests.length;
    fake.script([reply(toolUse('bash', { command: `sleep ${marker}` }))]);
    const session = await createSession(t.client);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('sleep')] });
    await waitFor(() => sleepRunning(marker), { message: 'the sleep to start in the sandbox' });
    await t.client.beta.sessions.archive(session.id);
    expect(await findHostProcesses(`sleep\0${marker}`)).toEqual([]);
    expect((await t.client.beta.sessions.retrieve(session.id)).status).toBe('terminated');
    // The stopped call has its one result and the turn ends there: no further model request.
    const events = await listEvents(t.client, session.id);
    const types = events.map((e) => e.type);
    expect(types.filter((x) => x === 'agent.tool_result')).toHaveLength(1);
    expect(types.slice(types.indexOf('agent.tool_result'))).not.toContain('span.model_request_start');
    expect(types.at(-1)).toBe('session.status_terminated');
    expect(fake.requests.length - requestsBefore).toBe(1);
  });

  it('deleting a session removes its sandbox directory', async () => {
    fake.script([reply(toolUse('write', { file_path: 'kept.txt', content: 'data\n' })), reply(text('written'))]);
    const session = await createSession(t.client);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('write')] });
    await waitForIdle(t.client, session.id);
    fake.assertDone();
    const directory = sessionHostDirectory(t, session.id);
    expect(existsSync(`${directory}/kept.txt`)).toBe(true);
    await t.client.beta.sessions.delete(session.id);
    expect(existsSync(directory)).toBe(false);
  });

  it.skipIf(provider !== 'bwrap' || process.getuid?.() !== 0)('gives commands the proxy as their only way out, which enforces a limited environment\'s allowlist', async () => {
    const limited = await t.client.beta.environments.create({
      name: `limited-${Date.now()}`,
      config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['example.com'] } },
    } as Anthropic.Beta.Environments.EnvironmentCreateParams);
    // With the vault egress proxy (always there), a networked bwrap command's only way out is the
    // proxy forwarder on 127.0.0.1:3128 inside its namespace, `limited` included: there the proxy
    // refuses hosts outside allowed_hosts (localhost here: the allowlist refusal under limited, the
    // private-address refusal under unrestricted).
    const probe = 'out=$(curl -s --max-time 20 http://localhost:9/ 2>&1); case "$out" in *allowlist*) echo limited;; *oma-vault*) echo unrestricted;; *) echo none;; esac';
    const results: string[] = [];
    for (const environmentId of [undefined, limited.id]) {
      fake.script([reply(toolUse('bash', { command: probe })), reply(text('probed'))]);
      const session = await createSession(t.client, environmentId);
      await t.client.beta.sessions.events.send(session.id, { events: [userMessage('probe')] });
      const events = await waitForIdle(t.client, session.id);
      fake.assertDone();
      results.push(toolResultText(events.find((e) => e.type === 'agent.tool_result')!));
    }
    // The default environment is unrestricted; limited reaches the proxy, which enforces its allowlist.
    expect(results).toEqual(['unrestricted', 'limited']);
  });

  it('SIGTERM of the server process kills the sandbox commands it runs', async () => {
    const db = await createTestDatabase(backend);
    await chmod(db.dataDir, 0o711);
    const child = await startChildServer(db, { env: { SANDBOX_PROVIDER: provider, ANTHROPIC_BASE_URL: fake.url } });
    try {
      const marker = uniqueSleep();
      fake.script([reply(toolUse('bash', { command: `sleep ${marker}` }))]);
      const client = new Anthropic({ apiKey: 'unused-auth-disabled', baseURL: child.baseURL, maxRetries: 0 });
      const session = await createSession(client);
      await client.beta.sessions.events.send(session.id, { events: [userMessage('sleep')] });
      await waitFor(() => sleepRunning(marker), { message: 'the sleep to start in the sandbox' });
      child.child.kill('SIGTERM');
      expect(await child.exited).toEqual({ code: 0, signal: null });
      expect(await findHostProcesses(`sleep\0${marker}`)).toEqual([]);
      fake.assertDone();
      // The boot log warns about what the provider does not isolate (and, as root, bwrap has nothing to warn about).
      if (provider === 'subprocess') expect(child.output()).toContain('SANDBOX_PROVIDER=subprocess has no isolation');
      if (provider === 'bwrap' && process.getuid?.() === 0) expect(child.output()).not.toContain('SANDBOX_PROVIDER=bwrap');
    } finally {
      await child.kill();
      await db.drop();
    }
  });
});

describe('sandbox provider at boot', () => {
  it('an unknown SANDBOX_PROVIDER stops the boot with a message naming the variable and the valid values', async () => {
    const db = await createTestDatabase(BACKENDS[0] ?? 'sqlite');
    try {
      const failure = await startChildServer(db, { env: { SANDBOX_PROVIDER: 'docker' } }).then(
        async (child) => {
          await child.kill();
          return 'the server started';
        },
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/server exited early \(1\)/);
      expect(failure).toMatch(/Unknown sandbox provider \\?"docker\\?" \(SANDBOX_PROVIDER\)\. Valid values: subprocess, bwrap/);
    } finally {
      await db.drop();
    }
  });
});
