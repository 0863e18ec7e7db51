/** Who is calling: every service call is made on behalf of one tenant. */
export interface Principal {
  tenantId: string;
  userId?: string;
  apiKeyId?: string;
  /** For an API key: the user who minted it (its role is theirs); unset for keys made on the server's CLI. */
  keyCreatedBy?: string;
  role?: 'owner' | 'member';
}

export const DEFAULT_TENANT_ID = 'default';
