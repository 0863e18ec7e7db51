/**
 * Splits a credential's `auth` into its public configuration (stored as JSON and returned on the
 * wire) and its secret fields (sealed together in `vault_credentials.secret`), for create and for
 * update. Pure: no storage, no sealing. Error messages name fields, never their values.
 */
import { InvalidRequestError } from '../errors.ts';
import { parseIso, toIso } from '../lib/time.ts';
import type { CredentialAuth, CredentialAuthCreate, CredentialAuthUpdate } from '../api/schemas/vaults.ts';

/** The secret fields of a credential; which ones are set depends on its auth type. */
export interface CredentialSecret {
  token?: string;
  access_token?: string;
  refresh_token?: string;
  client_secret?: string;
  secret_value?: string;
}

export interface SplitAuth {
  auth: CredentialAuth;
  secret: CredentialSecret;
}

function futureIso(value: string | null | undefined, now: number): string | null | undefined {
  if (value === undefined || value === null) return value;
  const ms = parseIso(value)!;
  if (ms <= now) throw new InvalidRequestError('body.auth.expires_at: must be in the future');
  return toIso(ms);
}

function injection(location: { header?: boolean; body?: boolean } | undefined, stored?: { header: boolean; body: boolean }): { header: boolean; body: boolean } {
  const result = { header: location?.header ?? stored?.header ?? true, body: location?.body ?? stored?.body ?? false };
  if (!result.header && !result.body) throw new InvalidRequestError('body.auth.injection_location: at least one of header and body must be true');
  return result;
}

/** Public configuration and secret fields of a new credential. */
export function splitCreateAuth(input: CredentialAuthCreate, now: number): SplitAuth {
  switch (input.type) {
    case 'static_bearer':
      return { auth: { type: 'static_bearer', mcp_server_url: input.mcp_server_url }, secret: { token: input.token } };
    case 'mcp_oauth': {
      const refresh = input.refresh ?? null;
      const secret: CredentialSecret = { access_token: input.access_token };
      if (refresh) secret.refresh_token = refresh.refresh_token;
      if (refresh && refresh.token_endpoint_auth.type !== 'none') secret.client_secret = refresh.token_endpoint_auth.client_secret;
      return {
        auth: {
          type: 'mcp_oauth',
          mcp_server_url: input.mcp_server_url,
          expires_at: futureIso(input.expires_at, now) ?? null,
          refresh: refresh && {
            client_id: refresh.client_id,
            token_endpoint: refresh.token_endpoint,
            token_endpoint_auth: { type: refresh.token_endpoint_auth.type },
            resource: refresh.resource ?? null,
            scope: refresh.scope ?? null,
          },
        },
        secret,
      };
    }
    case 'environment_variable':
      return {
        auth: { type: 'environment_variable', secret_name: input.secret_name, networking: input.networking, injection_location: injection(input.injection_location) },
        secret: { secret_value: input.secret_value },
      };
    default: {
      const never: never = input;
      throw new InvalidRequestError(`body.auth.type: unknown type ${JSON.stringify((never as { type: unknown }).type)}`);
    }
  }
}

/** The stored configuration and secret after an update; the auth type must match the stored one. */
export function applyAuthUpdate(stored: SplitAuth, input: CredentialAuthUpdate, now: number): SplitAuth {
  if (input.type !== stored.auth.type) {
    throw new InvalidRequestError(`body.auth.type: this credential is ${stored.auth.type} and its type cannot change (got ${input.type}); create a new credential instead`);
  }
  const auth: CredentialAuth = structuredClone(stored.auth);
  const secret: CredentialSecret = { ...stored.secret };
  switch (input.type) {
    case 'static_bearer':
      if (input.token) secret.token = input.token;
      break;
    case 'mcp_oauth':
      if (input.access_token) secret.access_token = input.access_token;
      if (input.expires_at !== undefined) auth.expires_at = futureIso(input.expires_at, now) ?? null;
      if (input.refresh) applyRefreshUpdate(auth, secret, input.refresh);
      break;
    case 'environment_variable':
      if (input.secret_value) secret.secret_value = input.secret_value;
      if (input.networking) auth.networking = input.networking;
      if (input.injection_location) auth.injection_location = injection(input.injection_location, auth.injection_location);
      break;
    default: {
      const never: never = input;
      throw new InvalidRequestError(`body.auth.type: unknown type ${JSON.stringify((never as { type: unknown }).type)}`);
    }
  }
  return { auth, secret };
}

type RefreshUpdate = NonNullable<Extract<CredentialAuthUpdate, { type: 'mcp_oauth' }>['refresh']>;

function applyRefreshUpdate(auth: CredentialAuth, secret: CredentialSecret, input: RefreshUpdate): void {
  const refresh = auth.refresh;
  if (!refresh) throw new InvalidRequestError('body.auth.refresh: this credential was created without refresh configuration; create a new credential with auth.refresh to add one');
  if (input.refresh_token) secret.refresh_token = input.refresh_token;
  if (input.scope !== undefined && input.scope !== null) refresh.scope = input.scope === '' ? null : input.scope;
  if (input.token_endpoint_auth) {
    if (refresh.token_endpoint_auth.type === 'none') {
      throw new InvalidRequestError('body.auth.refresh.token_endpoint_auth: this credential uses token_endpoint_auth none, so it has no client secret to replace');
    }
    // The stored type is kept even when the other secret type is sent (SDK documentation).
    if (input.token_endpoint_auth.client_secret) secret.client_secret = input.token_endpoint_auth.client_secret;
  }
}

/** The destination a credential's token is injected for: its URL (static_bearer, mcp_oauth). */
export function credentialUrl(auth: CredentialAuth): string | undefined {
  return auth.type === 'environment_variable' ? undefined : auth.mcp_server_url;
}
