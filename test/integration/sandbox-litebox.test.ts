/**
 * SANDBOX_PROVIDER=litebox for real: the sandbox contract and reattach against BoxLite micro-VMs
 * booted on this host by the embedded runtime. There is no fake of a hypervisor, so this runs only
 * where the VMs can boot (liteboxHostProblem() finds nothing) and an image source is given:
 * LITEBOX_ROOTFS_PATH (a local OCI layout, no registry needed) or SANDBOX_LIVE_TESTS=1 (the image
 * is pulled from its registry, LITEBOX_IMAGE or debian:bookworm-slim). Elsewhere the suite is
 * skipped and the reason printed; litebox-host.test.ts covers the refusals everywhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liteboxHostProblem } from '../../src/sandbox/boxlite/kvm.ts';
import { LiteboxDriver } from '../../src/sandbox/boxlite/litebox-driver.ts';
import { RemoteSandboxProvider } from '../../src/sandbox/remote/remote-provider.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { runSandboxContract } from '../contract/sandbox.contract.ts';
import { createTestDatabase, type TestDatabase } from '../support/backends.ts';

const hostProblem = await liteboxHostProblem();
const imageSource = process.env.LITEBOX_ROOTFS_PATH ?? (process.env.SANDBOX_LIVE_TESTS === '1' ? (process.env.LITEBOX_IMAGE ?? 'debian:bookworm-slim') : undefined);
const skipReason = hostProblem ?? (imageSource ? undefined : 'no image source: set LITEBOX_ROOTFS_PATH to an OCI layout, or SANDBOX_LIVE_TESTS=1 to pull LITEBOX_IMAGE');
if (skipReason) console.log(`sandbox-litebox: skipped: ${skipReason}`);

let db: TestDatabase;
let store: Store;
let home: string;

function driver(): LiteboxDriver {
  return new LiteboxDriver({ homeDir: home, rootfsPath: process.env.LITEBOX_ROOTFS_PATH, image: process.env.LITEBOX_IMAGE });
}

function provider(instanceId = 'inst-a'): RemoteSandboxProvider {
  return new RemoteSandboxProvider({ driver: driver(), store, instanceId, idleTimeoutS: 600, sweepIntervalMs: 0 });
}

describe.skipIf(Boolean(skipReason))('litebox (real micro-VMs)', () => {
  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'oma-litebox-'));
    db = await createTestDatabase('sqlite');
    store = await openStore(db.database);
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  runSandboxContract('litebox', () => provider());

  it('reattaches after a restart to the same box, files kept', async () => {
    const first = provider();
    await first.check();
    const sandbox = await first.open('sesn_litebox_reattach');
    await sandbox.exec('echo kept > note.txt');
    const before = (await store.remoteSandboxes.find('sesn_litebox_reattach'))?.sandbox_id;
    await first.shutdown();
    const second = provider('inst-b');
    const again = await second.open('sesn_litebox_reattach');
    expect((await again.exec('cat note.txt')).stdout).toBe('kept\n');
    expect((await store.remoteSandboxes.find('sesn_litebox_reattach'))?.sandbox_id).toBe(before);
    await second.destroy('sesn_litebox_reattach');
    expect(await driver().list(await second.deployment())).toEqual([]);
  });
});
