import { runSandboxContract } from '../contract/sandbox.contract.ts';
import { SubprocessSandboxProvider } from '../../src/sandbox/subprocess.ts';

runSandboxContract('subprocess', (workdirRoot) => new SubprocessSandboxProvider({ workdirRoot }));
