/**
 * SANDBOX_PROVIDER=e2b against a loopback E2B (test/support/fake-remote/fake-e2b.ts) that speaks
 * the SDK's wire protocol and runs commands for real: the sandbox contract, then the remote
 * framework's own behaviour on both backends (remote-framework-suite.ts).
 * SANDBOX_LIVE_TESTS=1 with E2B_API_KEY runs the contract against the real E2B instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { RemoteSandboxProvider, type RemoteProviderOptions } from '../../src/sandbox/remote/remote-provider.ts';
import { E2bDriver } from '../../src/sandbox/remote/e2b.ts';
import { createSandboxProvider } from '../../src/sandbox/registry.ts';
import { runSandboxContract } from '../contract/sandbox.contract.ts';
import { createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { runRemoteFrameworkSuite } from '../support/fake-remote/remote-framework-suite.ts';
import { FakeE2b } from '../support/fake-remote/fake-e2b.ts';
import type { FakeMachine } from '../support/fake-remote/machine.ts';

const LIVE = process.env.SANDBOX_LIVE_TESTS === '1' && Boolean(process.env.E2B_API_KEY);

const fake = new FakeE2b();
let contractDb: TestDatabase;
let contractStore: Store;

beforeAll(async () => {
  await fake.start();
  contractDb = await createTestDatabase('sqlite');
  contractStore = await openStore(contractDb.database);
});

afterAll(async () => {
  await contractStore?.close();
  await contractDb?.drop();
  await fake.close();
});

function driver(): E2bDriver {
  return LIVE
    ? new E2bDriver({ apiKey: process.env.E2B_API_KEY, apiUrl: process.env.E2B_API_URL, domain: process.env.E2B_DOMAIN, template: process.env.E2B_TEMPLATE ?? 'base' })
    : new E2bDriver({ ...fake.options, template: 'base' });
}

function provider(store: Store, options: Partial<RemoteProviderOptions> = {}): RemoteSandboxProvider {
  return new RemoteSandboxProvider({ driver: driver(), store, instanceId: 'inst-a', idleTimeoutS: 600, sweepIntervalMs: 0, retry: { attempts: 3, baseMs: 10 }, ...options });
}

runSandboxContract('e2b', () => provider(contractStore), {}, {
  sessionFileExists: async (sessionId, relative) => (LIVE ? undefined : fake.machines.sessionFileExists(sessionId, relative)),
});

describe.skipIf(LIVE)('e2b through the registry', () => {
  it('is built for SANDBOX_PROVIDER=e2b, warning when VAULT_PROXY_PUBLIC_URL is unset', () => {
    const config = { provider: 'e2b', workdir: '/tmp/oma-unused', idleTimeoutS: 600, e2b: { ...fake.options, template: 'base' }, daytona: {} };
    const { provider: built, warnings } = createSandboxProvider({ name: 'e2b', workdirRoot: '/tmp/oma-unused', remote: { config, store: contractStore } });
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
