/**
 * Files in the sandbox, end to end with the scripted model on every backend × provider: a `file`
 * resource is mounted read-only at its mount_path (read through bash and through `read`, writes
 * refused), a file added while idle shows up in the next turn, and what the agent leaves in
 * /mnt/session/outputs becomes a File scoped to the session when the turn ends (downloaded
 * byte-identical through the SDK; listed by scope_id; collected once, also across a restart;
 * a changed output becomes a new File; one over FILES_MAX_BYTES is skipped).
 */
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { backendProviderPairs, startSandboxTestServer } from '../support/sandbox-providers.ts';
import { startFakeModel, reply, text, toolUse, expecting, type FakeModel, type RecordedRequest } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';

const MODEL = 'claude-sonnet-4-6';
const MAX_BYTES = 4096;
const CSV = 'region,amount\nnorth,12\nsouth,30\n';
/** Every byte value once, then some: an output that only survives byte-exact handling. */
const BINARY = Buffer.from([...Array(256).keys(), 0, 0, 255, 10, 13]);
const printfOf = (data: Buffer) => [...data].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');

function lastToolResult(r: RecordedRequest): string {
  return JSON.stringify(r.body.messages.at(-1));
}
const expectResult = (needle: string) => (r: RecordedRequest) => (lastToolResult(r).includes(needle) ? undefined : `the tool result lacks ${JSON.stringify(needle)}: ${lastToolResult(r)}`);
const toolResults = (events: WireEvent[]) => events.filter((e) => e.type === 'agent.tool_result').map((e) => ({ is_error: Boolean(e.is_error), text: JSON.stringify(e.content) }));

