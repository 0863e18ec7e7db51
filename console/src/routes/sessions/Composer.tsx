/** The message box: Enter sends, Shift+Enter starts a new line. */
import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { sendMessage } from './send-events.ts';

export function Composer({ sessionId, disabled }: { sessionId: string; disabled: boolean }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (!text.trim() || busy) return;
    setBusy(true);
    setError(null);
    try {
      await sendMessage(sessionId, text);
      setText('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  }
  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="composer-message" className="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-message"
        rows={2}
        placeholder={disabled ? 'This session has ended.' : 'Message the agent… (Enter to send, Shift+Enter for a new line)'}
        value={text}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="primary" disabled={disabled || busy || !text.trim()}>
        Send
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
