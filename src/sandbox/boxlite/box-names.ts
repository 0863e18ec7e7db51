/**
 * BoxLite boxes carry no labels we can set (the REST create schema has no `labels` field and
 * rejects unknown fields; the embedded runtime has none either), but every box has a unique name
 * that list and get return. So the tags live in the name: `oma.<deployment>.<session>.<tenant>`.
 * Box names allow `[A-Za-z0-9._-]` (first character alphanumeric), at most 128 characters; session
 * ids never contain a dot. A deployment id with other characters is replaced by a digest of itself
 * (it still matches, since both sides encode it the same way); a tenant id with other characters,
 * or one that would make the name too long, is left out (the tenant is for people reading the
 * list; the reaper needs only the deployment and the session).
 */
import { createHash } from 'node:crypto';
import type { RemoteSandboxTags } from '../remote/driver.ts';

const MAX_NAME_LENGTH = 128;
const NAME_PREFIX = 'oma';
const SAFE_PART = /^[A-Za-z0-9_-]{1,64}$/;

/** The box name for a session's sandbox. */
export function boxNameFor(tags: RemoteSandboxTags): string {
  const base = `${deploymentPrefix(tags.deployment)}${tags.session}`;
  const withTenant = `${base}.${tags.tenant}`;
  return SAFE_PART.test(tags.tenant) && withTenant.length <= MAX_NAME_LENGTH ? withTenant : base;
}

/** The start every name of this deployment's boxes has. */
export function deploymentPrefix(deployment: string): string {
  return `${NAME_PREFIX}.${encodePart(deployment)}.`;
}

/** The tags a box name carries, or undefined when the box is not one of this deployment's. */
export function tagsFromBoxName(name: string | null | undefined, deployment: string): Partial<RemoteSandboxTags> | undefined {
  const prefix = deploymentPrefix(deployment);
  if (!name?.startsWith(prefix)) return undefined;
  const [session, tenant] = name.slice(prefix.length).split('.');
  if (!session) return undefined;
  return { deployment, session, ...(tenant && SAFE_PART.test(tenant) ? { tenant } : {}) };
}

function encodePart(part: string): string {
  return SAFE_PART.test(part) ? part : `h${createHash('sha256').update(part).digest('hex').slice(0, 24)}`;
}
