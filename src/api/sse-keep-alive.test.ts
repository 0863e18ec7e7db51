import { describe, expect, it } from 'vitest';
import { KeepAlive, type KeepAliveStream } from './sse-keep-alive.ts';

/** A stream as SessionStream is one: every write, the ping included, records the tick. */
function stream(keepAlive: KeepAlive, onPing: () => void = () => undefined): KeepAliveStream & { pings: number; write(): void } {
  const s = {
    lastWriteTick: -1,
    pings: 0,
    write() {
      s.lastWriteTick = keepAlive.ticks;
    },
    ping() {
      s.pings++;
      s.write();
      onPing();
    },
  };
  return s;
}

describe('KeepAlive', () => {
  it('pings an idle stream once every two ticks (one interval), starting two ticks after it was added', () => {
    const k = new KeepAlive(60_000);
    const idle = stream(k);
    k.add(idle);
    const pings: number[] = [];
    for (let i = 0; i < 6; i++) {
      k.tick();
      pings.push(idle.pings);
    }
    expect(pings).toEqual([0, 1, 1, 2, 2, 3]);
    k.delete(idle);
  });

  it('never pings a stream that writes at least once per tick, and pings it once it falls silent', () => {
    const k = new KeepAlive(60_000);
    const busy = stream(k);
    k.add(busy);
    for (let i = 0; i < 10; i++) {
      busy.write();
      k.tick();
    }
    expect(busy.pings).toBe(0);
    // Its last write came before the tick before last.
    k.tick();
    expect(busy.pings).toBe(1);
    k.delete(busy);
  });

  it('a stream deleted while the tick pings (a slow client closed) is not pinged again, and the others still are', () => {
    const k = new KeepAlive(60_000);
    const others = [stream(k), stream(k)];
    const closing: KeepAliveStream & { pings: number } = stream(k, () => k.delete(closing));
    k.add(closing);
    for (const o of others) k.add(o);
    k.tick();
    k.tick();
    expect([closing.pings, ...others.map((o) => o.pings)]).toEqual([1, 1, 1]);
    expect(k.size).toBe(2);
    k.tick();
    k.tick();
    expect([closing.pings, ...others.map((o) => o.pings)]).toEqual([1, 2, 2]);
    for (const o of others) k.delete(o);
    expect(k.size).toBe(0);
  });
});
