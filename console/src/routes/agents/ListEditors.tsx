/** The agent form's repeatable parts: custom tools and MCP servers. */
import type { AgentDraft } from './agent-draft.ts';
import { Field } from '../../components/Field.tsx';

interface Props {
  draft: AgentDraft;
  patch: (p: Partial<AgentDraft>) => void;
  emptySchema: string;
}

export function ListEditors({ draft, patch, emptySchema }: Props) {
  const setCustom = (i: number, p: Partial<AgentDraft['customTools'][number]>) =>
    patch({ customTools: draft.customTools.map((c, j) => (j === i ? { ...c, ...p } : c)) });
  const setServer = (i: number, p: Partial<AgentDraft['mcpServers'][number]>) =>
    patch({ mcpServers: draft.mcpServers.map((s, j) => (j === i ? { ...s, ...p } : s)) });
  return (
    <>
      <fieldset className="panel">
        <legend>Custom tools</legend>
        <p className="hint">Tools your own code runs: the session pauses until you send the result (from a script, or from the session page).</p>
        {draft.customTools.map((c, i) => (
          <div key={i} className="list-item stack">
            <div className="grid-2">
              <Field label={`Custom tool ${i + 1} name`}>{(id) => <input id={id} required pattern="[A-Za-z0-9_\-]+" value={c.name} onChange={(e) => setCustom(i, { name: e.target.value })} />}</Field>
              <Field label={`Custom tool ${i + 1} description`}>{(id) => <input id={id} required value={c.description} onChange={(e) => setCustom(i, { description: e.target.value })} />}</Field>
            </div>
            <Field label={`Custom tool ${i + 1} input schema`}>
              {(id) => <textarea id={id} className="code" rows={5} spellCheck={false} value={c.schema} onChange={(e) => setCustom(i, { schema: e.target.value })} />}
            </Field>
            <button type="button" className="subtle" onClick={() => patch({ customTools: draft.customTools.filter((_, j) => j !== i) })}>
              Remove custom tool {i + 1}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => patch({ customTools: [...draft.customTools, { name: '', description: '', schema: emptySchema }] })}>
          Add custom tool
        </button>
      </fieldset>
      <fieldset className="panel">
        <legend>MCP servers</legend>
        <p className="hint">Remote MCP servers by URL; their tools are offered to the agent.</p>
        {draft.mcpServers.map((s, i) => (
          <div key={i} className="list-item grid-2">
            <Field label={`MCP server ${i + 1} name`}>{(id) => <input id={id} required value={s.name} onChange={(e) => setServer(i, { name: e.target.value })} />}</Field>
            <Field label={`MCP server ${i + 1} URL`}>{(id) => <input id={id} type="url" required value={s.url} onChange={(e) => setServer(i, { url: e.target.value })} />}</Field>
            <button type="button" className="subtle" onClick={() => patch({ mcpServers: draft.mcpServers.filter((_, j) => j !== i) })}>
              Remove MCP server {i + 1}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => patch({ mcpServers: [...draft.mcpServers, { type: 'url', name: '', url: '' }] })}>
          Add MCP server
        </button>
      </fieldset>
    </>
  );
}
