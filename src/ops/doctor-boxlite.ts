/** `doctor` for SANDBOX_PROVIDER=boxrun and litebox: the server answers / this host can boot the VMs. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { BoxrunDriver } from '../sandbox/boxlite/boxrun-driver.ts';
import { liteboxHostProblem, type KvmHost } from '../sandbox/boxlite/kvm.ts';
import type { Check } from './doctor.ts';

export async function checkBoxliteSandbox(config: Config, host: KvmHost = {}): Promise<Check[]> {
  return config.sandbox.provider === 'boxrun' ? checkBoxrun(config) : checkLitebox(config, host);
}

async function checkBoxrun(config: Config): Promise<Check[]> {
  const boxrun = config.sandbox.boxrun;
  if (!boxrun) return [{ name: 'boxrun', status: 'fail', detail: 'BOXRUN_URL is not set', fix: 'set BOXRUN_URL to the box API root of a `boxlite serve` host, e.g. http://kvm-host:8100/v1/default' }];
  const driver = new BoxrunDriver(boxrun);
  try {
    await driver.check();
    return [{ name: 'boxrun', status: 'ok', detail: `boxlite serve answers at ${driver.api.baseUrl}` }];
  } catch (error) {
    return [{ name: 'boxrun', status: 'fail', detail: (error as Error).message, fix: 'start `boxlite serve` on the KVM host and check BOXRUN_URL / BOXRUN_API_KEY' }];
  }
}

async function checkLitebox(config: Config, host: KvmHost): Promise<Check[]> {
  const checks: Check[] = [];
  const problem = await liteboxHostProblem(host);
  checks.push(problem
    ? { name: 'litebox VM host', status: 'fail', detail: problem, fix: 'run litebox on a host with hardware virtualization, or use SANDBOX_PROVIDER=boxrun against one' }
    : { name: 'litebox VM host', status: 'ok', detail: process.platform === 'darwin' ? 'Apple Silicon (Hypervisor.framework)' : `${host.kvmDevice ?? '/dev/kvm'} usable` });
  const { rootfsPath, image } = config.sandbox.litebox ?? {};
  if (rootfsPath) {
    checks.push(existsSync(join(rootfsPath, 'index.json'))
      ? { name: 'litebox image', status: 'ok', detail: `OCI layout ${rootfsPath}` }
      : { name: 'litebox image', status: 'fail', detail: `LITEBOX_ROOTFS_PATH=${rootfsPath} has no index.json`, fix: 'point it at an OCI image layout directory (e.g. from `skopeo copy docker://debian:bookworm-slim oci:DIR`)' });
  } else {
    checks.push({ name: 'litebox image', status: 'warn', detail: `${image ?? 'debian:bookworm-slim'} is pulled from its registry by the first box`, fix: 'make sure this host reaches the registry, or set LITEBOX_ROOTFS_PATH to a local OCI layout' });
  }
  try {
    await import('@boxlite-ai/boxlite');
    checks.push({ name: 'litebox runtime', status: 'ok', detail: '@boxlite-ai/boxlite loads' });
  } catch (error) {
    checks.push({ name: 'litebox runtime', status: 'fail', detail: (error as Error).message, fix: 'reinstall with `npm ci` on this platform (the native package is per OS and CPU)' });
  }
  return checks;
}
