/** An agent's versions, and a line diff of the configuration between any two of them. */
import { useState } from 'react';
import { useAgentVersions } from '../../api/resources.ts';
import type { Agent } from '../../api/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { diffLines } from '../../lib/diff.ts';
import { formatDate } from '../../lib/format.ts';

/** What a version configures: everything but ids and timestamps. */
function configText(a: Agent): string {
  const { name, description, model, system, tools, mcp_servers, metadata } = a;
  return JSON.stringify({ name, description, model, system, tools, mcp_servers, metadata }, null, 2);
}

export function VersionsPanel({ agent }: { agent: Agent }) {
  const versions = useAgentVersions(agent.id);
  const list = [...(versions.data?.data ?? [])].sort((x, y) => y.version - x.version);
  const [from, setFrom] = useState<number | undefined>();
  const [to, setTo] = useState<number | undefined>();
  const toV = to ?? agent.version;
  const fromV = from ?? Math.max(1, toV - 1);
  const a = list.find((v) => v.version === fromV);
  const b = list.find((v) => v.version === toV);
  const options = list.map((v) => (
    <option key={v.version} value={v.version}>
      v{v.version} · {formatDate(v.updated_at)}
    </option>
  ));
  return (
    <section className="panel" aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      <ErrorNote error={versions.error} />
      {list.length < 2 ? (
        <p className="hint">Only version {agent.version} so far. Edit the agent to make a new version; you can then compare them here.</p>
      ) : (
        <>
          <div className="grid-2">
            <Field label="Compare version">
              {(id) => (
                <select id={id} value={fromV} onChange={(e) => setFrom(Number(e.target.value))}>
                  {options}
                </select>
              )}
            </Field>
            <Field label="With version">
              {(id) => (
                <select id={id} value={toV} onChange={(e) => setTo(Number(e.target.value))}>
                  {options}
                </select>
              )}
            </Field>
          </div>
          {a && b ? (
            <pre className="diff" aria-label={`Changes from version ${fromV} to version ${toV}`}>
              {diffLines(configText(a), configText(b)).map((l, i) => (
                <div key={i} className={`diff-${l.kind}`}>
                  <span aria-hidden="true">{l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '- ' : '  '}</span>
                  {l.kind === 'added' ? <ins>{l.text}</ins> : l.kind === 'removed' ? <del>{l.text}</del> : l.text}
                </div>
              ))}
            </pre>
          ) : null}
        </>
      )}
    </section>
  );
}
