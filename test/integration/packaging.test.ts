/**
 * The Docker packaging of the seed's quickstart, checked statically (no Docker engine runs here),
 * and what the compose files start, run directly (the image's command, which is `npm start`) in the same configuration:
 * .env.example filled in as the quickstart says, plus each compose file's environment, on SQLite
 * and on Postgres, on the compiled server (dist/, built here as `npm start` builds it): /health answers
 * with the expected backend, an API key minted by the built `oma` CLI creates and lists an environment, and
 * SIGTERM (docker stop) exits 0.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/schema.ts';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { freePort } from '../support/child-process.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildServer } from '../../scripts/server-build.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const KNOWN = new Set(Object.keys(envSchema.shape));

interface Service {
  image?: string;
  build?: string;
  container_name?: string;
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  healthcheck?: unknown;
  command?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}
const compose = (file: string) => parse(read(file)) as Compose;
const COMPOSE_FILES = { sqlite: 'docker-compose.yml', postgres: 'docker-compose.postgres.yml' } as const;

/** Variables named in .env.example, set or commented out (`# NAME=`). */
function exampleVariables(): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of read('.env.example').split('\n')) {
    const m = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) vars.set(m[1]!, line.startsWith('#') ? '(commented)' : m[2]!.trim());
  }
  return vars;
}

