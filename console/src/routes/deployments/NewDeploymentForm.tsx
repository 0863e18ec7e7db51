/** The create form: name, agent, environment, the first message of each run, and an optional cron schedule. */
import { useState, type FormEvent } from 'react';
import { post } from '../../api/client.ts';
import { useAgents, useApiMutation, useEnvironments } from '../../api/resources.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { deploymentsKey, type Deployment } from './deployment-types.ts';

const browserTimezone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function NewDeploymentForm() {
  const agents = useAgents();
  const envs = useEnvironments();
  const [name, setName] = useState('');
  const [agentId, setAgentId] = useState('');
  const [envId, setEnvId] = useState('');
  const [message, setMessage] = useState('');
  const [expression, setExpression] = useState('');
  const [timezone, setTimezone] = useState(browserTimezone);
  const agentList = (agents.data?.data ?? []).filter((a) => !a.archived_at);
  const envList = (envs.data?.data ?? []).filter((e) => !e.archived_at);
  const create = useApiMutation(
    () =>
      post<Deployment>('/v1/deployments', {
        name: name.trim(),
        agent: agentId || agentList[0]?.id,
        environment_id: envId || envList[0]?.id,
        initial_events: [{ type: 'user.message', content: [{ type: 'text', text: message }] }],
        schedule: expression.trim() ? { type: 'cron', expression: expression.trim(), timezone: timezone.trim() } : null,
      }),
    [deploymentsKey],
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate(undefined, { onSuccess: () => { setName(''); setMessage(''); setExpression(''); } });
  }
  return (
    <form className="panel stack" onSubmit={submit}>
      <h2>New deployment</h2>
      <div className="grid-2">
        <Field label="Name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <Field label="Agent">
          {(id) => (
            <select id={id} required value={agentId || agentList[0]?.id || ''} onChange={(e) => setAgentId(e.target.value)}>
              {agentList.length === 0 ? <option value="">Create an agent first</option> : null}
              {agentList.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
            </select>
          )}
        </Field>
        <Field label="Environment">
          {(id) => (
            <select id={id} required value={envId || envList[0]?.id || ''} onChange={(e) => setEnvId(e.target.value)}>
              {envList.length === 0 ? <option value="">Create an environment first</option> : null}
              {envList.map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
            </select>
          )}
        </Field>
      </div>
      <Field label="First message" hint="Sent to each run's session as it starts.">
        {(id) => <textarea id={id} required rows={3} value={message} onChange={(e) => setMessage(e.target.value)} />}
      </Field>
      <div className="grid-2">
        <Field label="Schedule" hint="Optional. 5-field cron: minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5 (weekdays at 9:00). Empty: runs only when you press Run now.">
          {(id) => <input id={id} className="mono" value={expression} placeholder="0 9 * * 1-5" onChange={(e) => setExpression(e.target.value)} />}
        </Field>
        <Field label="Timezone" hint="IANA name, e.g. UTC or Europe/Berlin.">{(id) => <input id={id} value={timezone} onChange={(e) => setTimezone(e.target.value)} />}</Field>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create deployment
        </button>
      </div>
      <ErrorNote error={create.error} />
    </form>
  );
}
