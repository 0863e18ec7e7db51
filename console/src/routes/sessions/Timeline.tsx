/** The session's timeline: one entry per message, tool call or marker, then text still streaming in. */
import type { Preview } from './use-session-stream.ts';
import { Markdown } from '../../components/Markdown.tsx';
import { CustomToolCall } from './CustomToolCall.tsx';
import { ToolCall } from './ToolCall.tsx';
import { textOf, type TimelineItem } from './timeline.ts';

function time(iso: string | null): string {
  return iso ? new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '';
}

function Entry({ sessionId, item }: { sessionId: string; item: TimelineItem }) {
  switch (item.kind) {
    case 'user':
      return (
        <article className="msg msg-user" aria-label="Your message">
          <div className="msg-meta">You · {time(item.processedAt) || 'queued'}</div>
          <div className="msg-body">
            <Markdown text={textOf(item.event.content)} />
          </div>
        </article>
      );
    case 'agent':
      return (
        <article className="msg msg-agent" aria-label="Agent message">
          <div className="msg-meta">Agent · {time(item.event.processed_at)}</div>
          <div className="msg-body">
            <Markdown text={textOf(item.event.content)} />
          </div>
        </article>
      );
    case 'thinking':
      return (
        <details className="thinking">
          <summary>Thinking</summary>
          <p className="muted">{typeof item.event.thinking === 'string' && item.event.thinking ? item.event.thinking : 'The model reasoned before answering; its thinking is not shown by the API.'}</p>
        </details>
      );
    case 'tool':
      return <ToolCall sessionId={sessionId} item={item} />;
    case 'custom-tool':
      return <CustomToolCall sessionId={sessionId} item={item} />;
    case 'marker':
      return (
        <div className={`marker tone-${item.tone}`} role={item.tone === 'error' ? 'alert' : undefined}>
          <span className="badge">{item.label}</span>
          {item.detail ? <span className="marker-detail">{item.detail}</span> : null}
        </div>
      );
    default: {
      const never: never = item;
      return never;
    }
  }
}

export function Timeline({ sessionId, items, previews }: { sessionId: string; items: TimelineItem[]; previews: Preview[] }) {
  return (
    <ol className="timeline" aria-label="Timeline">
      {items.map((item) => (
        <li key={item.kind === 'tool' || item.kind === 'custom-tool' ? item.use.id : item.event.id}>
          <Entry sessionId={sessionId} item={item} />
        </li>
      ))}
      {previews.map((p) => (
        <li key={p.id}>
          {p.type === 'agent.thinking' ? (
            <div className="thinking live">
              <span className="dots" aria-hidden="true" /> Thinking…
            </div>
          ) : (
            <article className="msg msg-agent streaming" aria-label="Agent message (streaming)" aria-busy="true">
              <div className="msg-meta">Agent · typing…</div>
              <div className="msg-body">
                <Markdown text={p.text} />
                <span className="caret" aria-hidden="true" />
              </div>
            </article>
          )}
        </li>
      ))}
    </ol>
  );
}
