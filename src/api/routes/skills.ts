/** /v1/skills and their versions (reference §2.13; older SDKs send beta skills-2025-10-02, which is accepted, never required). */
import type { Context } from 'hono';
import type { App, AppEnv } from '../context.ts';
import { route } from '../route.ts';
import { parseQuery } from '../validation.ts';
import { pageQuerySchema } from '../schemas/common.ts';
import { skillListQuerySchema, skillPageSchema, skillSchema, skillUploadSchema, skillVersionPageSchema, skillVersionSchema } from '../schemas/skills.ts';
import type { SkillService } from '../../skills/skill-service.ts';
import { contentDisposition, requestBodyStream } from './upload-helpers.ts';

export function mountSkillRoutes(app: App, deps: { skills: SkillService }): void {
  const tag = 'Skills';
  const tenant = (c: Context<AppEnv>) => c.get('principal').tenantId;
  const sid = (c: Context<AppEnv>) => c.req.param('skill_id')!;
  const ver = (c: Context<AppEnv>) => c.req.param('version')!;
  const item = '/v1/skills/{skill_id}';
  const version = `${item}/versions/{version}`;
  const upload = { body: skillUploadSchema, bodyType: 'multipart/form-data' };
  route(app, { method: 'post', path: '/v1/skills', summary: 'Create a skill from files[] under one directory with SKILL.md (or one .zip)', tag, ...upload, response: skillSchema }, async (c) => {
    return c.json(await deps.skills.create(tenant(c), requestBodyStream(c)));
  });
  route(app, { method: 'get', path: '/v1/skills', summary: 'List skills, newest first', tag, query: skillListQuerySchema, response: skillPageSchema }, async (c) => {
    const q = parseQuery(c, skillListQuerySchema);
    return c.json(await deps.skills.list(tenant(c), { limit: q.limit ?? 20, page: q.page, source: q.source }));
  });
  route(app, { method: 'get', path: item, summary: 'Retrieve a skill', tag, response: skillSchema }, async (c) => c.json(await deps.skills.get(tenant(c), sid(c))));
  route(app, { method: 'delete', path: item, summary: 'Delete a skill with its versions', tag }, async (c) => c.json(await deps.skills.delete(tenant(c), sid(c))));
  route(app, { method: 'post', path: `${item}/versions`, summary: 'Create a skill version (same SKILL.md name)', tag, ...upload, response: skillVersionSchema }, async (c) => {
    return c.json(await deps.skills.createVersion(tenant(c), sid(c), requestBodyStream(c)));
  });
  route(app, { method: 'get', path: `${item}/versions`, summary: 'List skill versions, newest first', tag, query: pageQuerySchema, response: skillVersionPageSchema }, async (c) => {
    const q = parseQuery(c, pageQuerySchema);
    return c.json(await deps.skills.listVersions(tenant(c), sid(c), { limit: q.limit ?? 20, page: q.page }));
  });
  route(app, { method: 'get', path: version, summary: 'Retrieve a skill version ("latest" accepted)', tag, response: skillVersionSchema }, async (c) => c.json(await deps.skills.getVersion(tenant(c), sid(c), ver(c))));
  route(app, { method: 'delete', path: version, summary: 'Delete a skill version', tag }, async (c) => c.json(await deps.skills.deleteVersion(tenant(c), sid(c), ver(c))));
  route(app, { method: 'get', path: `${version}/content`, summary: 'Download a skill version as a zip', tag, responseType: 'application/zip' }, async (c) => {
    const { filename, data } = await deps.skills.archive(tenant(c), sid(c), ver(c));
    return new Response(new Uint8Array(data), { headers: { 'content-type': 'application/zip', 'content-length': String(data.length), 'content-disposition': contentDisposition(filename) } });
  });
}