/** `${NAME:-default}` substitution as compose does it with an empty shell environment and no .env values for NAME. */
const substitute = (value: string) => value.replace(/\$\{([A-Z_]+)(?::-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '');

describe('Docker packaging (static)', () => {
  it('.env.example names only variables the server or the compose files read, and the two secrets to set first', () => {
    const vars = exampleVariables();
    const composeVars = new Set([...read(COMPOSE_FILES.sqlite).matchAll(/\$\{([A-Z_]+)/g), ...read(COMPOSE_FILES.postgres).matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!));
    for (const name of vars.keys()) expect(KNOWN.has(name) || composeVars.has(name), `${name} in .env.example is read by nothing`).toBe(true);
    for (const name of KNOWN) expect(vars.has(name), `${name} is missing from .env.example`).toBe(true);
    expect(vars.get('BETTER_AUTH_SECRET')).toBe('');
    expect(vars.get('PLATFORM_ROOT_SECRET')).toBe('');
    // The README documents every variable too.
    const readme = read('README.md');
    for (const name of KNOWN) expect(readme.includes(`\`${name}\``), `${name} is not in the README`).toBe(true);
  });

  it.each(Object.entries(COMPOSE_FILES))('%s: %s runs oma-server from this image with .env, ./data and port 8787', (backend, file) => {
    const c = compose(file);
    const server = c.services['oma-server']!;
    expect(server).toBeDefined();
    expect(server.build).toBe('.');
    expect(server.image).toBe('openma/main-node:dev');
    expect(server.container_name).toBe('oma-server');
    expect([server.env_file].flat()).toEqual(['.env']);
    expect(server.ports).toEqual(['8787:8787']);
    expect(server.volumes).toContain(`./data:${server.environment!.DATA_DIR}`);
    for (const name of Object.keys(server.environment ?? {})) expect(KNOWN.has(name), `${file}: ${name} is not a server variable`).toBe(true);
    // docker stop must wait longer than the server's own shutdown bound.
    expect(Number.parseInt(server.stop_grace_period!, 10) * 1000).toBeGreaterThan(envSchema.shape.SHUTDOWN_TIMEOUT_MS.parse(undefined));
    const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(server.environment ?? {}).map(([k, v]) => [k, substitute(v)])));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    if (backend === 'postgres') {
      const pg = c.services['oma-postgres']!;
      expect(pg.image).toMatch(/^postgres:16/);
      expect(pg.container_name).toBe('oma-postgres');
      expect(pg.ports).toBeUndefined(); // only oma-server reaches it
      expect(pg.volumes).toEqual(['oma-pgdata:/var/lib/postgresql/data']);
      expect(Object.keys(c.volumes ?? {})).toEqual(['oma-pgdata']);
      expect(pg.healthcheck).toBeDefined();
      expect(server.depends_on).toEqual({ 'oma-postgres': { condition: 'service_healthy' } });
      expect(new URL(substitute(server.environment!.DATABASE_URL!)).hostname).toBe('oma-postgres');
    } else {
      expect(Object.keys(c.services)).toEqual(['oma-server', 'oma-vault']);
      expect(server.environment!.DATABASE_URL).toBeUndefined();
    }
    // oma-vault: the same image, .env, ./data and database as oma-server, started after it (it checks the database identity).
    const vault = c.services['oma-vault']!;
    expect(vault.image).toBe(server.image);
    expect([vault.env_file].flat()).toEqual(['.env']);
    expect(vault.volumes).toEqual(server.volumes);
    expect(vault.environment!.DATA_DIR).toBe(server.environment!.DATA_DIR);
    expect(vault.environment!.DATABASE_URL).toBe(server.environment!.DATABASE_URL);
    expect(vault.depends_on).toEqual({ 'oma-server': { condition: 'service_healthy' } });
    expect(vault.ports).toBeUndefined();
    for (const name of Object.keys(vault.environment ?? {})) expect(KNOWN.has(name), `${file}: ${name} is not a vault variable`).toBe(true);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(vault.command!.join(' ')).toBe(pkg.scripts.vault);
    const proxyUrl = new URL(server.environment!.VAULT_PROXY_URL!);
    expect([proxyUrl.hostname, proxyUrl.port]).toEqual(['oma-vault', vault.environment!.VAULT_PROXY_PORT]);
  });

  it('the Dockerfile copies files that exist, runs `npm start`, on Node >= 20, with the sandbox packages .ci/run installs', () => {
    const dockerfile = read('Dockerfile');
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of m[1]!.split(/\s+/)) expect(existsSync(join(ROOT, source)), `COPY ${source}`).toBe(true);
    }
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    expect(cmd.join(' ')).toBe(pkg.scripts.start);
    // Plain node on the compiled server, which a build stage makes and the final stage copies in.
    expect(cmd).toEqual(['node', 'dist/main.js']);
    expect(dockerfile).toMatch(/^RUN npx tsc -p tsconfig\.build\.json$/m);
    expect(dockerfile).toMatch(/^COPY --from=server \/app\/dist \.\/dist$/m);
    for (const m of dockerfile.matchAll(/^FROM node:(\d+)/gm)) expect(Number(m[1])).toBeGreaterThanOrEqual(20);
    expect(/^EXPOSE (\d+)$/m.exec(dockerfile)![1]).toBe(String(envSchema.shape.PORT.parse(undefined)));
    const ciPackages = /apt-get install -y ([a-z0-9 -]+)/.exec(read('.ci/run'))![1]!.split(' ').filter((p) => p && !p.startsWith('-'));
    for (const p of ciPackages) expect(dockerfile).toMatch(new RegExp(`\\b${p}\\b`));
    // Secrets and local data never go into the build context.
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['data', '.env', 'node_modules', 'dist']) expect(ignored).toContain(entry);
  });
});

// The build `npm start` runs first (skipped when dist/ matches the sources).
beforeAll(() => {
  buildServer();
}, 300_000);

