/** Model cards: which provider, endpoint and key serve which model ids, and their prices. */
import { useState, type FormEvent } from 'react';
import { del, post } from '../../api/client.ts';
import { useApiMutation, useOptionalList } from '../../api/resources.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { NotAvailable } from '../../components/NotAvailable.tsx';
import type { ModelCard } from './model-card-types.ts';

const LIST = ['optional', '/v1/model_cards'] as const;

export function ModelsPage() {
  const cards = useOptionalList<ModelCard>('/v1/model_cards');
  const remove = useApiMutation((id: string) => del(`/v1/model_cards/${id}`), [LIST]);
  return (
    <section className="page">
      <h1>Models</h1>
      <p className="lede">A model card tells the server how to reach a model: the provider, its URL, the API key, and optionally prices so the Console can show what each request cost.</p>
      <ErrorNote error={cards.error ?? remove.error} />
      {cards.data === null ? <NotAvailable what="model cards" path="/v1/model_cards" /> : null}
      {cards.data && cards.data.data.length === 0 ? (
        <EmptyState title="No model cards">
          <p>Without a card, models are served by the server's ANTHROPIC_API_KEY. Add a card below to use another key, an OpenAI-compatible server (Ollama, vLLM…), or to set prices.</p>
        </EmptyState>
      ) : null}
      {cards.data && cards.data.data.length > 0 ? (
        <DataTable
          rows={cards.data.data}
          rowKey={(c) => c.id}
          columns={[
            {
              header: 'Card',
              cell: (c) => (
                <>
                  {c.name} {c.is_default ? <span className="badge">default</span> : null}
                  <div className="mono muted small">
                    {c.provider} · {c.base_url} · key {c.api_key_hint}
                  </div>
                </>
              ),
            },
            { header: 'Models', className: 'mono', cell: (c) => c.models.join(', ') },
            { header: 'Prices ($ / M tokens)', cell: (c) => (c.prices ? `${c.prices.input_per_mtok} in / ${c.prices.output_per_mtok} out` : '—') },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (c) => (
                <button type="button" className="subtle small" aria-label={`Delete ${c.name}`} onClick={() => remove.mutate(c.id)}>
                  Delete
                </button>
              ),
            },
          ]}
        />
      ) : null}
      {cards.data ? <ModelCardForm /> : null}
    </section>
  );
}

function ModelCardForm() {
  const [f, setF] = useState({ name: '', provider: 'anthropic', base_url: 'https://api.anthropic.com', api_key: '', models: '', input: '', output: '', is_default: false });
  const set = (p: Partial<typeof f>) => setF((x) => ({ ...x, ...p }));
  const create = useApiMutation(
    () =>
      post<ModelCard>('/v1/model_cards', {
        name: f.name.trim(),
        provider: f.provider,
        base_url: f.base_url.trim(),
        api_key: f.api_key,
        models: f.models.split(/[\s,]+/).filter(Boolean),
        is_default: f.is_default,
        prices: f.input !== '' && f.output !== '' ? { input_per_mtok: Number(f.input), output_per_mtok: Number(f.output) } : null,
      }),
    [LIST],
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate(undefined, { onSuccess: () => set({ name: '', api_key: '', models: '', input: '', output: '' }) });
  }
  return (
    <form className="panel stack" onSubmit={submit}>
      <h2>New model card</h2>
      <div className="grid-2">
        <Field label="Name">{(id) => <input id={id} required value={f.name} onChange={(e) => set({ name: e.target.value })} />}</Field>
        <Field label="Provider">
          {(id) => (
            <select id={id} value={f.provider} onChange={(e) => set({ provider: e.target.value, base_url: e.target.value === 'openai' ? 'https://api.openai.com/v1' : 'https://api.anthropic.com' })}>
              <option value="anthropic">Anthropic (Messages API)</option>
              <option value="openai">OpenAI-compatible (Chat Completions)</option>
            </select>
          )}
        </Field>
        <Field label="Base URL">{(id) => <input id={id} type="url" required value={f.base_url} onChange={(e) => set({ base_url: e.target.value })} />}</Field>
        <Field label="API key" hint="Stored sealed; only a hint is shown afterwards.">
          {(id) => <input id={id} type="password" autoComplete="off" required value={f.api_key} onChange={(e) => set({ api_key: e.target.value })} />}
        </Field>
      </div>
      <Field label="Model ids" hint="Separated by spaces or commas, e.g. claude-sonnet-4-6">{(id) => <input id={id} required value={f.models} onChange={(e) => set({ models: e.target.value })} />}</Field>
      <div className="grid-2">
        <Field label="Input price ($ per million tokens)">{(id) => <input id={id} type="number" min="0" step="any" value={f.input} onChange={(e) => set({ input: e.target.value })} />}</Field>
        <Field label="Output price ($ per million tokens)">{(id) => <input id={id} type="number" min="0" step="any" value={f.output} onChange={(e) => set({ output: e.target.value })} />}</Field>
      </div>
      <label className="check">
        <input type="checkbox" checked={f.is_default} onChange={(e) => set({ is_default: e.target.checked })} /> Default card (serves model ids no card lists)
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create model card
        </button>
      </div>
      <ErrorNote error={create.error} />
    </form>
  );
}
