/**
 * Makes a long session cheaply: copies of the session's last completed turn (its rows from the
 * last user.message on) are appended with raw SQL, ids renewed and references inside payloads
 * rewritten, until the log holds the wanted number of events. The result reads like a session
 * that ran that many identical turns.
 */
import { newId } from '../src/lib/ids.ts';
import type { SessionEventTable } from '../src/store/schema.ts';
import { EVENT_INSERT_SQL, type RawDriver } from './databases.ts';

export async function growSessionLog(raw: RawDriver, sessionId: string, targetEvents: number): Promise<number> {
  const rows = await raw.query<SessionEventTable>('SELECT * FROM session_events WHERE session_id = $1 ORDER BY seq', [sessionId]);
  const turn = rows.slice(rows.findLastIndex((r) => r.type === 'user.message'));
  if (turn.length === 0 || turn.at(-1)!.type !== 'session.status_idle') throw new Error(`session ${sessionId} has no completed turn to copy`);
  let seq = Number(rows.at(-1)!.seq);
  await raw.exec('BEGIN');
  while (seq < targetEvents) {
    const ids = new Map(turn.map((r) => [r.id, newId('sevt')]));
    for (const r of turn) {
      let payload = r.payload;
      for (const [from, to] of ids) payload = payload.split(from).join(to);
      await raw.run(EVENT_INSERT_SQL, [sessionId, ++seq, ids.get(r.id), r.tenant_id, r.type, payload, r.processed_at, r.created_at]);
    }
  }
  await raw.run('UPDATE sessions SET last_seq = $1 WHERE id = $2', [seq, sessionId]);
  await raw.exec('COMMIT');
  return seq;
}
