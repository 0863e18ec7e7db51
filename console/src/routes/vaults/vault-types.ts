/** The vault and credential wire shapes the Console reads (responses never carry a secret). */
export interface Vault {
  id: string;
  display_name: string;
  created_at: string;
  archived_at: string | null;
}

export type CredentialType = 'static_bearer' | 'mcp_oauth' | 'environment_variable';

export interface Credential {
  id: string;
  vault_id: string;
  display_name: string | null;
  auth: { type: CredentialType; mcp_server_url?: string; secret_name?: string; networking?: { type: string; allowed_hosts?: string[] }; expires_at?: string | null };
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}
