/**
 * The boxrun driver against the loopback `boxlite serve` fake: the requests it sends (names that
 * carry the tags, the network policy, no field the server would refuse), file transfer through
 * tar, listing by deployment, and the provider's errors as RemoteProviderError. The fake itself is
 * checked against @boxlite-ai/boxlite's own REST client, so the wire format is the SDK's, not ours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyCredential, BoxliteRestOptions, JsBoxlite } from '@boxlite-ai/boxlite';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { checkBoxliteSandbox } from '../../src/ops/doctor-boxlite.ts';
import { BoxrunDriver } from '../../src/sandbox/boxlite/boxrun-driver.ts';
import { RemoteProviderError, type RemoteCreateSpec, type RemoteMachine } from '../../src/sandbox/remote/driver.ts';
import { startFakeBoxrun, type FakeBoxrun } from '../support/fake-boxrun/server.ts';

const API_KEY = 'boxrun-test-key-5c1e';

function spec(session: string, network: RemoteCreateSpec['network'] = { mode: 'none' }, deployment = 'dep_boxrun1'): RemoteCreateSpec {
  return { tags: { deployment, instance: 'inst-a', tenant: 'tenant_01ABC', session }, network, idleTimeoutS: 600 };
}

async function run(machine: RemoteMachine, command: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const { exitCode } = await machine.run(command, { timeoutMs: 20_000, onStdout: (chunk) => (stdout += chunk), onStderr: (chunk) => (stderr += chunk) });
  return { exitCode, stdout, stderr };
}

describe('boxrun driver (loopback boxlite serve)', () => {
  let fake: FakeBoxrun;
  let driver: BoxrunDriver;

  beforeAll(async () => {
    fake = await startFakeBoxrun({ apiKey: API_KEY });
    driver = new BoxrunDriver({ url: fake.url, apiKey: API_KEY });
  });

  afterAll(async () => {
    await fake?.close();
  });

  it('creates a box named after its tags with the session network, runs commands in the workdir and streams both outputs', async () => {
    expect(await driver.check()).toEqual([]);
    const machine = await driver.create(spec('sesn_create', { mode: 'proxy-only', proxy: { host: '10.0.2.2', port: 8788 } }));
    const body = fake.createBodies.at(-1)!;
    expect(body).toMatchObject({
      name: 'oma.dep_boxrun1.sesn_create.tenant_01ABC',
      image: 'debian:bookworm-slim',
      network: { outbound: { mode: 'enabled', allow_net: ['10.0.2.2'] }, inbound: { mode: 'disabled' } },
      detach: true,
      auto_remove: false,
    });
    expect(fake.boxes.get(machine.sandboxId)?.status).toBe('running');
    const result = await run(machine, 'pwd; echo to-stderr >&2; test -d /mnt/memory && echo memory-root; exit 3');
    expect(result).toEqual({ exitCode: 3, stdout: '/workspace\nmemory-root\n', stderr: 'to-stderr\n' });
  });

  it('asks for no network at all when the session has none', async () => {
    await driver.create(spec('sesn_offline'));
    expect(fake.createBodies.at(-1)!.network).toEqual({ outbound: { mode: 'disabled' }, inbound: { mode: 'disabled' } });
  });

  it('uploads and downloads files through tar, parents created, long names and binary bytes intact', async () => {
    const machine = await driver.create(spec('sesn_files'));
    const deep = `/workspace/${'d'.repeat(60)}/${'n'.repeat(90)}.bin`;
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]);
    await machine.upload(deep, bytes);
    expect(await machine.download(deep)).toEqual(bytes);
    expect((await run(machine, `wc -c < ${deep}`)).stdout.trim()).toBe('8');
    expect(await machine.download('/workspace/missing.txt')).toBeUndefined();
  });

  it('lists only this deployment\'s boxes, with the tags read back from the names, and destroys idempotently', async () => {
    const ours = await driver.create(spec('sesn_listed'));
    const theirs = await driver.create(spec('sesn_other', { mode: 'none' }, 'dep_someoneelse'));
    const listed = await driver.list('dep_boxrun1');
    expect(listed).toContainEqual({ sandboxId: ours.sandboxId, tags: { deployment: 'dep_boxrun1', session: 'sesn_listed', tenant: 'tenant_01ABC' } });
    expect(listed.map((entry) => entry.sandboxId)).not.toContain(theirs.sandboxId);
    await driver.destroy(ours.sandboxId);
    await driver.destroy(ours.sandboxId);
    expect(fake.boxes.has(ours.sandboxId)).toBe(false);
    expect(await driver.connect(ours.sandboxId)).toBeUndefined();
  });

  it('reconnects to a stopped box by starting it again, files kept', async () => {
    const machine = await driver.create(spec('sesn_restart'));
    await machine.upload('/workspace/kept.txt', Buffer.from('still here'));
    const stop = await fetch(`${fake.url}/boxes/${machine.sandboxId}/stop`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } });
    expect(stop.status).toBe(200);
    expect(fake.boxes.get(machine.sandboxId)?.status).toBe('stopped');
    const again = await driver.connect(machine.sandboxId);
    expect(fake.boxes.get(machine.sandboxId)?.status).toBe('running');
    expect((await run(again!, 'cat kept.txt')).stdout).toBe('still here');
  });

  it('takes over the box of a create whose answer was lost (409 on the name)', async () => {
    const first = await driver.create(spec('sesn_twice'));
    const second = await driver.create(spec('sesn_twice'));
    expect(second.sandboxId).toBe(first.sandboxId);
  });

  it('passes the server\'s own error message on, retryable only when the server says so', async () => {
    fake.failNext('POST /boxes', 503, { message: 'runner pool exhausted, try later', type: 'UpstreamUnavailableError', code: 'upstream_unavailable' });
    const busy = await driver.create(spec('sesn_busy')).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(RemoteProviderError);
    expect(busy).toMatchObject({ provider: 'boxrun', retryable: true, status: 503 });
    expect((busy as Error).message).toContain('runner pool exhausted, try later');
    fake.failNext('POST /boxes', 422, { message: 'images error: manifest unknown for nosuch:image', type: 'ImageError', code: 'image_pull_failed' });
    const bad = await driver.create(spec('sesn_badimage')).catch((error: unknown) => error);
    expect(bad).toMatchObject({ retryable: false, status: 422 });
    expect((bad as Error).message).toMatch(/manifest unknown for nosuch:image.*HTTP 422, image_pull_failed/);
  });

  it('refuses at boot with an actionable message when the key is wrong or the server is not there', async () => {
    const wrongKey = new BoxrunDriver({ url: fake.url, apiKey: 'not-the-key' });
    await expect(wrongKey.check()).rejects.toThrow(/invalid or missing API key.*HTTP 401.*BOXRUN_API_KEY/);
    const closed = await startFakeBoxrun();
    const url = closed.url;
    await closed.close();
    const nobody = new BoxrunDriver({ url });
    const error = (await nobody.check().catch((caught: unknown) => caught)) as RemoteProviderError;
    expect(error).toBeInstanceOf(RemoteProviderError);
    expect(error.message).toContain(`cannot reach ${url}`);
    expect(error.message).toContain('boxlite serve');
  });

  it('doctor says whether boxlite serve answers with this key', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'oma-boxrun-doctor-'));
    try {
      const ok = await checkBoxliteSandbox(loadConfig({ DATA_DIR: dataDir, SANDBOX_PROVIDER: 'boxrun', BOXRUN_URL: fake.url, BOXRUN_API_KEY: API_KEY }, { generateSecrets: false }));
      expect(ok).toEqual([{ name: 'boxrun', status: 'ok', detail: `boxlite serve answers at ${fake.url}` }]);
      const bad = await checkBoxliteSandbox(loadConfig({ DATA_DIR: dataDir, SANDBOX_PROVIDER: 'boxrun', BOXRUN_URL: fake.url, BOXRUN_API_KEY: 'nope' }, { generateSecrets: false }));
      expect(bad[0]).toMatchObject({ name: 'boxrun', status: 'fail', detail: expect.stringMatching(/HTTP 401/) });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('speaks the wire format of the SDK\'s own REST client: it lists our boxes and runs commands in them', async () => {
    const machine = await driver.create(spec('sesn_sdk'));
    await machine.upload('/workspace/from-driver.txt', Buffer.from('written by the driver'));
    const origin = new URL(fake.url).origin;
    const runtime = JsBoxlite.rest(new BoxliteRestOptions({ url: origin, credential: new ApiKeyCredential(API_KEY), pathPrefix: 'default' }));
    const infos = await runtime.listInfo();
    expect(infos.find((info) => info.id === machine.sandboxId)?.name).toBe('oma.dep_boxrun1.sesn_sdk.tenant_01ABC');
    const box = await runtime.get(machine.sandboxId);
    const execution = await box!.exec('bash', ['-c', 'cat from-driver.txt; echo sdk-err >&2; exit 5'], null, false, null, 30, '/workspace');
    const [stdout, stderr] = await Promise.all([execution.stdout(), execution.stderr()]);
    const drain = async (stream: { next(): Promise<string | null> }): Promise<string> => {
      let text = '';
      for (let chunk = await stream.next(); chunk !== null; chunk = await stream.next()) text += chunk;
      return text;
    };
    const [out, err, result] = await Promise.all([drain(stdout), drain(stderr), execution.wait()]);
    expect({ out, err, exitCode: result.exitCode }).toEqual({ out: 'written by the driver', err: 'sdk-err\n', exitCode: 5 });
  });
});
