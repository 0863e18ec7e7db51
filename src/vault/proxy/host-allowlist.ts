/**
 * The environment's networking, applied by the proxy: a `limited` session may reach exactly the
 * host names in its environment's `allowed_hosts` (compared case-insensitively, without a trailing
 * dot; no wildcards, no ports). `unrestricted` allows every host. A session whose environment config
 * this server does not recognise (or that is gone) reaches nothing (fail closed, as in the sandbox).
 * The private-address rule (EgressPolicy) still applies on top of this.
 */
import { sandboxNetworkingFor } from '../../environments/environment-networking.ts';

function normalise(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

/** Why `host` is refused for a session with this environment config, or undefined when it is allowed. */
export function hostRefusal(environmentConfig: string | null, host: string): string | undefined {
  const networking = sandboxNetworkingFor(environmentConfig === null ? undefined : { config: environmentConfig });
  if (networking?.type === 'unrestricted') return undefined;
  if (!networking) return `${host} refused: this session's environment allows no network access`;
  const wanted = normalise(host);
  if (networking.allowed_hosts.some((allowed) => normalise(allowed) === wanted)) return undefined;
  const list = networking.allowed_hosts.length > 0 ? networking.allowed_hosts.join(', ') : 'none';
  return `${host} is not in this session's environment allowlist (networking "limited", allowed_hosts: ${list})`;
}
