/**
 * The proxy's certificate authority under DATA_DIR/vault-ca: `ca.pem` (given to sandboxes) and
 * `ca-key.pem` (mode 0600, only the proxy reads it). Created at first boot by whichever process
 * (server or sidecar) gets there first; the directory's creation is the lock, the certificate is
 * written last, so a reader that finds `ca.pem` also finds its key.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCACertificate } from 'mockttp';

export interface ProxyCa {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

const WAIT_MS = 15_000;

export async function loadOrCreateProxyCa(caDir: string): Promise<ProxyCa> {
  const certPath = join(caDir, 'ca.pem');
  const keyPath = join(caDir, 'ca-key.pem');
  let creator = false;
  try {
    mkdirSync(caDir, { mode: 0o700 });
    creator = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (creator || (!existsSync(certPath) && !(await appears(certPath)))) {
    const ca = await generateCACertificate({ subject: { commonName: 'oma-vault egress proxy CA', organizationName: 'open managed agents' }, bits: 2048 });
    writeFileSync(keyPath, ca.key, { mode: 0o600 });
    writeFileSync(`${certPath}.tmp`, ca.cert, { mode: 0o644 });
    renameSync(`${certPath}.tmp`, certPath);
  }
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

/** Waits for another process that created the directory to finish writing the certificate. */
async function appears(path: string): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (existsSync(path)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
