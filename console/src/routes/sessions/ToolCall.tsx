/** A built-in or MCP tool call: what it runs, its input and result, and Allow / Deny while it waits for you. */
import { useState } from 'react';
import type { SessionEvent } from '../../api/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { sendConfirmation } from './send-events.ts';
import { textOf, type TimelineItem } from './timeline.ts';

/** One line saying what the call does: the command for bash, the path for file tools. */
function summary(use: SessionEvent): string {
  const input = (use.input ?? {}) as Record<string, unknown>;
  const first = input.command ?? input.path ?? input.file_path ?? input.pattern ?? input.url ?? input.query;
  return typeof first === 'string' ? first : JSON.stringify(input);
}

export function ResultText({ result }: { result: SessionEvent }) {
  const text = textOf(result.content);
  const long = text.split('\n').length > 14 || text.length > 1500;
  const [open, setOpen] = useState(!long);
  return (
    <div className={`tool-result${result.is_error ? ' is-error' : ''}`}>
      <div className="tool-result-head">
        <span>{result.is_error ? 'Error' : 'Result'}</span>
        {long ? (
          <button type="button" className="subtle small" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? 'Show less' : 'Show all'}
          </button>
        ) : null}
      </div>
      <pre className={open ? '' : 'clipped'}>{text || '(no output)'}</pre>
    </div>
  );
}

export function ToolCall({ sessionId, item }: { sessionId: string; item: Extract<TimelineItem, { kind: 'tool' }> }) {
  const { use, result, confirmation, needsConfirmation } = item;
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [denyMessage, setDenyMessage] = useState('');
  const name = String(use.name ?? 'tool');
  const label = use.type === 'agent.mcp_tool_use' ? `MCP tool call ${name} (${String(use.mcp_server_name ?? '')})` : `Tool call ${name}`;
  async function answer(choice: 'allow' | 'deny') {
    setBusy(true);
    setError(null);
    try {
      await sendConfirmation(sessionId, use.id, choice, denyMessage.trim() || undefined);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  const state = result ? (result.is_error ? 'failed' : 'done') : needsConfirmation ? 'waiting for you' : confirmation?.result === 'deny' ? 'denied' : 'running';
  return (
    <article className={`tool-call state-${state.replace(/ /g, '-')}`} aria-label={label}>
      <header>
        <span className="tool-name mono">{name}</span>
        {use.type === 'agent.mcp_tool_use' ? <span className="badge" title="Tool of this MCP server">MCP: {String(use.mcp_server_name ?? '')}</span> : null}
        <code className="tool-summary">{summary(use)}</code>
        <span className="badge">{state}</span>
      </header>
      <details>
        <summary>Input</summary>
        <pre>{JSON.stringify(use.input ?? {}, null, 2)}</pre>
      </details>
      {needsConfirmation ? (
        <div className="confirm-tool">
          <p>The agent wants to run this tool. Allow it?</p>
          <Field label="Reason for denying (optional)">{(id) => <input id={id} value={denyMessage} onChange={(e) => setDenyMessage(e.target.value)} />}</Field>
          <div className="actions">
            <button type="button" className="primary" disabled={busy} onClick={() => void answer('allow')}>
              Allow
            </button>
            <button type="button" className="danger-outline" disabled={busy} onClick={() => void answer('deny')}>
              Deny
            </button>
          </div>
          <ErrorNote error={error} />
        </div>
      ) : null}
      {result ? <ResultText result={result} /> : null}
    </article>
  );
}
