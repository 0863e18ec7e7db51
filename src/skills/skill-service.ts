/**
 * Custom skills: a skill row per tenant, versions with their files (bytes in the files blob store).
 * A version's `name` must match the skill's (the slug is fixed by the first upload); display names
 * are unique per tenant (409 skill_name_taken). Deleting a skill deletes its versions.
 */
import { rm } from 'node:fs/promises';
import { zipSync } from 'fflate';
import { ConflictError, InvalidRequestError, notFound } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import { toIso } from '../lib/time.ts';
import { sha256Hex, type BlobStore } from '../blobs/blob-store.ts';
import { readBlob } from '../blobs/blob-store.ts';
import type { Store } from '../store/store.ts';
import type { SkillTable, SkillVersionTable } from '../store/schema.ts';
import type { Skill, SkillVersion } from '../api/schemas/skills.ts';
import { readMultipart } from '../files/multipart-upload.ts';
import type { UploadRequest } from '../files/file-service.ts';
import { releaseFileBlobs } from '../files/file-blobs.ts';
import { SKILL_MAX_BYTES, SKILL_MAX_FILES, readSkillBundle, type SkillBundle } from './skill-bundle.ts';

export function toSkill(row: SkillTable): Skill {
  return { id: row.id, type: 'skill', display_name: row.display_name, latest_version_id: row.latest_version, source: { type: 'custom' }, created_at: toIso(row.created_at), updated_at: toIso(row.updated_at) };
}

export function toSkillVersion(row: SkillVersionTable): SkillVersion {
  return { id: row.version, type: 'skill_version', skill_id: row.skill_id, version: row.version, name: row.name, description: row.description, created_at: toIso(row.created_at) };
}

export class SkillService {
  constructor(private readonly deps: { store: Store; blobs: BlobStore; uploadDir: string }) {}

  private async readUpload(request: UploadRequest): Promise<{ bundle: SkillBundle; displayName?: string }> {
    if (request.contentLength !== undefined && request.contentLength > SKILL_MAX_BYTES + 1024 * 1024) {
      throw new InvalidRequestError(`the skill upload is ${request.contentLength} bytes; skills are limited to ${SKILL_MAX_BYTES} bytes`);
    }
    const form = await readMultipart(request, this.deps.uploadDir, { maxFileBytes: SKILL_MAX_BYTES, maxTotalBytes: SKILL_MAX_BYTES, maxFiles: SKILL_MAX_FILES, preservePath: true });
    try {
      const stray = form.parts.find((p) => p.field !== 'files[]' && p.field !== 'files');
      if (stray) throw new InvalidRequestError(`${stray.field}: unknown form part; send the skill's files as files[]`);
      const displayName = form.fields.display_name;
      if (displayName !== undefined && (displayName.length === 0 || displayName.length > 255)) throw new InvalidRequestError('display_name: must be 1–255 characters');
      return { bundle: await readSkillBundle(form.parts), displayName };
    } finally {
      await Promise.all(form.parts.map((p) => rm(p.tmpPath, { force: true })));
    }
  }

  async create(tenantId: string, request: UploadRequest): Promise<Skill> {
    const { bundle, displayName } = await this.readUpload(request);
    const now = Date.now();
    const row: SkillTable = { id: newId('skill'), tenant_id: tenantId, display_name: displayName ?? bundle.name, name: bundle.name, latest_version: String(now * 1000), created_at: now, updated_at: now };
    const files = await this.storeFiles(bundle);
    try {
      await this.deps.store.transaction(async (tx) => {
        await tx.skills.insert(row);
        await tx.skills.insertVersion(this.versionRow(row, bundle, now), files.map((f) => ({ skill_id: row.id, version: row.latest_version, ...f })));
      });
    } catch (err) {
      if (this.deps.store.isUniqueViolation(err)) throw new ConflictError(`skill_name_taken: a skill named ${JSON.stringify(row.display_name)} exists; pick another display_name`, { details: { error_code: 'skill_name_taken' } });
      throw err;
    }
    return toSkill(row);
  }

  async createVersion(tenantId: string, skillId: string, request: UploadRequest): Promise<SkillVersion> {
    const skill = await this.getRow(tenantId, skillId);
    const { bundle } = await this.readUpload(request);
    if (bundle.name !== skill.name) throw new InvalidRequestError(`SKILL.md: name is ${JSON.stringify(bundle.name)} but skill ${skillId} is ${JSON.stringify(skill.name)}; a skill's name cannot change`);
    const now = Date.now();
    const version = String(Math.max(now * 1000, Number(skill.latest_version) + 1));
    const files = await this.storeFiles(bundle);
    const row = { ...this.versionRow(skill, bundle, now), version };
    await this.deps.store.transaction(async (tx) => {
      await tx.skills.insertVersion(row, files.map((f) => ({ skill_id: skill.id, version, ...f })));
      await tx.skills.update(tenantId, skill.id, { latest_version: version, updated_at: now });
    });
    return toSkillVersion(row);
  }

  private versionRow(skill: SkillTable, bundle: SkillBundle, now: number): SkillVersionTable {
    return { skill_id: skill.id, version: skill.latest_version, tenant_id: skill.tenant_id, name: bundle.name, description: bundle.description, created_at: now };
  }

