/**
 * The seccomp filter every bwrap sandbox runs under (bwrap `--seccomp FD`), generated here as a
 * classic BPF program: no native dependency, and the list below is the whole policy. Why not a
 * package: the npm seccomp bindings need a native build against libseccomp; the program is 60
 * instructions and its semantics are tested instruction by instruction (an interpreter in the tests).
 *
 * Refused with EPERM (issue #24, finding 12): kernel and module loading, reboot and swap, mounts and
 * the new mount API, namespace entry and creation (unshare, setns, clone with CLONE_NEWUSER), the
 * keyring, eBPF, perf events, userfaultfd, io_uring, file handles (open_by_handle_at), clock and
 * host name changes, syslog, accounting, quotas, and on x86-64 the x32 ABI and iopl/ioperm. clone3
 * answers ENOSYS, so libc falls back to clone, whose flags a filter can see. Any other architecture
 * than the host's (e.g. int 0x80 on x86-64) is refused outright. Everything else is allowed.
 */

/** Syscalls refused with EPERM, by name. */
export const DENIED_SYSCALLS = [
  'mount', 'umount2', 'pivot_root', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr',
  'unshare', 'setns',
  'init_module', 'finit_module', 'delete_module', 'create_module', 'get_kernel_syms', 'query_module', 'kexec_load', 'kexec_file_load',
  'reboot', 'swapon', 'swapoff', 'sethostname', 'setdomainname', 'settimeofday', 'adjtimex', 'clock_settime', 'clock_adjtime',
  'add_key', 'request_key', 'keyctl', 'bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  'open_by_handle_at', 'name_to_handle_at', 'lookup_dcookie', 'quotactl', 'nfsservctl', 'acct', 'syslog', 'vhangup', 'uselib', '_sysctl',
  'iopl', 'ioperm',
] as const;

type Arch = 'x64' | 'arm64';

// Syscall numbers from the kernel's tables (asm/unistd_64.h for x86-64, asm-generic/unistd.h for
// arm64); a name missing on an architecture does not exist there.
const NUMBERS: Record<Arch, Record<string, number>> = {
  x64: {
    mount: 165, umount2: 166, pivot_root: 155, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, move_mount: 429, open_tree: 428, mount_setattr: 442,
    unshare: 272, setns: 308, init_module: 175, finit_module: 313, delete_module: 176, create_module: 174, get_kernel_syms: 177, query_module: 178,
    kexec_load: 246, kexec_file_load: 320, reboot: 169, swapon: 167, swapoff: 168, sethostname: 170, setdomainname: 171, settimeofday: 164,
    adjtimex: 159, clock_settime: 227, clock_adjtime: 305, add_key: 248, request_key: 249, keyctl: 250, bpf: 321, perf_event_open: 298,
    userfaultfd: 323, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427, open_by_handle_at: 304, name_to_handle_at: 303,
    lookup_dcookie: 212, quotactl: 179, nfsservctl: 180, acct: 163, syslog: 103, vhangup: 153, uselib: 134, _sysctl: 156, iopl: 172, ioperm: 173,
    clone: 56, clone3: 435,
  },
  arm64: {
    mount: 40, umount2: 39, pivot_root: 41, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, move_mount: 429, open_tree: 428, mount_setattr: 442,
    unshare: 97, setns: 268, init_module: 105, finit_module: 273, delete_module: 106, kexec_load: 104, kexec_file_load: 294, reboot: 142,
    swapon: 224, swapoff: 225, sethostname: 161, setdomainname: 162, settimeofday: 170, adjtimex: 171, clock_settime: 112, clock_adjtime: 266,
    add_key: 217, request_key: 218, keyctl: 219, bpf: 280, perf_event_open: 241, userfaultfd: 282, io_uring_setup: 425, io_uring_enter: 426,
    io_uring_register: 427, open_by_handle_at: 265, name_to_handle_at: 264, lookup_dcookie: 18, quotactl: 60, nfsservctl: 42, acct: 89,
    syslog: 116, vhangup: 58, clone: 220, clone3: 435,
  },
};

export const AUDIT_ARCH: Record<Arch, number> = { x64: 0xc000003e, arm64: 0xc00000b7 };
const X32_SYSCALL_BIT = 0x40000000;
const CLONE_NEWUSER = 0x10000000;
const EPERM = 1;
const ENOSYS = 38;

// Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
const LD_ABS_W = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ERRNO = 0x00050000;
// Offsets in struct seccomp_data: nr, arch, instruction pointer, then the six arguments.
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16;

type Step = { code: number; k: number; jt?: string; jf?: string } | { label: string };

/** Resolves label jumps into relative offsets and packs struct sock_filter entries (little-endian). */
function assemble(steps: Step[]): Buffer {
  const code = steps.filter((s): s is Exclude<Step, { label: string }> => !('label' in s));
  const labels = new Map<string, number>();
  let index = 0;
  for (const step of steps) {
    if ('label' in step) labels.set(step.label, index);
    else index++;
  }
  const out = Buffer.alloc(code.length * 8);
  code.forEach((step, pc) => {
    const offset = (label: string | undefined) => {
      if (label === undefined) return 0;
      const target = labels.get(label)! - pc - 1;
      if (target < 0 || target > 255) throw new Error(`seccomp jump to ${label} out of range`);
      return target;
    };
    out.writeUInt16LE(step.code, pc * 8);
    out.writeUInt8(offset(step.jt), pc * 8 + 2);
    out.writeUInt8(offset(step.jf), pc * 8 + 3);
    out.writeUInt32LE(step.k >>> 0, pc * 8 + 4);
  });
  return out;
}

/** The host's architecture as the filter knows it, or undefined when there is no filter for it. */
export function seccompArch(arch: string = process.arch): Arch | undefined {
  return arch === 'x64' || arch === 'arm64' ? arch : undefined;
}

/** The filter for `arch`, as bytes for bwrap's `--seccomp FD`. */
export function createSeccompFilter(arch: Arch): Buffer {
  const numbers = NUMBERS[arch];
  const steps: Step[] = [
    { code: LD_ABS_W, k: OFFSET_ARCH },
    { code: JEQ_K, k: AUDIT_ARCH[arch], jt: 'native', jf: 'deny' },
    { label: 'native' },
    { code: LD_ABS_W, k: OFFSET_NR },
  ];
  if (arch === 'x64') steps.push({ code: JGE_K, k: X32_SYSCALL_BIT, jt: 'deny' });
  steps.push({ code: JEQ_K, k: numbers.clone3!, jt: 'enosys' }, { code: JEQ_K, k: numbers.clone!, jt: 'clone' });
  for (const name of DENIED_SYSCALLS) {
    const nr = numbers[name];
    if (nr !== undefined) steps.push({ code: JEQ_K, k: nr, jt: 'deny' });
  }
  steps.push(
    { code: RET_K, k: SECCOMP_RET_ALLOW },
    { label: 'clone' },
    { code: LD_ABS_W, k: OFFSET_ARG0_LOW },
    { code: JSET_K, k: CLONE_NEWUSER, jt: 'deny' },
    { code: RET_K, k: SECCOMP_RET_ALLOW },
    { label: 'enosys' },
    { code: RET_K, k: SECCOMP_RET_ERRNO | ENOSYS },
    { label: 'deny' },
    { code: RET_K, k: SECCOMP_RET_ERRNO | EPERM },
  );
  return assemble(steps);
}
