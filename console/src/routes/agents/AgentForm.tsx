/**
 * Create or edit an agent: a form for the common fields and a raw JSON view of the exact body
 * sent, which also edits what the form does not cover. The parent decides what "save" does.
 */
import { useState, type FormEvent } from 'react';
import type { AgentTool, PermissionPolicy } from '../../api/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { BUILTIN_TOOLS, EMPTY_SCHEMA, bodyFromDraft, draftFromAgent, type AgentDraft, type ToolChoice } from './agent-draft.ts';
import { ListEditors } from './ListEditors.tsx';

const MODELS = ['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-haiku-4-5'];
const POLICY_LABELS: Record<PermissionPolicy, string> = { always_allow: 'Always allow', always_ask: 'Always ask', auto: 'Auto' };

interface Props {
  initial: AgentDraft;
  /** Tools of the agent being edited that the form does not show (MCP toolsets). */
  keepTools?: AgentTool[];
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
}

export function AgentForm({ initial, keepTools, submitLabel, onSubmit }: Props) {
  const [draft, setDraft] = useState(initial);
  const [view, setView] = useState<'form' | 'json'>('form');
  const [json, setJson] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const patch = (p: Partial<AgentDraft>) => setDraft((d) => ({ ...d, ...p }));

  function showJson() {
    try {
      setJson(JSON.stringify(bodyFromDraft(draft, keepTools), null, 2));
      setView('json');
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  function showForm() {
    try {
      const body = JSON.parse(json) as Parameters<typeof draftFromAgent>[0];
      setDraft(draftFromAgent({ ...body, tools: body.tools ?? [], mcp_servers: body.mcp_servers ?? [], model: body.model ?? '' }));
      setView('form');
      setError(null);
    } catch {
      setError(new Error('the JSON is not valid; fix it or keep editing it here'));
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await onSubmit(view === 'json' ? (JSON.parse(json) as Record<string, unknown>) : bodyFromDraft(draft, keepTools));
    } catch (err) {
      setError(err instanceof SyntaxError ? new Error(`the JSON is not valid: ${err.message}`) : err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="stack agent-form">
      <EditorSwitch view={view} onForm={showForm} onJson={showJson} />
      {view === 'json' ? (
        <Field label="Agent JSON" hint="The exact body sent to the API.">
          {(id) => <textarea id={id} className="code" rows={24} spellCheck={false} value={json} onChange={(e) => setJson(e.target.value)} />}
        </Field>
      ) : (
        <FormFields draft={draft} patch={patch} />
      )}
      <ErrorNote error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

function EditorSwitch({ view, onForm, onJson }: { view: 'form' | 'json'; onForm: () => void; onJson: () => void }) {
  return (
    <div className="segmented" role="group" aria-label="Editor">
      <button type="button" aria-pressed={view === 'form'} onClick={() => (view === 'json' ? onForm() : undefined)}>
        Form
      </button>
      <button type="button" aria-pressed={view === 'json'} onClick={() => (view === 'form' ? onJson() : undefined)}>
        JSON
      </button>
    </div>
  );
}

function FormFields({ draft, patch }: { draft: AgentDraft; patch: (p: Partial<AgentDraft>) => void }) {
  return (
    <>
      <div className="grid-2">
        <Field label="Name">{(id) => <input id={id} required value={draft.name} onChange={(e) => patch({ name: e.target.value })} />}</Field>
        <Field label="Model">
          {(id) => (
            <>
              <input id={id} required list={`${id}-models`} value={draft.model} onChange={(e) => patch({ model: e.target.value })} />
              <datalist id={`${id}-models`}>
                {MODELS.map((m) => (
                  <option key={m} value={m} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      </div>
      <Field label="Description">{(id) => <input id={id} value={draft.description} onChange={(e) => patch({ description: e.target.value })} />}</Field>
      <Field label="System prompt">
        {(id) => <textarea id={id} rows={6} value={draft.system} placeholder="You are a careful engineer…" onChange={(e) => patch({ system: e.target.value })} />}
      </Field>
      <ToolsetFields draft={draft} patch={patch} />
      <ListEditors draft={draft} patch={patch} emptySchema={EMPTY_SCHEMA} />
    </>
  );
}

function ToolsetFields({ draft, patch }: { draft: AgentDraft; patch: (p: Partial<AgentDraft>) => void }) {
  const setTool = (name: string, choice: ToolChoice) => patch({ tools: { ...draft.tools, [name]: choice } });
  return (
    <fieldset className="panel">
      <legend>Built-in tools</legend>
      <label className="check">
        <input type="checkbox" checked={draft.toolset} onChange={(e) => patch({ toolset: e.target.checked })} /> Agent toolset (bash, files, search, web)
      </label>
      {draft.toolset ? (
        <>
          <Field label="Default permission">
            {(id) => (
              <select id={id} value={draft.defaultPolicy} onChange={(e) => patch({ defaultPolicy: e.target.value as PermissionPolicy })}>
                {Object.entries(POLICY_LABELS).map(([v, l]) => (
                  <option key={v} value={v}>
                    {l}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <div className="tool-grid">
            {BUILTIN_TOOLS.map((t) => (
              <Field key={t} label={`Permission for ${t}`}>
                {(id) => (
                  <select id={id} value={draft.tools[t]} onChange={(e) => setTool(t, e.target.value as ToolChoice)}>
                    <option value="default">Default</option>
                    {Object.entries(POLICY_LABELS).map(([v, l]) => (
                      <option key={v} value={v}>
                        {l}
                      </option>
                    ))}
                    <option value="disabled">Disabled</option>
                  </select>
                )}
              </Field>
            ))}
          </div>
        </>
      ) : null}
    </fieldset>
  );
}
