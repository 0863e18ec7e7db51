/**
 * SANDBOX_PROVIDER=daytona against a loopback Daytona (test/support/fake-remote/fake-daytona.ts:
 * the REST API and the toolbox, as @daytonaio/sdk calls them; commands run for real): the
 * sandbox contract, then the remote framework's behaviour on both backends. SANDBOX_LIVE_TESTS=1
 * with DAYTONA_API_KEY runs the contract against the real Daytona instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteSandboxProvider } from '../../src/sandbox/remote/remote-provider.ts';
import { DaytonaDriver } from '../../src/sandbox/remote/daytona.ts';
import { runSandboxContract } from '../contract/sandbox.contract.ts';
import { useTestStore } from '../support/test-store.ts';
import { FakeDaytona, splitWords } from '../support/fake-remote/fake-daytona.ts';
import type { FakeMachine } from '../support/fake-remote/machine.ts';
import { runRemoteFrameworkSuite } from '../support/fake-remote/remote-framework-suite.ts';

const LIVE = process.env.SANDBOX_LIVE_TESTS === '1' && Boolean(process.env.DAYTONA_API_KEY);

const fake = new FakeDaytona();
beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  await fake.close();
});
const contract = useTestStore('sqlite');

function driver(): DaytonaDriver {
  return LIVE
    ? new DaytonaDriver({ apiKey: process.env.DAYTONA_API_KEY, apiUrl: process.env.DAYTONA_API_URL, target: process.env.DAYTONA_TARGET })
    : new DaytonaDriver(fake.options);
}

runSandboxContract('daytona', () => new RemoteSandboxProvider({ driver: driver(), store: contract.store, instanceId: 'inst-a', idleTimeoutS: 600, sweepIntervalMs: 0, retry: { attempts: 3, baseMs: 10 } }), {}, {
  sessionFileExists: async (sessionId, relative) => (LIVE ? undefined : fake.machines.sessionFileExists(sessionId, relative)),
});

describe.skipIf(LIVE)('daytona specifics', () => {
  it("splits commands into words the way Daytona's daemon does (the fake's parser)", () => {
    expect(splitWords(`bash -c 'echo "a b" '\\''c'\\'' ' x\\ y "q\\"z"`)).toEqual(['bash', '-c', `echo "a b" 'c' `, 'x y', 'q"z']);
  });

  it('creates with the labels, network blocked, auto-stop past the idle timeout, and restarts an auto-stopped sandbox on reattach', async () => {
    const p = new RemoteSandboxProvider({ driver: driver(), store: contract.store, instanceId: 'inst-a', idleTimeoutS: 1200, sweepIntervalMs: 0 });
    const sandbox = await p.open('sesn_daytona_stop');
    await sandbox.exec('echo kept > kept.txt');
    const [machine] = [...fake.machines.machines.values()].filter((m) => m.labels['oma-session'] === 'sesn_daytona_stop');
    expect(machine.extra).toMatchObject({ networkBlockAll: true, autoStopInterval: 30, autoDeleteInterval: 60 });
    await machine.stop();
    const again = new RemoteSandboxProvider({ driver: driver(), store: contract.store, instanceId: 'inst-b', idleTimeoutS: 1200, sweepIntervalMs: 0 });
    expect((await (await again.open('sesn_daytona_stop')).exec('cat kept.txt')).stdout).toBe('kept\n');
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === `/api/sandbox/${machine.id}/start`)).toBe(true);
    await again.destroy('sesn_daytona_stop');
  });
});

if (!LIVE) {
  runRemoteFrameworkSuite('daytona', {
    fake,
    driver,
    badKeyDriver: () => new DaytonaDriver({ ...fake.options, apiKey: 'dtn_wrong' }),
    badKeyMessage: /SANDBOX_PROVIDER=daytona: Daytona: Invalid API key/,
    createPath: /^\/api\/sandbox$/,
    expectNoNetwork: (machine: FakeMachine) => expect(machine.extra.networkBlockAll).toBe(true),
  });
}
