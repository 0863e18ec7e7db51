/** toWireJson (stored payload text spliced in) says exactly what JSON.stringify(toWireEvent(e)) says. */
import { describe, expect, it } from 'vitest';
import { toWireEvent, toWireJson, type StoredEvent } from './types.ts';
import { parseStoredPayload } from '../store/json.ts';

function stored(payloadText: string, processedAt: number | null = 1_700_000_000_123): StoredEvent {
  return { sessionId: 'sesn_1', seq: 3, id: 'sevt_1', type: 'agent.message', payload: parseStoredPayload(payloadText, 'test'), processedAt, createdAt: 1 };
}

const PAYLOADS = [
  '{}',
  '{"content":[{"type":"text","text":"hi"}]}',
  JSON.stringify({ content: [{ type: 'text', text: 'quotes " and \\ and \u2028 and emoji 🦊 and \u0000' }], n: 1.5, nested: { a: [null, true, false] } }),
  // Keys toWireEvent sets itself: the later one wins in both.
  '{"type":"sneaky","processed_at":"1999-01-01T00:00:00Z","id":"other"}',
  ' { "spaced" : 1 } ',
];

describe('toWireJson', () => {
  it.each(PAYLOADS)('equals JSON.stringify(toWireEvent) after parsing: %s', (text) => {
    for (const processedAt of [1_700_000_000_123, null]) {
      const e = stored(text, processedAt);
      expect(JSON.parse(toWireJson(e))).toEqual(JSON.parse(JSON.stringify(toWireEvent(e))));
    }
  });

  it('splices the stored text for a payload read from the log, and serialises any other', () => {
    const e = stored('{"content":[]}');
    expect(toWireJson(e)).toBe('{"type":"agent.message","id":"sevt_1","content":[],"processed_at":"2023-11-14T22:13:20.123Z"}');
    const rebuilt = { ...e, payload: { content: [], extra: 1 } };
    expect(JSON.parse(toWireJson(rebuilt))).toEqual({ type: 'agent.message', id: 'sevt_1', content: [], extra: 1, processed_at: '2023-11-14T22:13:20.123Z' });
  });
});
