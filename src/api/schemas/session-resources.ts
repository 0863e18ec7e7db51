/** Session resource wire schemas (reference §2.6): params at session create, and resource objects. */
import { z } from '@hono/zod-openapi';

export const MAX_MEMORY_STORES_PER_SESSION = 8;

export const memoryStoreResourceParamSchema = z.strictObject({
  type: z.literal('memory_store'),
  memory_store_id: z.string().min(1),
  access: z.enum(['read_write', 'read_only']).nullable().optional(),
  instructions: z.string().max(4096).nullable().optional(),
});

export const MAX_FILES_PER_SESSION = 999;

/** An absolute path inside the sandbox, without `.`/`..` segments. */
export const mountPathSchema = z
  .string()
  .min(2)
  .max(1024)
  .refine((p) => p.startsWith('/') && !p.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..'), { message: 'must be an absolute path without empty, "." or ".." segments' });

export const fileResourceParamSchema = z.strictObject({
  type: z.literal('file'),
  file_id: z.string().min(1),
  mount_path: mountPathSchema.nullable().optional(),
});

/** A branch name git accepts (git check-ref-format, roughly) that cannot be read as an option. */
const branchNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !n.startsWith('-') && !n.startsWith('/') && !n.endsWith('/') && !n.endsWith('.') && !n.endsWith('.lock') && !n.includes('..') && !n.includes('//') && !n.includes('@{') && !/[\x00-\x20\x7f~^:?*[\\]/.test(n), {
    message: 'must be a git branch name (no spaces, control characters, "..", "~", "^", ":", "?", "*", "[", "\\", not starting with "-")',
  });

export const repositoryCheckoutSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('branch'), name: branchNameSchema }),
  z.strictObject({ type: z.literal('commit'), sha: z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/i, 'must be a full commit SHA (40 or 64 hex digits)') }),
]);

export const githubRepositoryResourceParamSchema = z.strictObject({
  type: z.literal('github_repository'),
  url: z.string().min(1).max(2048),
  /** Sealed at rest, used only by the server's clone; never echoed. */
  authorization_token: z.string().min(1).max(8192).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it is sent as an HTTP header)').optional(),
  checkout: repositoryCheckoutSchema.nullable().optional(),
  mount_path: mountPathSchema.nullable().optional(),
});

export const sessionResourceParamSchema = z.discriminatedUnion('type', [
  memoryStoreResourceParamSchema,
  fileResourceParamSchema,
  githubRepositoryResourceParamSchema,
]);

export const fileResourceSchema = z
  .object({ id: z.string(), type: z.literal('file'), file_id: z.string(), mount_path: z.string(), created_at: z.string(), updated_at: z.string() })
  .openapi('FileResource');

export const githubRepositoryResourceSchema = z
  .object({
    id: z.string(),
    type: z.literal('github_repository'),
    url: z.string(),
    mount_path: z.string(),
    checkout: repositoryCheckoutSchema.nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('GitHubRepositoryResource');

export const memoryStoreResourceSchema = z
  .object({
    /** Ours: the SDK type has no id; `resources.retrieve` also accepts the memory_store_id. */
    id: z.string(),
    type: z.literal('memory_store'),
    memory_store_id: z.string(),
    access: z.enum(['read_write', 'read_only']),
    instructions: z.string().nullable(),
    name: z.string(),
    description: z.string(),
    mount_path: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('MemoryStoreResource');

export const resourceAddSchema = z.looseObject({ type: z.string() }).openapi('SessionResourceAdd');
export const resourceUpdateSchema = z
  .strictObject({ authorization_token: z.string().min(1).max(8192).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it is sent as an HTTP header)') })
  .openapi('SessionResourceUpdate');

export const sessionResourceSchema = z.discriminatedUnion('type', [fileResourceSchema, githubRepositoryResourceSchema, memoryStoreResourceSchema]).openapi('SessionResource');

export type SessionResourceParam = z.infer<typeof sessionResourceParamSchema>;
export type FileResourceParam = z.infer<typeof fileResourceParamSchema>;
export type FileResource = z.infer<typeof fileResourceSchema>;
export type SessionResource = z.infer<typeof sessionResourceSchema>;
export type MemoryStoreResourceParam = z.infer<typeof memoryStoreResourceParamSchema>;
export type MemoryStoreResource = z.infer<typeof memoryStoreResourceSchema>;
export type GithubRepositoryResourceParam = z.infer<typeof githubRepositoryResourceParamSchema>;
export type GithubRepositoryResource = z.infer<typeof githubRepositoryResourceSchema>;
export type RepositoryCheckout = z.infer<typeof repositoryCheckoutSchema>;
