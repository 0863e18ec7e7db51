import type { Readable } from 'node:stream';

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

/** Keeps the last `maxBytes` bytes of a stream (a report, where the newest bytes count). */
export class TailCollector {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(stream: Readable, private readonly maxBytes: number) {
    stream.on('data', (chunk: Buffer) => this.add(chunk));
    stream.on('error', () => undefined);
  }

  bytes(): Buffer {
    const all = Buffer.concat(this.chunks);
    return all.length > this.maxBytes ? all.subarray(all.length - this.maxBytes) : all;
  }

  private add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size <= this.maxBytes * 2) return;
    const kept = this.bytes();
    this.chunks = [kept];
    this.size = kept.length;
  }
}
