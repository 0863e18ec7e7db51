/** Display helpers: dates, token counts, short ids. */

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatTokens(n: number | undefined): string {
  return (n ?? 0).toLocaleString('en-US');
}

export function shortId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 10)}…${id.slice(-4)}` : id;
}

/** A wire cost in cents (`{amount: "12"}`) as dollars, or a dash. */
export function formatCents(cost: { amount: string } | undefined): string {
  return cost ? `$${(Number(cost.amount) / 100).toFixed(2)}` : '—';
}
