/** TanStack Query hooks for the API's resources: one query key per list, invalidated by mutations. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, del, get, post } from './client.ts';
import type { Agent, ApiKey, Environment, Member, Page, Session } from './types.ts';

export const keys = {
  agents: ['agents'] as const,
  agent: (id: string) => ['agents', id] as const,
  agentVersions: (id: string) => ['agents', id, 'versions'] as const,
  sessions: ['sessions'] as const,
  session: (id: string) => ['sessions', id] as const,
  environments: ['environments'] as const,
  apiKeys: ['api-keys'] as const,
  members: ['members'] as const,
};

export function useAgents(includeArchived = false) {
  return useQuery({ queryKey: [...keys.agents, { includeArchived }], queryFn: () => get<Page<Agent>>(`/v1/agents?limit=100&include_archived=${includeArchived}`) });
}

export function useAgent(id: string) {
  return useQuery({ queryKey: keys.agent(id), queryFn: () => get<Agent>(`/v1/agents/${encodeURIComponent(id)}`) });
}

export function useAgentVersions(id: string) {
  return useQuery({ queryKey: keys.agentVersions(id), queryFn: () => get<Page<Agent>>(`/v1/agents/${encodeURIComponent(id)}/versions?limit=100`) });
}

export function useSessions(agentId?: string) {
  const q = agentId ? `&agent_id=${encodeURIComponent(agentId)}` : '';
  return useQuery({ queryKey: [...keys.sessions, { agentId }], queryFn: () => get<Page<Session>>(`/v1/sessions?limit=100${q}`), refetchInterval: 5000 });
}

export function useSession(id: string) {
  return useQuery({ queryKey: keys.session(id), queryFn: () => get<Session>(`/v1/sessions/${encodeURIComponent(id)}`) });
}

export function useEnvironments() {
  return useQuery({ queryKey: keys.environments, queryFn: () => get<Page<Environment>>('/v1/environments?limit=100') });
}

export function useApiKeys() {
  return useQuery({ queryKey: keys.apiKeys, queryFn: () => get<Page<ApiKey>>('/v1/api_keys') });
}

export function useMembers() {
  return useQuery({ queryKey: keys.members, queryFn: () => get<Page<Member>>('/v1/tenant/members') });
}

/** A mutation that invalidates the given query keys when it succeeds. */
export function useApiMutation<TArgs, TResult>(fn: (args: TArgs) => Promise<TResult>, invalidate: readonly (readonly unknown[])[]) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: async () => {
      await Promise.all(invalidate.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
    },
  });
}

/** The server's OpenAPI document: which routes this server has. */
function useOpenApiPaths() {
  return useQuery({ queryKey: ['openapi'], queryFn: async () => Object.keys((await get<{ paths: Record<string, unknown> }>('/openapi.json')).paths), staleTime: Infinity });
}

/**
 * A list endpoint that may not exist on this server yet: `null` data when /openapi.json does not
 * list it (no failing request) or when it answers 404.
 */
export function useOptionalList<T>(path: string) {
  const paths = useOpenApiPaths().data;
  return useQuery({
    queryKey: ['optional', path],
    enabled: paths !== undefined,
    queryFn: async () => {
      if (!paths?.includes(path)) return null;
      try {
        return await get<Page<T>>(path);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    retry: false,
  });
}

export const createSession = (body: Record<string, unknown>) => post<Session>('/v1/sessions', body);
export { del, get, post };
