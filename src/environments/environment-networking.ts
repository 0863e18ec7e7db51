/** The networking a session's sandbox gets, from its snapshot of the environment's config (or the stored environment). */
import type { SandboxNetworking } from '../sandbox/sandbox.ts';
import type { EnvironmentTable } from '../store/schema.ts';
import { parseJson } from '../store/json.ts';

/**
 * Maps a stored environment config to the sandbox's networking. A `cloud` config carries its
 * resolved `networking`; `self_hosted` has no networking policy (the reference says it does not
 * apply), so it is unrestricted. A missing environment, or a config this server does not recognise,
 * gets no network at all (fail closed).
 */
export function sandboxNetworkingFor(environment: Pick<EnvironmentTable, 'config'> | undefined): SandboxNetworking | undefined {
  if (!environment) return undefined;
  const config = parseJson<{ type?: unknown; networking?: unknown } | null>(environment.config, 'environments.config');
  if (config?.type === 'self_hosted') return { type: 'unrestricted' };
  if (config?.type !== 'cloud') return undefined;
  const networking = config.networking as { type?: unknown; allowed_hosts?: unknown; allow_package_managers?: unknown; allow_mcp_servers?: unknown } | null | undefined;
  if (networking?.type === 'unrestricted') return { type: 'unrestricted' };
  if (networking?.type !== 'limited') return undefined;
  return {
    type: 'limited',
    allowed_hosts: Array.isArray(networking.allowed_hosts) ? networking.allowed_hosts.filter((host): host is string => typeof host === 'string') : [],
    allow_package_managers: networking.allow_package_managers === true,
    allow_mcp_servers: networking.allow_mcp_servers === true,
  };
}
