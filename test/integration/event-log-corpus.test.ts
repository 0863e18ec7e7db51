/**
 * The frozen corpus (STYLE §7): every log in test/fixtures/event-logs/ must derive the same state,
 * after every one of its events, as it did when it was frozen. The states were frozen with the
 * derivation that predates the per-event reducers, so a change to the fold or to recovery logic
 * that reads an old log differently fails here. Fixtures are never regenerated; see
 * test/support/event-log-corpus.ts for how candidates are recorded.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvent } from '../../src/events/types.ts';
import { foldEvent, initialFoldState } from '../../src/harness/session-fold.ts';
import { deriveSessionState, viewOf } from '../../src/harness/session-state.ts';
import { CORPUS_DIR, canonicalJson, readCorpusLog, type FrozenStates } from '../support/event-log-corpus.ts';

const logs = readdirSync(CORPUS_DIR).filter((name) => name.endsWith('.jsonl')).sort();

describe('frozen event-log corpus', () => {
  it('holds logs from the suite and the crash test', () => {
    expect(logs.length).toBeGreaterThanOrEqual(10);
  });

  it.each(logs)('%s derives its frozen states', (name) => {
    const events = readCorpusLog(join(CORPUS_DIR, name));
    const frozen = JSON.parse(readFileSync(join(CORPUS_DIR, name.replace(/\.jsonl$/, '.state.json')), 'utf8')) as FrozenStates;
    expect(frozen.prefixes).toHaveLength(events.length);
    const state = initialFoldState();
    for (const [index, event] of events.entries()) {
      foldEvent(state, readEvent(event));
      const digest = createHash('sha256').update(canonicalJson(viewOf(state))).digest('hex');
      // On a mismatch, show the state derived now; the frozen one is the whole-log state below.
      if (digest !== frozen.prefixes[index]) expect.fail(`${name}: state after seq ${event.seq} differs from the frozen one; derived now: ${canonicalJson(viewOf(state))}`);
    }
    expect(JSON.parse(canonicalJson(deriveSessionState(events)))).toEqual(frozen.final);
  });
});
