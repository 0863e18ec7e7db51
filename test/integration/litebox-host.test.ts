/**
 * SANDBOX_PROVIDER=litebox refuses to start where BoxLite micro-VMs cannot boot, and says why:
 * the host probes run against real files (a missing device, a regular file, /dev/null standing in
 * for a usable character device, a modules directory with and without kvm_pvm), the driver's boot
 * check against this machine itself, and doctor against both.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { checkBoxliteSandbox } from '../../src/ops/doctor-boxlite.ts';
import { liteboxHostProblem } from '../../src/sandbox/boxlite/kvm.ts';
import { LiteboxDriver } from '../../src/sandbox/boxlite/litebox-driver.ts';
import { RemoteProviderError } from '../../src/sandbox/remote/driver.ts';

describe('litebox host checks', () => {
  let dir: string;
  let noPvm: string;
  let withPvm: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'oma-litebox-host-'));
    noPvm = path.join(dir, 'modules-plain');
    withPvm = path.join(dir, 'modules-pvm');
    await mkdir(path.join(noPvm, 'kvm'), { recursive: true });
    await mkdir(path.join(withPvm, 'kvm_pvm'), { recursive: true });
    await writeFile(path.join(dir, 'not-a-device'), '');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names each reason a host cannot boot the VMs', async () => {
    const linux = { platform: 'linux' as const, arch: 'x64' };
    expect(await liteboxHostProblem({ ...linux, kvmDevice: path.join(dir, 'kvm'), modulesDir: noPvm })).toMatch(/kvm does not exist: litebox needs hardware virtualization \(KVM\).*--device \/dev\/kvm/);
    expect(await liteboxHostProblem({ ...linux, kvmDevice: path.join(dir, 'not-a-device'), modulesDir: noPvm })).toMatch(/is not a character device/);
    expect(await liteboxHostProblem({ ...linux, kvmDevice: '/dev/null', modulesDir: withPvm })).toMatch(/KVM-PVM \(module kvm_pvm\).*KVM_EXIT_INTERNAL_ERROR.*SANDBOX_PROVIDER=boxrun/);
    expect(await liteboxHostProblem({ ...linux, kvmDevice: '/dev/null', modulesDir: noPvm })).toBeUndefined();
    expect(await liteboxHostProblem({ platform: 'darwin', arch: 'x64' })).toMatch(/Apple Silicon/);
    expect(await liteboxHostProblem({ platform: 'darwin', arch: 'arm64' })).toBeUndefined();
    expect(await liteboxHostProblem({ platform: 'win32', arch: 'x64' })).toMatch(/not on win32/);
  });

  it('refuses at boot with the host\'s reason, and refuses a rootfs that is not an OCI layout', async () => {
    const missing = new LiteboxDriver({ homeDir: path.join(dir, 'home'), host: { kvmDevice: path.join(dir, 'kvm') } });
    const refused = (await missing.check().catch((error: unknown) => error)) as RemoteProviderError;
    expect(refused).toBeInstanceOf(RemoteProviderError);
    expect(refused.message).toMatch(/^SANDBOX_PROVIDER=litebox cannot run on this host: .*kvm does not exist/);
    const badLayout = new LiteboxDriver({ homeDir: path.join(dir, 'home'), rootfsPath: dir, host: { kvmDevice: '/dev/null', modulesDir: noPvm, platform: 'linux', arch: 'x64' } });
    await expect(badLayout.check()).rejects.toThrow(/LITEBOX_ROOTFS_PATH=.* is not an OCI image layout \(no index\.json there\)/);
  });

  it('on this machine: the boot check agrees with the host probe', async () => {
    const problem = await liteboxHostProblem();
    const driver = new LiteboxDriver({ homeDir: path.join(dir, 'home-real') });
    if (problem) {
      console.log(`litebox cannot run on this machine: ${problem}`);
      await expect(driver.check()).rejects.toThrow(problem);
    } else {
      expect((await driver.check()).join('\n')).toMatch(/pulls debian:bookworm-slim from its registry/);
    }
  });

  it('doctor reports the host, the image source and the runtime', async () => {
    const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), SANDBOX_PROVIDER: 'litebox', LITEBOX_ROOTFS_PATH: path.join(dir, 'no-layout') }, { generateSecrets: false });
    const checks = await checkBoxliteSandbox(config, { kvmDevice: path.join(dir, 'kvm'), modulesDir: noPvm });
    expect(checks.find((check) => check.name === 'litebox VM host')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/does not exist/) });
    expect(checks.find((check) => check.name === 'litebox image')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/no-layout has no index\.json/) });
    expect(checks.find((check) => check.name === 'litebox runtime')).toMatchObject({ status: 'ok' });
    const usable = await checkBoxliteSandbox(loadConfig({ DATA_DIR: path.join(dir, 'data'), SANDBOX_PROVIDER: 'litebox' }, { generateSecrets: false }), { kvmDevice: '/dev/null', modulesDir: noPvm });
    expect(usable.find((check) => check.name === 'litebox VM host')?.status).toBe('ok');
    expect(usable.find((check) => check.name === 'litebox image')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/debian:bookworm-slim is pulled/) });
  });
});
