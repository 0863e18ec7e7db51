/**
 * The agent's skills in its session (reference §5.6): each custom skill the session's agent
 * snapshot references (version pinned at agent/session create) is copied once per session to
 * `<root>/<session id>/skills/<name>/` (root is SANDBOX_WORKDIR/.mounts), mounted read-only at
 * `/workspace/skills/<name>`, and described in the system prompt (name, description from SKILL.md's
 * frontmatter, where to read it) so the model loads a skill when it needs it. Anthropic-provided
 * skills (`type: "anthropic"`) are not available on this server and are left out (logged).
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { SessionTable } from '../store/schema.ts';
import type { SandboxMount } from '../sandbox/sandbox.ts';
import { parseJson } from '../store/json.ts';
import { NotFoundError } from '../errors.ts';
import type { SkillService } from './skill-service.ts';
import { withPromptSection } from '../agents/system-prompt.ts';

type SessionRow = Pick<SessionTable, 'id' | 'tenant_id' | 'agent'>;

/** Where skills appear in every sandbox (reference §5.6: "under /workspace/skills"). */
export const SKILLS_SANDBOX_ROOT = '/workspace/skills';

const SESSION_ID = /^[A-Za-z0-9_]+$/;

export interface SessionSkill {
  name: string;
  description: string;
  skillId: string;
  version: string;
  /** Where its directory is inside the sandbox. */
  sandboxPath: string;
}

export class SessionSkills {
  constructor(private readonly deps: { skills: SkillService; root: string; logger?: Logger }) {}

  private sessionRoot(sessionId: string): string {
    if (!SESSION_ID.test(sessionId)) throw new Error(`unexpected session id ${JSON.stringify(sessionId)}`);
    return path.join(path.resolve(this.deps.root), sessionId);
  }

  /** The session's available skills, names made distinct; missing ones are skipped (logged). */
  async list(session: SessionRow): Promise<SessionSkill[]> {
    const agent = parseJson<{ skills?: { type: string; skill_id: string; version: string }[] } | null>(session.agent, 'sessions.agent');
    const out: SessionSkill[] = [];
    const names = new Set<string>();
    for (const ref of agent?.skills ?? []) {
      if (ref.type !== 'custom') {
        this.deps.logger?.warn({ sessionId: session.id, skillId: ref.skill_id }, 'anthropic skills are not available on this server; the skill is not mounted');
        continue;
      }
      const version = await this.deps.skills.getVersionRow(session.tenant_id, ref.skill_id, ref.version).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
      if (!version) {
        this.deps.logger?.warn({ sessionId: session.id, skillId: ref.skill_id, version: ref.version }, 'a skill of the agent no longer exists; it is not mounted');
        continue;
      }
      let name = version.name;
      for (let n = 2; names.has(name); n++) name = `${version.name}-${n}`;
      names.add(name);
      out.push({ name, description: version.description, skillId: ref.skill_id, version: version.version, sandboxPath: `${SKILLS_SANDBOX_ROOT}/${name}` });
    }
    return out;
  }

  /** Copies each skill's files (once per version) and returns the read-only mounts. */
  async prepare(session: SessionRow, skills: SessionSkill[]): Promise<SandboxMount[]> {
    if (skills.length === 0) return [];
    const root = path.join(this.sessionRoot(session.id), 'skills');
    for (const dir of [path.dirname(path.dirname(root)), path.dirname(root), root]) {
      await mkdir(dir, { recursive: true, mode: 0o711 });
      await chmod(dir, 0o711);
    }
    const mounts: SandboxMount[] = [];
    for (const skill of skills) {
      const dir = path.join(root, skill.name);
      const marker = path.join(root, `.${skill.name}.version`);
      const stamp = `${skill.skillId}@${skill.version}`;
      if ((await readFile(marker, 'utf8').catch(() => '')) !== stamp) {
        await rm(dir, { recursive: true, force: true });
        const { files } = await this.deps.skills.readFiles(session.tenant_id, skill.skillId, skill.version);
        for (const [relative, data] of files) {
          const target = path.join(dir, relative);
          if (!target.startsWith(`${dir}/`)) continue;
          await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
          await writeFile(target, data, { mode: 0o444 });
        }
        await mkdir(dir, { recursive: true, mode: 0o755 });
        await writeFile(marker, stamp, { mode: 0o600 });
      }
      mounts.push({ hostPath: dir, sandboxPath: skill.sandboxPath, readOnly: true });
    }
    return mounts;
  }

  async remove(sessionId: string): Promise<void> {
    await rm(path.join(this.sessionRoot(sessionId), 'skills'), { recursive: true, force: true });
  }
}

/** The system prompt section listing the skills; undefined without any. */
export function skillsPromptSection(skills: SessionSkill[]): string | undefined {
  if (skills.length === 0) return undefined;
  const entries = skills.map((s) => [`## ${s.name}`, `Description: ${s.description}`, `Instructions: ${s.sandboxPath}/SKILL.md`].join('\n'));
  return [
    '# Skills',
    'These skills are available to you, each a read-only directory with a SKILL.md and the files it refers to. When a task',
    'matches a skill\'s description, read its SKILL.md first and follow it; do not load skills you do not need. The file',
    'tools use the paths below; in bash the same directories are under "$OMA_SKILLS_DIR" (for example',
    '"$OMA_SKILLS_DIR/<name>/SKILL.md").',
    '',
    entries.join('\n\n'),
  ].join('\n');
}

/** The agent snapshot with the skills section appended to its system prompt. */
export function withSkillsPrompt<A extends { system: string | null }>(agent: A | null, skills: SessionSkill[]): A | null {
  return withPromptSection(agent, skillsPromptSection(skills));
}
