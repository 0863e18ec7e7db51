/** Who is calling: every service call is made on behalf of one tenant. */
export interface Principal {
  tenantId: string;
  userId?: string;
  apiKeyId?: string;
  role?: 'owner' | 'member';
}

export const DEFAULT_TENANT_ID = 'default';
