import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH, createSeccompFilter, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO } from './bwrap-seccomp.ts';

/** Runs a classic BPF seccomp program the way the kernel does, over one struct seccomp_data. */
function runFilter(program: Buffer, data: { arch: number; nr: number; arg0?: number }): number {
  const input = Buffer.alloc(64);
  input.writeUInt32LE(data.nr >>> 0, 0);
  input.writeUInt32LE(data.arch >>> 0, 4);
  input.writeUInt32LE((data.arg0 ?? 0) >>> 0, 16);
  let accumulator = 0;
  for (let pc = 0; pc < program.length / 8; ) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) accumulator = input.readUInt32LE(k);
    else if (code === 0x06) return k;
    else if (code === 0x15) pc += accumulator === k ? jt : jf;
    else if (code === 0x35) pc += accumulator >= k ? jt : jf;
    else if (code === 0x45) pc += (accumulator & k) !== 0 ? jt : jf;
    else throw new Error(`unexpected opcode ${code.toString(16)} at ${pc}`);
    pc++;
  }
  throw new Error('the program fell off its end');
}

const EPERM = SECCOMP_RET_ERRNO | 1;
const ENOSYS = SECCOMP_RET_ERRNO | 38;
const CLONE_NEWUSER = 0x10000000;

describe('the bwrap seccomp filter', () => {
  const x64 = createSeccompFilter('x64');
  const arm64 = createSeccompFilter('arm64');
  const onX64 = (nr: number, arg0?: number) => runFilter(x64, { arch: AUDIT_ARCH.x64, nr, arg0 });
  const onArm64 = (nr: number, arg0?: number) => runFilter(arm64, { arch: AUDIT_ARCH.arm64, nr, arg0 });

  it('allows ordinary calls: read, write, openat, fork-style clone, execve', () => {
    for (const nr of [0, 1, 257, 59, 231]) expect(onX64(nr)).toBe(SECCOMP_RET_ALLOW);
    expect(onX64(56, 0x01200011)).toBe(SECCOMP_RET_ALLOW); // clone as glibc's fork calls it
    for (const nr of [63, 64, 56, 221]) expect(onArm64(nr)).toBe(SECCOMP_RET_ALLOW);
  });

  // Repro (issue #24, finding 12): `unshare -Ur id` inside bwrap gave uid 0.
  it('refuses nested user namespaces: unshare, setns and clone(CLONE_NEWUSER); clone3 is ENOSYS', () => {
    expect(onX64(272, CLONE_NEWUSER)).toBe(EPERM);
    expect(onX64(308)).toBe(EPERM);
    expect(onX64(56, CLONE_NEWUSER | 17)).toBe(EPERM);
    expect(onX64(435)).toBe(ENOSYS);
    expect(onArm64(97, CLONE_NEWUSER)).toBe(EPERM);
    expect(onArm64(220, CLONE_NEWUSER)).toBe(EPERM);
    expect(onArm64(435)).toBe(ENOSYS);
  });

  it('refuses mounts, modules, the keyring, eBPF, perf, userfaultfd, io_uring and file handles', () => {
    for (const nr of [165, 166, 155, 428, 429, 430, 175, 313, 246, 250, 321, 298, 323, 425, 304, 169, 103]) expect(onX64(nr), `x64 ${nr}`).toBe(EPERM);
    for (const nr of [40, 39, 41, 105, 273, 104, 219, 280, 241, 282, 425, 265, 142, 116]) expect(onArm64(nr), `arm64 ${nr}`).toBe(EPERM);
  });

  it('refuses the x32 ABI and any other architecture outright', () => {
    expect(onX64(0x40000000 + 165)).toBe(EPERM);
    expect(onX64(0x40000000)).toBe(EPERM);
    expect(runFilter(x64, { arch: 0x40000003, nr: 3 })).toBe(EPERM); // i386 via int 0x80
    expect(runFilter(arm64, { arch: AUDIT_ARCH.x64, nr: 0 })).toBe(EPERM);
  });
});