describe.each(backendProviderPairs(BACKENDS))('files in the sandbox ($backend, $provider)', ({ backend, provider }) => {
  let fake: FakeModel;
  let t: TestServer;
  let client: Anthropic;
  let restarted: TestServer | undefined;
  const env = () => ({ ANTHROPIC_BASE_URL: fake.url, FILES_MAX_BYTES: String(MAX_BYTES), SANDBOX_PROVIDER: provider });
  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startSandboxTestServer(backend, provider, { env: env() });
    client = t.client;
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await restarted?.stopServer();
    await t?.stop();
    await fake?.close();
  });

  /** The tenant's default environment (the server makes one when none is given). */
  const create = (params: Record<string, unknown>) => client.beta.sessions.create(params as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
  const agent = async () => (await client.beta.agents.create({ name: 'files', model: MODEL, tools: [{ type: 'agent_toolset_20260401' }] })).id;
  const run = async (sessionId: string, count: number) => {
    await client.beta.sessions.events.send(sessionId, { events: [userMessage('go')] });
    return waitForIdle(client, sessionId, count, 60_000);
  };
  const sessionFiles = async (sessionId: string) => {
    const out: Anthropic.Beta.BetaFileMetadata[] = [];
    for await (const f of client.beta.files.list({ scope_id: sessionId })) out.push(f);
    return out;
  };
  const download = async (fileId: string) => Buffer.from(await (await client.beta.files.download(fileId)).arrayBuffer());

  it('mounts a file resource read-only at its mount_path: bash and read see it, writes are refused; a file added while idle appears next turn', async () => {
    const csv = await client.beta.files.upload({ file: await toFile(Buffer.from(CSV), 'sales.csv') });
    const later = await client.beta.files.upload({ file: await toFile(Buffer.from('added later\n'), 'later.txt') });
    const session = await create({ agent: await agent(), resources: [{ type: 'file', file_id: csv.id }] });
    const upload = `/mnt/session/uploads/${csv.id}`;
    const bashRead = provider === 'bwrap' ? `cat ${upload}` : `cat "$OMA_SESSION_DIR/uploads/${csv.id}"`;
    // bash under subprocess is not confined (docs/sandbox.md), so only bwrap can refuse its write.
    const bashWrite = provider === 'bwrap' ? `echo tampered > ${upload}` : `wc -c < "$OMA_SESSION_DIR/uploads/${csv.id}"`;
    fake.script([
      reply(toolUse('bash', { command: bashRead })),
      expecting(reply(toolUse('read', { file_path: upload })), expectResult('south,30')),
      expecting(reply(toolUse('write', { file_path: upload, content: 'tampered' })), expectResult('south,30')),
      reply(toolUse('bash', { command: bashWrite })),
      reply(text('read it')),
    ]);
    const events = await run(session.id, 1);
    const results = toolResults(events);
    expect(results.map((r) => r.is_error)).toEqual([false, false, true, false]);
    expect(results[0]!.text).toContain('south,30');
    expect(results[2]!.text).toMatch(/read-only|Read-only/);
    expect(results[3]!.text).toMatch(provider === 'bwrap' ? /Read-only file system/ : new RegExp(`${CSV.length}`));
    expect(await download(csv.id)).toEqual(Buffer.from(CSV));

    await client.beta.sessions.resources.add(session.id, { type: 'file', file_id: later.id, mount_path: '/data/later.txt' });
    fake.script([
      reply(toolUse('read', { file_path: '/data/later.txt' })),
      expecting(reply(text('seen')), expectResult('added later')),
    ]);
    expect(toolResults(await run(session.id, 2)).slice(-1).map((r) => r.is_error)).toEqual([false]);
  });

  it('turns the outputs left at turn end into Files of the session, byte-identical, once each, also across a restart', async () => {
    const session = await create({ agent: await agent() });
    const other = await create({ agent: await agent() });
    fake.script([
      reply(toolUse('bash', { command: `mkdir -p "$OMA_SESSION_DIR/outputs/charts" && printf '${printfOf(BINARY)}' > "$OMA_SESSION_DIR/outputs/charts/data.bin" && head -c ${MAX_BYTES + 1} /dev/zero > "$OMA_SESSION_DIR/outputs/too-big.bin" && ln -s /etc/passwd "$OMA_SESSION_DIR/outputs/link"` })),
      reply(toolUse('write', { file_path: '/mnt/session/outputs/report.md', content: '# Report\n\nnorth 12, south 30\n' })),
      reply(text('done')),
    ]);
    const events = await run(session.id, 1);
    expect(toolResults(events).map((r) => r.is_error)).toEqual([false, false]);
    const files = await sessionFiles(session.id);
    expect(files.map((f) => f.filename).sort()).toEqual(['data.bin', 'report.md']);
    for (const f of files) expect(f.scope).toEqual({ type: 'session', id: session.id });
    const byName = Object.fromEntries(files.map((f) => [f.filename, f]));
    expect(await download(byName['data.bin']!.id)).toEqual(BINARY);
    expect((await download(byName['report.md']!.id)).toString()).toBe('# Report\n\nnorth 12, south 30\n');
    expect(byName['report.md']!.mime_type).toMatch(/markdown|text/);
    expect(await sessionFiles(other.id)).toEqual([]);

    // Unchanged outputs are not collected again; a changed one is a new File; a deleted File stays deleted.
    await client.beta.files.delete(byName['data.bin']!.id);
    fake.script([reply(toolUse('bash', { command: 'echo "updated" >> "$OMA_SESSION_DIR/outputs/report.md"' })), reply(text('updated'))]);
    await run(session.id, 2);
    const second = await sessionFiles(session.id);
    expect(second.map((f) => f.filename).sort()).toEqual(['report.md', 'report.md']);
    const newest = second.find((f) => f.id !== byName['report.md']!.id)!;
    expect((await download(newest.id)).toString()).toBe('# Report\n\nnorth 12, south 30\nupdated\n');

    // A restarted server (same database and directories) collects nothing twice.
    await t.stopServer();
    restarted = await startTestServer(backend, { db: t.db, env: env() });
    client = restarted.client;
    fake.script([reply(text('nothing new'))]);
    await run(session.id, 3);
    expect((await sessionFiles(session.id)).map((f) => f.id).sort()).toEqual(second.map((f) => f.id).sort());
  });
});
