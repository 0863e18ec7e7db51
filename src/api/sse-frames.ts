/** SSE frames of session events: stored events, live previews, and the marker for an event too large to stream. */
import { toWireJson, type StoredEvent } from '../events/types.ts';
import type { EventSize } from '../store/events-repository.ts';
import { toIso } from '../lib/time.ts';

/** The type of the frame sent in place of a stored event too large to stream (issue #24, finding 5). */
export const OMITTED_EVENT_TYPE = 'oma.event_omitted';

/**
 * A live event reaches every open stream of its session as the same object, so its frame is
 * serialised once and shared (1,000 streams on one session cost one JSON.stringify, not 1,000).
 */
const frames = new WeakMap<object, string>();

export function storedFrame(e: StoredEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    frame = `event: ${e.type}\nid: ${e.seq}\ndata: ${toWireJson(e)}\n\n`;
    frames.set(e, frame);
  }
  return frame;
}

export function ephemeralFrame(data: Record<string, unknown>): string {
  let frame = frames.get(data);
  if (frame === undefined) {
    frame = `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
    frames.set(data, frame);
  }
  return frame;
}

/**
 * Stands in for a stored event larger than a stream carries (written before MAX_EVENT_BYTES existed).
 * It keeps the event's id: and sequence, so resuming after it works, and says where to read the event.
 */
export function omittedFrame(e: Pick<EventSize, 'seq' | 'id' | 'type' | 'processedAt' | 'bytes'>, sessionId: string, limit: number): string {
  const data = {
    type: OMITTED_EVENT_TYPE,
    id: e.id,
    omitted_type: e.type,
    size_bytes: e.bytes,
    processed_at: toIso(e.processedAt),
    message: `event ${e.id} (${e.type}, ${e.bytes} bytes) is larger than a stream carries (${limit} bytes); read it with GET /v1/sessions/${sessionId}/events`,
  };
  return `event: ${OMITTED_EVENT_TYPE}\nid: ${e.seq}\ndata: ${JSON.stringify(data)}\n\n`;
}
