/**
 * After each restart the clients hold back every write (messages, confirmations) until the
 * sessions the kill interrupted have settled on their own, so "the turn finished by itself" is
 * what is observed, not a client's retry waking it. Sessions that were already settled at the kill
 * must not change at all meanwhile (a requires_action session stays waiting).
 */
import type { DbProbe, SessionSnapshot } from './db-probe.ts';
import { sleep } from './api.ts';

const RECOVERY_TIMEOUT_MS = 60_000;

export class RecoveryGate {
  private gate: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;
  private epoch = 0;
  private lastKill = '';
  /** The watch in progress, if any. */
  private watching: Promise<void> = Promise.resolve();
  /** Turns that were in flight at a kill and then finished by themselves. */
  recovered = 0;

  constructor(private readonly probe: DbProbe, private readonly violations: string[]) {}

  /** Resolves while writes are allowed. */
  wait(): Promise<void> {
    return this.gate;
  }

  /** Call right after a kill (server down): closes the gate and takes the snapshot to judge recovery by. */
  async onKill(sessionIds: string[], killLabel: string): Promise<Map<string, SessionSnapshot>> {
    this.epoch++;
    if (!this.release) this.gate = new Promise((resolve) => (this.release = resolve));
    const snapshot = await this.probe.snapshot(sessionIds);
    this.lastKill = killLabel;
    return snapshot;
  }

  /** Call once the server is back: watches the snapshot's sessions settle, then opens the gate. */
  onRestart(snapshot: Map<string, SessionSnapshot>): void {
    const epoch = this.epoch;
    const label = this.lastKill;
    this.watching = this.watch(snapshot, epoch, label);
  }

  /** Resolves when the latest watch ended (gate open, or superseded by another kill). */
  settled(): Promise<void> {
    return this.watching;
  }

  private async watch(snapshot: Map<string, SessionSnapshot>, epoch: number, label: string): Promise<void> {
    const interrupted = [...snapshot].filter(([, s]) => !s.settled).map(([id]) => id);
    const finished = new Set<string>();
    const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
    for (;;) {
      if (epoch !== this.epoch) return; // killed again during recovery; the next watch takes over
      let current: Map<string, SessionSnapshot> | undefined;
      try {
        current = await this.probe.snapshot([...snapshot.keys()]);
      } catch {
        current = undefined; // the database briefly unavailable; look again
      }
      if (epoch !== this.epoch) return;
      for (const id of interrupted) {
        if (!finished.has(id) && current?.get(id)?.settled) {
          finished.add(id);
          this.recovered++;
        }
      }
      if (current && finished.size === interrupted.length) {
        for (const [id, before] of snapshot) {
          const after = current.get(id)!;
          if (before.settled && after.lastSeq !== before.lastSeq) {
            this.violations.push(`${id}: settled (${before.status}) at kill [${label}], yet the restarted server appended ${after.lastSeq - before.lastSeq} event(s) without any input`);
          }
        }
        break;
      }
      if (Date.now() > deadline) {
        const stuck = interrupted.filter((id) => !finished.has(id));
        this.violations.push(`sessions interrupted by kill [${label}] did not finish by themselves within ${RECOVERY_TIMEOUT_MS / 1000} s: ${stuck.join(', ')}`);
        break;
      }
      await sleep(25);
    }
    this.release?.();
    this.release = undefined;
  }
}
