/**
 * The live view of one session: every stored event from the stream (in order, once each) and the
 * text streaming in for messages not yet stored. The stored agent.message replaces its preview.
 */
import { useEffect, useState } from 'react';
import { SessionEventStream, type Connection } from '../../lib/event-stream.ts';
import type { SessionEvent } from '../../api/types.ts';

export interface Preview {
  id: string;
  type: string;
  text: string;
}

export interface LiveSession {
  events: SessionEvent[];
  previews: Preview[];
  connection: Connection;
  detail?: string;
}

function streamUrl(sessionId: string): string {
  const q = new URLSearchParams();
  q.append('event_deltas[]', 'agent.message');
  q.append('event_deltas[]', 'agent.thinking');
  // The server's own markers, e.g. oma.turn_recovered for the "recovered" badge.
  q.set('include_extensions', 'true');
  return `/v1/sessions/${encodeURIComponent(sessionId)}/events/stream?${q}`;
}

export function useSessionStream(sessionId: string): LiveSession {
  const [state, setState] = useState<LiveSession>({ events: [], previews: [], connection: 'connecting' });
  useEffect(() => {
    setState({ events: [], previews: [], connection: 'connecting' });
    const stream = new SessionEventStream({
      url: streamUrl(sessionId),
      handlers: {
        onEvent: (event) =>
          setState((s) => ({ ...s, events: [...s.events, event as SessionEvent], previews: s.previews.filter((p) => p.id !== event.id) })),
        onEphemeral: (frame) => setState((s) => ({ ...s, previews: applyDelta(s.previews, frame) })),
        // Previews are live-only: after a drop the stored events bring the full text.
        onConnection: (connection, detail) => setState((s) => ({ ...s, connection, detail, previews: connection === 'live' ? s.previews : [] })),
      },
    });
    stream.start();
    return () => stream.stop();
  }, [sessionId]);
  return state;
}

function applyDelta(previews: Preview[], frame: Record<string, unknown>): Preview[] {
  if (frame.type === 'event_start') {
    const e = frame.event as { type: string; id: string };
    return previews.some((p) => p.id === e.id) ? previews : [...previews, { id: e.id, type: e.type, text: '' }];
  }
  if (frame.type === 'event_delta') {
    const d = frame.delta as { content?: { text?: string } } | undefined;
    const text = d?.content?.text ?? '';
    return previews.map((p) => (p.id === frame.event_id ? { ...p, text: p.text + text } : p));
  }
  return previews;
}
