/** BOXRUN_* and LITEBOX_*: where the BoxLite providers find their server or their runtime. */
import { join, resolve } from 'node:path';
import type { Env, SandboxConfig } from './schema.ts';

/** (load.ts refuses SANDBOX_PROVIDER=boxrun without BOXRUN_URL.) */
export function boxliteConfig(e: Env, dataDir: string): Pick<SandboxConfig, 'boxrun' | 'litebox'> {
  return {
    boxrun: e.BOXRUN_URL === undefined ? undefined : { url: e.BOXRUN_URL, apiKey: e.BOXRUN_API_KEY, image: e.BOXRUN_IMAGE },
    litebox: { homeDir: resolve(e.LITEBOX_HOME ?? join(dataDir, 'litebox')), image: e.LITEBOX_IMAGE, rootfsPath: e.LITEBOX_ROOTFS_PATH ? resolve(e.LITEBOX_ROOTFS_PATH) : undefined },
  };
}
