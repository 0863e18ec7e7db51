/** A custom tool call: the session waits until its result is sent, from here or from your code. */
import { useState, type FormEvent } from 'react';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { sendCustomToolResult } from './send-events.ts';
import { textOf, type TimelineItem } from './timeline.ts';
import { ResultText } from './ToolCall.tsx';

export function CustomToolCall({ sessionId, item }: { sessionId: string; item: Extract<TimelineItem, { kind: 'custom-tool' }> }) {
  const { use, answer, result, awaitingAnswer } = item;
  const [text, setText] = useState('');
  const [isError, setIsError] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const name = String(use.name ?? 'custom tool');
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await sendCustomToolResult(sessionId, use.id, text, isError);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <article className={`tool-call custom ${awaitingAnswer ? 'state-waiting-for-you' : 'state-done'}`} aria-label={`Custom tool call ${name}`}>
      <header>
        <span className="tool-name mono">{name}</span>
        <span className="badge">{awaitingAnswer ? 'waiting for your result' : 'answered'}</span>
      </header>
      <details open={awaitingAnswer}>
        <summary>Input</summary>
        <pre>{JSON.stringify(use.input ?? {}, null, 2)}</pre>
      </details>
      {awaitingAnswer ? (
        <form onSubmit={submit} className="stack">
          <Field label={`Result for ${name}`}>{(id) => <textarea id={id} rows={3} required value={text} onChange={(e) => setText(e.target.value)} />}</Field>
          <label className="check">
            <input type="checkbox" checked={isError} onChange={(e) => setIsError(e.target.checked)} /> The tool failed (send as an error)
          </label>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              Send result
            </button>
          </div>
          <ErrorNote error={error} />
        </form>
      ) : null}
      {answer ? (
        <div className={`tool-result${answer.is_error ? ' is-error' : ''}`}>
          <div className="tool-result-head">
            <span>Your result</span>
          </div>
          <pre>{textOf(answer.content) || '(empty)'}</pre>
        </div>
      ) : null}
      {result ? <ResultText result={result} /> : null}
    </article>
  );
}
