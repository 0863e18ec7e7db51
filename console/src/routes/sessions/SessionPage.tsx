/** The live session view: status, interrupt, usage, the timeline over SSE, and the composer. */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useOptionalList, useSession } from '../../api/resources.ts';
import { cardFor, type ModelCard } from '../models/model-card-types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { Composer } from './Composer.tsx';
import { Timeline } from './Timeline.tsx';
import { UsagePanel } from './UsagePanel.tsx';
import { ResourcesPanel } from './ResourcesPanel.tsx';
import { sendInterrupt } from './send-events.ts';
import { buildView } from './timeline.ts';
import { useSessionStream } from './use-session-stream.ts';
import type { Session, SessionStatus } from '../../api/types.ts';
import type { Connection } from '../../lib/event-stream.ts';

const CONNECTION_LABEL = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', closed: 'Disconnected' } as const;

export function SessionPage() {
  const { sessionId = '' } = useParams();
  const session = useSession(sessionId);
  const live = useSessionStream(sessionId);
  const cards = useOptionalList<ModelCard>('/v1/model_cards').data?.data ?? [];
  const view = useMemo(() => buildView(live.events), [live.events]);
  const [error, setError] = useState<unknown>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const status = view.status ?? session.data?.status;
  const busy = status === 'running' || status === 'rescheduling';

  // Follow the newest entry, as a chat does.
  const count = view.items.length + live.previews.length + live.previews.reduce((n, p) => n + p.text.length, 0);
  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: 'end' });
  }, [count]);

  async function interrupt() {
    setError(null);
    try {
      await sendInterrupt(sessionId);
    } catch (err) {
      setError(err);
    }
  }

  if (session.error) return <ErrorNote error={session.error} />;
  const s = session.data;
  return (
    <section className="page session-page">
      <SessionHeader sessionId={sessionId} session={s} status={status} connection={live.connection} onInterrupt={busy ? () => void interrupt() : undefined} />
      {live.detail && live.connection === 'closed' ? <p className="error-note" role="alert">{live.detail}</p> : null}
      <ErrorNote error={error} />
      <UsagePanel requests={view.requests} card={cardFor(cards, session.data?.agent?.model?.id)} listCost={session.data?.usage.list_cost} />
      <ResourcesPanel sessionId={sessionId} resources={s?.resources ?? []} turnCount={live.events.filter((e) => e.type === 'session.status_idle').length} />
      {view.items.length === 0 && live.previews.length === 0 && live.connection === 'live' ? (
        <EmptyState title="Nothing here yet">
          <p>Send the agent a message below, for example “Run uname -a”. Its replies, tool calls and results appear here as they happen.</p>
        </EmptyState>
      ) : null}
      <Timeline sessionId={sessionId} items={view.items} previews={live.previews} />
      <div ref={bottom} />
      <Composer sessionId={sessionId} disabled={status === 'terminated'} />
    </section>
  );
}

interface HeaderProps {
  sessionId: string;
  session: Session | undefined;
  status: SessionStatus | undefined;
  connection: Connection;
  /** Set while a turn runs. */
  onInterrupt?: () => void;
}

function SessionHeader({ sessionId, session: s, status, connection, onInterrupt }: HeaderProps) {
  const agentName = s?.agent?.name ?? 'agent';
  return (
    <div className="page-head">
      <div>
        <p className="crumbs">
          <Link to="/sessions">Sessions</Link> /
        </p>
        <h1>{s?.title || `Session with ${agentName}`}</h1>
        <p className="muted mono">
          {sessionId}
          {s?.agent?.id ? (
            <>
              {' · '}
              <Link to={`/agents/${s.agent.id}`}>{agentName}</Link> v{s.agent.version}
            </>
          ) : null}
        </p>
      </div>
      <div className="actions">
        {status ? <StatusBadge status={status} /> : null}
        <span className={`conn conn-${connection}`} role="status">
          {CONNECTION_LABEL[connection]}
        </span>
        {onInterrupt ? (
          <button type="button" className="danger-outline" onClick={onInterrupt}>
            Interrupt
          </button>
        ) : null}
      </div>
    </div>
  );
}
