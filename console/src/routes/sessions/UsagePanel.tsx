/** Tokens per model request and in total. */
import { formatCents, formatTokens } from '../../lib/format.ts';
import { costOf, type ModelCard } from '../models/model-card-types.ts';
import type { ModelRequest } from './timeline.ts';

const dollars = (n: number | undefined) => (n === undefined ? '—' : `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`);

function totals(requests: ModelRequest[]) {
  return requests.reduce(
    (t, r) => ({
      input: t.input + (r.usage.input_tokens ?? 0),
      output: t.output + (r.usage.output_tokens ?? 0),
      cacheRead: t.cacheRead + (r.usage.cache_read_input_tokens ?? 0),
      cacheWrite: t.cacheWrite + (r.usage.cache_creation_input_tokens ?? 0),
    }),
    { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  );
}

/**
 * `card`: the model card serving the session's model, whose prices give each request's cost;
 * `listCost`: the server's total for the session (built-in list prices), shown when no card prices it.
 */
export function UsagePanel({ requests, card, listCost }: { requests: ModelRequest[]; card?: ModelCard; listCost?: { amount: string } }) {
  const priced = Boolean(card?.prices);
  const total = totals(requests);
  return (
    <details className="usage panel">
      <summary>
        Usage: {formatTokens(total.input)} in · {formatTokens(total.output)} out · {requests.length} model request{requests.length === 1 ? '' : 's'}
        {priced ? ` · ${dollars(costOf(card, { input_tokens: total.input, output_tokens: total.output }))}` : listCost ? ` · list cost ${formatCents(listCost)}` : ''}
      </summary>
      {requests.length === 0 ? (
        <p className="hint">No model requests yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Tokens per model request</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Input</th>
                <th scope="col">Output</th>
                <th scope="col">Cache read</th>
                <th scope="col">Cache write</th>
                {priced ? <th scope="col">Cost</th> : null}
              </tr>
            </thead>
            <tbody>
              {requests.map((r, i) => (
                <tr key={r.id} className={r.isError ? 'is-error' : undefined}>
                  <td>{i + 1}{r.isError ? ' (failed)' : ''}</td>
                  <td>{formatTokens(r.usage.input_tokens)}</td>
                  <td>{formatTokens(r.usage.output_tokens)}</td>
                  <td>{formatTokens(r.usage.cache_read_input_tokens)}</td>
                  <td>{formatTokens(r.usage.cache_creation_input_tokens)}</td>
                  {priced ? <td>{dollars(costOf(card, r.usage))}</td> : null}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td>{formatTokens(total.input)}</td>
                <td>{formatTokens(total.output)}</td>
                <td>{formatTokens(total.cacheRead)}</td>
                <td>{formatTokens(total.cacheWrite)}</td>
                {priced ? <td>{dollars(costOf(card, { input_tokens: total.input, output_tokens: total.output }))}</td> : null}
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </details>
  );
}
