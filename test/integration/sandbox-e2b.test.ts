/**
 * SANDBOX_PROVIDER=e2b against a loopback E2B (test/support/fake-remote/fake-e2b.ts) that speaks
 * the SDK's wire protocol and runs commands for real: the sandbox contract, then the remote
 * framework's own behaviour on both backends (remote-framework-suite.ts).
 * SANDBOX_LIVE_TESTS=1 with E2B_API_KEY runs the contract against the real E2B instead.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { RemoteSandboxProvider, type RemoteProviderOptions } from '../../src/sandbox/remote/remote-provider.ts';
import { E2bDriver } from '../../src/sandbox/remote/e2b.ts';
import { createSandboxProvider } from '../../src/sandbox/registry.ts';
import { runSandboxContract } from '../contract/sandbox.contract.ts';
import { useTestStore } from '../support/test-store.ts';
import { runRemoteFrameworkSuite } from '../support/fake-remote/remote-framework-suite.ts';
import { FakeE2b } from '../support/fake-remote/fake-e2b.ts';
import type { FakeMachine } from '../support/fake-remote/machine.ts';

const LIVE = process.env.SANDBOX_LIVE_TESTS === '1' && Boolean(process.env.E2B_API_KEY);

const fake = new FakeE2b();
beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  await fake.close();
});
const contract = useTestStore('sqlite');

function driver(): E2bDriver {
  return LIVE
    ? new E2bDriver({ apiKey: process.env.E2B_API_KEY, apiUrl: process.env.E2B_API_URL, domain: process.env.E2B_DOMAIN, template: process.env.E2B_TEMPLATE ?? 'base' })
    : new E2bDriver({ ...fake.options, template: 'base' });
}

function provider(store: Store, options: Partial<RemoteProviderOptions> = {}): RemoteSandboxProvider {
  return new RemoteSandboxProvider({ driver: driver(), store, instanceId: 'inst-a', idleTimeoutS: 600, sweepIntervalMs: 0, retry: { attempts: 3, baseMs: 10 }, ...options });
}

runSandboxContract('e2b', () => provider(contract.store), {}, {
  sessionFileExists: async (sessionId, relative) => (LIVE ? undefined : fake.machines.sessionFileExists(sessionId, relative)),
});

describe.skipIf(LIVE)('e2b egress through the vault proxy (VAULT_PROXY_PUBLIC_URL)', () => {
  it('limits a limited session to the proxy at its public address and gives commands the proxy variables and CA', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oma-e2b-ca-'));
    const caCertPath = path.join(dir, 'ca.pem');
    await writeFile(caCertPath, '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n');
    const egress = { proxy: { host: '127.0.0.1', port: 3128, url: (e: { host: string; port: number }) => `http://sesn_tok:x@${e.host}:${e.port}` }, caCertPath, placeholders: { GITHUB_TOKEN: 'oma-placeholder-1' } };
    const p = provider(contract.store, { proxyPublic: { host: '203.0.113.7', port: 8788 } });
    const limited = { type: 'limited' as const, allowed_hosts: ['example.com'], allow_package_managers: false, allow_mcp_servers: false };
    const sandbox = await p.open('sesn_e2b_egress', { networking: limited, egress });
    const [machine] = [...fake.machines.machines.values()].filter((m) => m.labels['oma-session'] === 'sesn_e2b_egress');
    expect(machine.extra).toMatchObject({ allowInternetAccess: true, network: { denyOut: ['0.0.0.0/0'], allowOut: ['203.0.113.7'] } });
    const result = await sandbox.exec('echo "$HTTPS_PROXY $GITHUB_TOKEN"; cat "$SSL_CERT_FILE"');
    expect(result.stdout).toBe('http://sesn_tok:x@203.0.113.7:8788 oma-placeholder-1\n-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n');
    await p.destroy('sesn_e2b_egress');
    await rm(dir, { recursive: true, force: true });
  });
});

describe.skipIf(LIVE)('e2b through the registry', () => {
  it('is built for SANDBOX_PROVIDER=e2b, warning when VAULT_PROXY_PUBLIC_URL is unset', () => {
    const config = { provider: 'e2b', workdir: '/tmp/oma-unused', idleTimeoutS: 600, e2b: { ...fake.options, template: 'base' }, daytona: {} };
    const { provider: built, warnings } = createSandboxProvider({ name: 'e2b', workdirRoot: '/tmp/oma-unused', remote: { config, store: contract.store } });
    expect(built).toBeInstanceOf(RemoteSandboxProvider);
    expect(built.name).toBe('e2b');
    expect(warnings.join(' ')).toContain('VAULT_PROXY_PUBLIC_URL is not set');
  });
});

if (!LIVE) {
  runRemoteFrameworkSuite('e2b', {
    fake,
    driver,
    badKeyDriver: () => new E2bDriver({ ...fake.options, apiKey: 'e2b_wrong', template: 'base' }),
    badKeyMessage: /SANDBOX_PROVIDER=e2b: E2B: Unauthorized/,
    createPath: /^\/v2\/sandboxes$/,
    expectNoNetwork: (machine: FakeMachine) => expect(machine.extra.allowInternetAccess).toBe(false),
  });
}
