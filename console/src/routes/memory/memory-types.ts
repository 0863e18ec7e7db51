/** The memory store, memory and memory version wire shapes the Console reads. */
export interface MemoryStore {
  id: string;
  name: string;
  description: string;
  created_at: string;
  archived_at: string | null;
}

export interface Memory {
  type: 'memory';
  id: string;
  path: string;
  content: string | null;
  content_size_bytes: number;
  updated_at: string;
}

export interface MemoryPrefix {
  type: 'memory_prefix';
  path: string;
}

export interface MemoryVersion {
  id: string;
  operation: 'created' | 'modified' | 'deleted';
  path: string | null;
  content: string | null;
  content_size_bytes: number | null;
  created_at: string;
  created_by: { type: string; session_id?: string; api_key_id?: string; user_id?: string } | null;
  redacted_at: string | null;
}
