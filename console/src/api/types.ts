/**
 * The slice of the server's wire types the Console reads (snake_case, as on the wire; see
 * /openapi.json). Only what the pages use is typed; the rest stays `unknown`.
 */

export interface Page<T> {
  data: T[];
  next_page?: string | null;
  prev_page?: string | null;
}

export type PermissionPolicy = 'always_allow' | 'always_ask' | 'auto';

export interface ToolConfig {
  name: string;
  enabled?: boolean | null;
  permission_policy?: { type: PermissionPolicy } | null;
}

export interface AgentToolset {
  type: 'agent_toolset_20260401';
  default_config?: { enabled?: boolean | null; permission_policy?: { type: PermissionPolicy } | null } | null;
  configs?: ToolConfig[] | null;
}

export interface CustomTool {
  type: 'custom';
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

export interface McpToolset {
  type: 'mcp_toolset';
  mcp_server_name: string;
}

export type AgentTool = AgentToolset | CustomTool | McpToolset;

export interface McpServer {
  type: 'url';
  name: string;
  url: string;
}

export interface Agent {
  id: string;
  type: 'agent';
  name: string;
  description: string | null;
  system: string | null;
  model: { id: string; speed: string };
  tools: AgentTool[];
  mcp_servers: McpServer[];
  metadata: Record<string, string>;
  version: number;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export type SessionStatus = 'rescheduling' | 'running' | 'idle' | 'terminated';

export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  /** The session's list cost so far (cents, rounded up), when its model has a price. */
  list_cost?: { amount: string; currency: string };
}

export interface Session {
  id: string;
  type: 'session';
  status: SessionStatus;
  title: string | null;
  agent: { id?: string; name?: string; version?: number; model?: { id: string } } | null;
  environment_id: string;
  /** Files, repositories and memory stores attached to the session (never a token). */
  resources?: SessionResource[];
  usage: Usage;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export type SessionResource =
  | { id: string; type: 'file'; file_id: string; mount_path: string }
  | { id: string; type: 'github_repository'; url: string; mount_path: string; checkout?: { type: 'branch'; name: string } | { type: 'commit'; sha: string } | null }
  | { id?: string; type: 'memory_store'; memory_store_id: string; name?: string | null; mount_path?: string | null; access?: string | null };

export interface Environment {
  id: string;
  type: 'environment';
  name: string;
  description: string | null;
  config: { type?: string; networking?: { type: string; allowed_hosts?: string[] | null } | null };
  created_at: string;
  archived_at: string | null;
}

export interface ApiKey {
  id: string;
  type: 'api_key';
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

export interface Member {
  user_id: string;
  email: string | null;
  name: string | null;
  role: 'owner' | 'member';
  created_at: string;
}

export interface Me {
  user: { id: string; email: string; name: string } | null;
  tenant: { id: string; name: string; role: 'owner' | 'member' | null };
  tenants: { id: string; name: string; role: 'owner' | 'member' | null }[];
  via: 'api_key' | 'session' | 'auth_disabled';
}

export interface AuthInfo {
  auth_disabled: boolean;
  methods: { email_password: boolean; email_otp_verification: boolean; google: boolean };
  sign_up: boolean;
}

/** A content block of a message or tool result. */
export interface ContentBlock {
  type: string;
  text?: string;
}

/** One persisted session event as the stream and the list deliver it. */
export interface SessionEvent {
  id: string;
  type: string;
  processed_at: string | null;
  [field: string]: unknown;
}
