/**
 * A small seeded pseudo-random generator (mulberry32), so a crash-test run is reproducible from
 * its seed: the same seed gives the same sessions, plans, kill triggers and delays. Timing on a
 * loaded machine still varies, so a seed reproduces the workload, not the exact interleaving.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator for one part of the run (e.g. one iteration), independent of how much the others draw. */
  static derive(seed: number, ...labels: (string | number)[]): Random {
    let h = (seed >>> 0) ^ 0x811c9dc5;
    for (const ch of labels.join('/')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    return new Random(h);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Random.pick: no items');
    return items[Math.floor(this.next() * items.length)]!;
  }
}
