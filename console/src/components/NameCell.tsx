import { Link } from 'react-router';

/** A list row's first cell: the name (a link when the item has a page) above its id. */
export function NameCell({ name, id, to }: { name: string; id: string; to?: string }) {
  return (
    <>
      {to ? <Link to={to}>{name}</Link> : name}
      <div className="mono muted small">{id}</div>
    </>
  );
}
