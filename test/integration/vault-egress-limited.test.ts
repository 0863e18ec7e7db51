/**
 * `limited` networking enforced by the vault egress proxy: a session of a `limited` environment
 * reaches exactly its `allowed_hosts` (here `localhost`) and is refused (403, readable body naming
 * the host and the allowlist, audited) for any other host — here 127.0.0.1, the same loopback
 * upstream, which VAULT_ALLOWED_PRIVATE_HOSTS allows, so only the allowlist can refuse it. An
 * `unrestricted` session reaches that host (the control). Under subprocess and, where it runs, bwrap.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLocal, generateCACertificate, type Mockttp } from 'mockttp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { backendProviderPairs, startSandboxTestServer } from '../support/sandbox-providers.ts';
import type { TestServer } from '../support/server.ts';
import { startFakeModel, reply, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';

const resultText = (e: WireEvent) => ((e.content as { text?: string }[]) ?? []).map((b) => b.text ?? '').join('');

describe.each(backendProviderPairs(BACKENDS))('limited networking through the vault proxy ($backend, $provider)', ({ backend, provider }) => {
  let fake: FakeModel;
  let t: TestServer;
  let up: Mockttp;
  const seen: string[] = [];
  let work: string;
  let agentId: string;

  async function inSandbox(sessionId: string, command: string): Promise<string> {
    fake.script([reply(toolUse('bash', { command })), reply(text('done'))]);
    const before = (await waitForIdle(t.client, sessionId, 0)).filter((e) => e.type === 'session.status_idle').length;
    await t.client.beta.sessions.events.send(sessionId, { events: [userMessage('go')] });
    const events = await waitForIdle(t.client, sessionId, before + 1, 60_000);
    return resultText(events.filter((e) => e.type === 'agent.tool_result').at(-1)!);
  }

  async function sessionIn(networking: { type: 'unrestricted' } | { type: 'limited'; allowed_hosts: string[] }): Promise<string> {
    const environment = await t.client.beta.environments.create({ name: `net-${Math.random().toString(36).slice(2)}`, config: { type: 'cloud', networking } });
    return (await t.client.beta.sessions.create({ agent: agentId, environment_id: environment.id } as Anthropic.Beta.Sessions.SessionCreateParams)).id;
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'oma-limited-'));
    const ca = await generateCACertificate({ subject: { commonName: 'test upstream CA' } });
    writeFileSync(join(work, 'upstream-ca.pem'), ca.cert);
    up = getLocal({ https: ca });
    await up.forAnyRequest().thenCallback((req) => {
      seen.push(req.path);
      return { statusCode: 200, body: `upstream-ok ${req.path}` };
    });
    await up.start();
    fake = await startFakeModel();
    t = await startSandboxTestServer(backend, provider, {
      env: { ANTHROPIC_BASE_URL: fake.url, VAULT_UPSTREAM_CA_FILE: join(work, 'upstream-ca.pem'), VAULT_ALLOWED_PRIVATE_HOSTS: 'localhost,127.0.0.0/8' },
    });
    agentId = (await t.client.beta.agents.create({ name: 'limited', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] })).id;
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    await up?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('reaches an allowed host and is refused, readably and audited, for any other', async () => {
    const sessionId = await sessionIn({ type: 'limited', allowed_hosts: ['localhost', 'api.example.test'] });
    const out = await inSandbox(sessionId, [
      `curl -sS --max-time 20 https://localhost:${up.port}/allowed; echo`,
      `curl -sS --max-time 20 -o /dev/null -w 'connect=%{http_connect}\\n' https://127.0.0.1:${up.port}/over-https; echo "https=$?"`,
      `curl -sS --max-time 20 -w '\\nstatus=%{http_code}\\n' http://127.0.0.1:${up.port}/over-http`,
    ].join('; '));
    expect(out).toContain('upstream-ok /allowed');
    expect(out).toContain('connect=403');
    expect(out).toMatch(/https=[1-9]/);
    expect(out).toContain('status=403');
    expect(out).toContain('oma-vault: 127.0.0.1 is not in this session\'s environment allowlist (networking "limited", allowed_hosts: localhost, api.example.test)');
    expect(seen).toContain('/allowed');
    expect(seen).not.toContain('/over-https');
    expect(seen).not.toContain('/over-http');
    const audit = readFileSync(t.config.vault.auditLogPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const denials = audit.filter((e) => e.session === sessionId && e.reason === 'host not in allowed_hosts');
    expect(denials.map((e) => `${e.method} ${e.host} ${e.status}`).sort()).toEqual(['CONNECT 127.0.0.1 403', 'GET 127.0.0.1 403']);
    expect(audit.some((e) => e.session === sessionId && e.host === 'localhost' && e.decision === 'allow')).toBe(true);
  });

  it('refuses every host for a limited environment without allowed hosts; unrestricted reaches the same host', async () => {
    const none = await sessionIn({ type: 'limited', allowed_hosts: [] });
    const refused = await inSandbox(none, `curl -sS --max-time 20 -w '\\nstatus=%{http_code}\\n' http://localhost:${up.port}/none`);
    expect(refused).toContain('status=403');
    expect(refused).toContain('allowed_hosts: none');
    expect(seen).not.toContain('/none');
    const open = await sessionIn({ type: 'unrestricted' });
    const reached = await inSandbox(open, `curl -sS --max-time 20 http://127.0.0.1:${up.port}/control; echo`);
    expect(reached).toContain('upstream-ok /control');
  });
});