describe.each(BACKENDS)('the compose configuration run without Docker (%s)', (backend) => {
  let db: TestDatabase | undefined;
  let stop: (() => void) | undefined;
  afterEach(async () => {
    stop?.();
    await db?.drop();
  });

  it('boots the built server from .env.example (secrets filled in) plus the compose environment, reports its backend, serves a CLI-minted API key, and exits 0 on SIGTERM', async () => {
    db = await createTestDatabase(backend);
    const server = compose(COMPOSE_FILES[backend]).services['oma-server']!;
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    for (const [name, value] of exampleVariables()) if (value !== '(commented)') env[name] = value;
    env.BETTER_AUTH_SECRET = randomBytes(32).toString('hex');
    env.PLATFORM_ROOT_SECRET = randomBytes(32).toString('base64');
    for (const [name, value] of Object.entries(server.environment ?? {})) env[name] = substitute(value);
    // The container's paths and hosts, mapped onto this machine: /data → a fresh directory, the
    // bundled postgres → the test database.
    env.DATA_DIR = db.dataDir;
    if (backend === 'postgres') env.DATABASE_URL = (db.database as { url: string }).url;
    env.PORT = String(await freePort());
    env.HOST = '127.0.0.1';
    env.LOG_LEVEL = 'warn';

    // The image's CMD, which the static test above checks is the `npm start` script.
    const [file, ...args] = JSON.parse(/^CMD (\[.*\])$/m.exec(read('Dockerfile'))![1]!) as string[];
    const child = spawn(file!, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    stop = () => child.kill('SIGKILL');

    const health = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${env.PORT}/health`).catch(() => undefined);
      return res?.ok ? ((await res.json()) as { status: string; backends: { db: string } }) : undefined;
    }, { timeoutMs: 30_000, message: `the server did not answer /health:\n${output}` });
    expect(health.status).toBe('ok');
    expect(health.backends.db.startsWith(backend)).toBe(true);
    // No secret was generated: the ones from .env were used.
    expect(existsSync(join(db.dataDir, '.platform-root-secret'))).toBe(false);
    expect(output).not.toContain(env.PLATFORM_ROOT_SECRET);

    // One API call with a key from the built CLI (`npm run oma`'s command) on the same data.
    const oma = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.oma!.split(' ');
    const minted = execFileSync(oma[0]!, [...oma.slice(1), 'api-keys', 'create', '--tenant', 'default', '--name', 'packaging'], { cwd: ROOT, env: { ...env, LOG_LEVEL: 'silent' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const headers = { 'x-api-key': (JSON.parse(minted) as { key: string }).key, 'content-type': 'application/json' };
    const created = await fetch(`http://127.0.0.1:${env.PORT}/v1/environments`, { method: 'POST', headers, body: JSON.stringify({ name: 'packaged' }) });
    expect(created.status, await created.clone().text()).toBe(200);
    const environment = (await created.json()) as { id: string };
    const listed = (await (await fetch(`http://127.0.0.1:${env.PORT}/v1/environments`, { headers })).json()) as { data: { id: string }[] };
    expect(listed.data.map((a) => a.id)).toEqual([environment.id]);

    // oma-vault with its compose environment on the same data starts (the server identified the database).
    const vaultService = compose(COMPOSE_FILES[backend]).services['oma-vault']!;
    const vaultEnv: Record<string, string> = { ...env };
    for (const [name, value] of Object.entries(vaultService.environment ?? {})) vaultEnv[name] = substitute(value);
    vaultEnv.DATA_DIR = db.dataDir;
    if (backend === 'postgres') vaultEnv.DATABASE_URL = (db.database as { url: string }).url;
    vaultEnv.VAULT_PROXY_HOST = '127.0.0.1';
    vaultEnv.LOG_LEVEL = 'info';
    vaultEnv.VAULT_PROXY_PORT = String(await freePort());
    const [vaultFile, ...vaultArgs] = vaultService.command!;
    const sidecar = spawn(vaultFile!, vaultArgs, { cwd: ROOT, env: vaultEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let vaultOutput = '';
    sidecar.stdout.on('data', (d: Buffer) => (vaultOutput += d.toString()));
    sidecar.stderr.on('data', (d: Buffer) => (vaultOutput += d.toString()));
    const vaultExited = new Promise<number | null>((resolve) => sidecar.once('exit', (code) => resolve(code)));
    const stopServer = stop;
    stop = () => {
      stopServer();
      sidecar.kill('SIGKILL');
    };
    await waitFor(() => vaultOutput.includes('oma-vault listening') || undefined, { timeoutMs: 30_000, message: `oma-vault did not start:\n${vaultOutput}` });
    sidecar.kill('SIGTERM');
    expect(await vaultExited, vaultOutput).toBe(0);

    // docker stop: tini forwards SIGTERM to the server.
    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  }, 60_000);
});
