/** Skills wire schemas (reference §2.13; SDK resources/beta/skills/*). */
import { z } from '@hono/zod-openapi';

export const skillSchema = z
  .object({
    id: z.string(),
    type: z.literal('skill'),
    display_name: z.string(),
    latest_version_id: z.string(),
    source: z.object({ type: z.enum(['custom', 'anthropic', 'anthropic_example', 'plugin']) }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Skill');

export const skillVersionSchema = z
  .object({
    /** The version string (also the path segment and an agent's `skills[].version`). */
    id: z.string(),
    type: z.literal('skill_version'),
    skill_id: z.string(),
    version: z.string(),
    name: z.string(),
    description: z.string(),
    created_at: z.string(),
  })
  .openapi('SkillVersion');

export const skillUploadSchema = z
  .object({ 'files[]': z.array(z.string().openapi({ format: 'binary' })), display_name: z.string().max(255).optional() })
  .openapi('SkillUpload');

export const skillListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  page: z.string().min(1).optional(),
  source: z.string().optional(),
});

export const skillPageSchema = z.object({ data: z.array(skillSchema), next_page: z.string().nullable(), has_more: z.boolean() }).openapi('SkillPage');
export const skillVersionPageSchema = z.object({ data: z.array(skillVersionSchema), next_page: z.string().nullable(), has_more: z.boolean() }).openapi('SkillVersionPage');

export type Skill = z.infer<typeof skillSchema>;
export type SkillVersion = z.infer<typeof skillVersionSchema>;
