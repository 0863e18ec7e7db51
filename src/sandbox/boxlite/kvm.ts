/**
 * Whether this host can boot BoxLite micro-VMs (SANDBOX_PROVIDER=litebox): Linux with a usable
 * /dev/kvm (x86_64 or arm64), or macOS on Apple Silicon. Returns the reason it cannot, phrased for
 * an operator, or undefined. One trap is named explicitly: a /dev/kvm provided by KVM-PVM (the
 * `kvm_pvm` module, found on some cloud VMs for nested virtualization) boots only guest kernels
 * built for PVM; libkrun's is not, and every box dies at boot with KVM_EXIT_INTERNAL_ERROR.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

export interface KvmHost {
  /** Default /dev/kvm. */
  kvmDevice?: string;
  /** Default /sys/module (where a loaded `kvm_pvm` shows). */
  modulesDir?: string;
  platform?: NodeJS.Platform;
  arch?: string;
}

export async function liteboxHostProblem(host: KvmHost = {}): Promise<string | undefined> {
  const platform = host.platform ?? process.platform;
  const arch = host.arch ?? process.arch;
  if (platform === 'darwin') return arch === 'arm64' ? undefined : 'litebox needs Apple Silicon on macOS (Hypervisor.framework); this Mac is Intel.';
  if (platform !== 'linux') return `litebox runs on Linux (KVM) or macOS on Apple Silicon, not on ${platform}.`;
  if (arch !== 'x64' && arch !== 'arm64') return `litebox needs an x86_64 or arm64 Linux host, not ${arch}.`;
  const device = host.kvmDevice ?? '/dev/kvm';
  const info = await stat(device).catch(() => undefined);
  if (!info) {
    return `${device} does not exist: litebox needs hardware virtualization (KVM). Enable VT-x/AMD-V (or nested virtualization on a VM) and load kvm_intel or kvm_amd, or pass the device into the container (--device /dev/kvm).`;
  }
  if (!info.isCharacterDevice()) return `${device} is not a character device: it cannot be the KVM device.`;
  try {
    await access(device, constants.R_OK | constants.W_OK);
  } catch {
    return `${device} exists but this user cannot open it read-write: add the server's user to the kvm group (sudo usermod -aG kvm $USER) or run it where it may.`;
  }
  const modules = host.modulesDir ?? '/sys/module';
  if (await stat(path.join(modules, 'kvm_pvm')).catch(() => undefined)) {
    return (
      `${device} is provided by KVM-PVM (module kvm_pvm), which boots only PVM-enabled guest kernels; BoxLite's libkrun guest kernel is not one, ` +
      'so every box fails to start (KVM_EXIT_INTERNAL_ERROR). Use a host with kvm_intel/kvm_amd (bare metal or a VM with nested virtualization), or SANDBOX_PROVIDER=boxrun against such a host.'
    );
  }
  return undefined;
}
