/**
 * Collects stdout and stderr under one shared byte budget. Bytes beyond the budget are counted,
 * not kept, so a runaway command cannot grow the server's memory.
 */
export class OutputCollector {
  private readonly chunks: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
  private remaining: number;
  /** Bytes dropped because the budget was spent. */
  droppedBytes = 0;

  constructor(maxBytes: number) {
    this.remaining = Math.max(0, maxBytes);
  }

  /** Keeps as much of `chunk` as the budget allows and counts the rest. */
  add(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const kept = Math.min(this.remaining, chunk.length);
    if (kept > 0) this.chunks[stream].push(kept === chunk.length ? chunk : chunk.subarray(0, kept));
    this.remaining -= kept;
    this.droppedBytes += chunk.length - kept;
  }

  stdout(): Buffer {
    return Buffer.concat(this.chunks.stdout);
  }

  stderr(): Buffer {
    return Buffer.concat(this.chunks.stderr);
  }
}
