/** The directory uploads are spooled in (DATA_DIR/uploads): emptied at boot, since one server owns a DATA_DIR. */
import { mkdir, rm } from 'node:fs/promises';

/** Removes what a crashed run left half-uploaded and creates the directory (0700). */
export async function prepareUploadDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
}
