import type { SessionStatus } from '../../api/types.ts';

/** A session status as a coloured badge with the status in words. */
export function StatusBadge({ status }: { status: SessionStatus }) {
  return <span className={`badge status status-${status}`}>{status}</span>;
}