  /** Puts every file's bytes in the blob store (before the rows that name them). */
  private async storeFiles(bundle: SkillBundle): Promise<{ path: string; sha256: string; size_bytes: number }[]> {
    const out = [];
    for (const [path, data] of bundle.files) {
      const sha256 = sha256Hex(data);
      await this.deps.blobs.put(sha256, data);
      out.push({ path, sha256, size_bytes: data.length });
    }
    return out;
  }

  /** The skill row; NotFoundError for an unknown id or another tenant's. */
  async getRow(tenantId: string, id: string): Promise<SkillTable> {
    const row = await this.deps.store.skills.find(tenantId, id);
    if (!row) throw notFound('skill', id);
    return row;
  }

  async get(tenantId: string, id: string): Promise<Skill> {
    return toSkill(await this.getRow(tenantId, id));
  }

  async list(tenantId: string, q: { limit: number; page?: string; source?: string }) {
    if (q.source !== undefined && q.source !== 'custom') return { data: [], next_page: null, has_more: false };
    const page = await this.deps.store.skills.list(tenantId, q);
    return { data: page.data.map(toSkill), next_page: page.next_page, has_more: page.next_page !== null };
  }

  async delete(tenantId: string, id: string): Promise<{ id: string; type: 'skill_deleted' }> {
    await this.getRow(tenantId, id);
    const hashes = await this.deps.store.transaction((tx) => tx.skills.delete(tenantId, id));
    await releaseFileBlobs(this.deps, hashes);
    return { id, type: 'skill_deleted' };
  }

  async getVersionRow(tenantId: string, skillId: string, version: string): Promise<SkillVersionTable> {
    const skill = await this.getRow(tenantId, skillId);
    const resolved = version === 'latest' ? skill.latest_version : version;
    const row = await this.deps.store.skills.findVersion(tenantId, skillId, resolved);
    if (!row) throw notFound('skill version', version);
    return row;
  }

  async getVersion(tenantId: string, skillId: string, version: string): Promise<SkillVersion> {
    return toSkillVersion(await this.getVersionRow(tenantId, skillId, version));
  }

  async listVersions(tenantId: string, skillId: string, q: { limit: number; page?: string }) {
    await this.getRow(tenantId, skillId);
    const page = await this.deps.store.skills.listVersions(tenantId, skillId, q);
    return { data: page.data.map(toSkillVersion), next_page: page.next_page, has_more: page.next_page !== null };
  }

  /** Deletes a version; the skill's latest moves to the newest remaining one. The last version goes only with the skill. */
  async deleteVersion(tenantId: string, skillId: string, version: string): Promise<{ id: string; type: 'skill_version_deleted' }> {
    const row = await this.getVersionRow(tenantId, skillId, version);
    const hashes = await this.deps.store.transaction(async (tx) => {
      const remaining = (await tx.skills.listVersions(tenantId, skillId, { limit: 2 })).data.filter((v) => v.version !== row.version);
      if (remaining.length === 0) throw new InvalidRequestError(`version ${row.version} is the only version of skill ${skillId}; delete the skill instead`);
      const held = await tx.skills.deleteVersion(tenantId, skillId, row.version);
      await tx.skills.update(tenantId, skillId, { latest_version: remaining[0]!.version, updated_at: Date.now() });
      return held;
    });
    await releaseFileBlobs(this.deps, hashes);
    return { id: row.version, type: 'skill_version_deleted' };
  }

  /** Agents' `skills`: custom ids must be skills of the tenant (else 400), versions become concrete ("latest" → newest). */
  async resolveRefs(tenantId: string, skills: { type: string; skill_id: string; version: string }[]) {
    const out = [];
    for (const [i, ref] of skills.entries()) {
      if (ref.type !== 'custom') {
        out.push(ref);
        continue;
      }
      const skill = await this.deps.store.skills.find(tenantId, ref.skill_id);
      if (!skill) throw new InvalidRequestError(`skills[${i}].skill_id: skill ${JSON.stringify(ref.skill_id)} not found; create it with POST /v1/skills`);
      const version = ref.version === 'latest' ? skill.latest_version : ref.version;
      if (!(await this.deps.store.skills.findVersion(tenantId, skill.id, version))) throw new InvalidRequestError(`skills[${i}].version: skill ${skill.id} has no version ${JSON.stringify(ref.version)}`);
      out.push({ ...ref, version });
    }
    return out;
  }

  /** The version's files, path relative to the skill directory → bytes. */
  async readFiles(tenantId: string, skillId: string, version: string): Promise<{ version: SkillVersionTable; files: Map<string, Buffer> }> {
    const row = await this.getVersionRow(tenantId, skillId, version);
    const files = new Map<string, Buffer>();
    for (const file of await this.deps.store.skills.filesOf(skillId, row.version)) {
      const data = await readBlob(this.deps.blobs, file.sha256);
      if (!data) throw new Error(`skill ${skillId} version ${row.version}: the blob of ${file.path} is missing from ${this.deps.blobs.description}`);
      files.set(file.path, data);
    }
    return { version: row, files };
  }

  /** A zip of the version's directory (`<name>/SKILL.md`, …). */
  async archive(tenantId: string, skillId: string, version: string): Promise<{ filename: string; data: Buffer }> {
    const { version: row, files } = await this.readFiles(tenantId, skillId, version);
    const entries = Object.fromEntries([...files].map(([path, data]) => [`${row.name}/${path}`, new Uint8Array(data)]));
    return { filename: `${row.name}.zip`, data: Buffer.from(zipSync(entries)) };
  }
}
