import { EmptyState } from './EmptyState.tsx';

/** A feature whose API this server does not have (yet). */
export function NotAvailable({ what, path }: { what: string; path: string }) {
  return (
    <EmptyState title="Not available on this server yet">
      <p>
        This server does not offer {what} yet (<code>{path}</code> is not in its API). Update the server to a version that has them.
      </p>
    </EmptyState>
  );
}
