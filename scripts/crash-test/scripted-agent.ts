/**
 * The model of the crash test: the fake Messages API answers every request with a pure function
 * of the conversation it carries (see plan.ts), so a request issued again after a crash gets the
 * same answer. It also checks each request's history the way the real API would (every tool_use
 * answered exactly once by the next user turn) plus what only a crash could break (a user message
 * or a model response present twice); problems are collected as violations.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { httpError, reply, text, toolUse, type ContentSpec, type RecordedRequest, type Turn } from '../../test/support/fake-model/index.ts';
import { decodePlan, effectToken, EFFECTS_FILE, MESSAGE_PREFIX, type MessagePlan, type Step } from './plan.ts';

type Block = Anthropic.ContentBlockParam;

const blocksOf = (m: Anthropic.MessageParam): Block[] => (typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content);
const textsOf = (m: Anthropic.MessageParam): string[] => blocksOf(m).flatMap((b) => (b.type === 'text' ? [b.text] : []));
const planTexts = (m: Anthropic.MessageParam) => (m.role === 'user' ? textsOf(m).filter((t) => t.startsWith(`${MESSAGE_PREFIX} `)) : []);

function filler(prefix: string, length: number): string {
  let out = prefix;
  while (out.length < length) out += ' lorem ipsum dolor';
  return out;
}

function toolUses(plan: MessagePlan, step: Step, index: number): ContentSpec[] {
  const token = effectToken(plan, index);
  const bash = toolUse('bash', { command: `echo ${token} >> ${EFFECTS_FILE}; sleep ${(step.sleepMs / 1000).toFixed(3)}` });
  switch (step.kind) {
    case 'bash':
      return [bash];
    case 'pair':
      return [bash, toolUse('read', { file_path: EFFECTS_FILE })];
    case 'read':
      return [toolUse('read', { file_path: EFFECTS_FILE })];
    case 'glob':
      return [toolUse('glob', { pattern: '**/*' })];
    case 'grep':
      return [toolUse('grep', { pattern: plan.sessionTag, path: '.' })];
    case 'write':
      return [toolUse('write', { file_path: `out/${token}.txt`, content: token })];
    default: {
      const never: never = step.kind;
      throw new Error(`unknown step ${String(never)}`);
    }
  }
}

/** The plan a request works on (that of the turn's user message), if any. */
export function planOf(request: RecordedRequest): MessagePlan | undefined {
  const messages = request.body.messages ?? [];
  const texts = planTexts(messages[messages.findLastIndex((m) => planTexts(m).length > 0)] ?? { role: 'user', content: [] });
  return texts.length > 0 ? decodePlan(texts[texts.length - 1]!) : undefined;
}

export class ScriptedAgent {
  /** Problems found in requests (malformed or duplicated history). */
  readonly violations: string[] = [];
  /** Number of requests answered. */
  requests = 0;
  private readonly failedOnce = new Set<string>();

  /** The fake model's responder. */
  readonly respond = (request: RecordedRequest): Turn => {
    this.requests++;
    const messages = request.body.messages ?? [];
    const problem = checkHistory(messages);
    const turnStart = messages.findLastIndex((m) => planTexts(m).length > 0);
    const texts = turnStart >= 0 ? planTexts(messages[turnStart]!) : [];
    const plan = texts.length > 0 ? decodePlan(texts[texts.length - 1]!) : undefined;
    if (problem) this.violations.push(`model request for ${plan?.sessionTag ?? '?'}: ${problem}`);
    if (!plan) {
      this.violations.push(`model request without a crash-test message: ${JSON.stringify(messages).slice(0, 300)}`);
      return reply(text('no plan'));
    }
    const pacing = { chunkSize: 8, chunkDelayMs: plan.chunkDelayMs };
    const index = messages.slice(turnStart + 1).filter((m) => m.role === 'assistant').length;
    const step = plan.steps[index];
    if (step?.failOnce) {
      const key = effectToken(plan, index);
      if (!this.failedOnce.has(key)) {
        this.failedOnce.add(key);
        return httpError(529, { message: `crash-test: overloaded once for ${key}` });
      }
    }
    if (!step) {
      const tags = texts.map((t) => decodePlan(t)?.messageTag ?? '?');
      return reply(text(filler(`done ${tags.join(' ')} |`, plan.textLength)), pacing);
    }
    return reply(text(filler(`step ${index} of ${plan.sessionTag}.${plan.messageTag} |`, plan.textLength)), ...toolUses(plan, step, index), pacing);
  };
}

/** What the real API would refuse, or what a crash must never produce; undefined when fine. */
export function checkHistory(messages: Anthropic.MessageParam[]): string | undefined {
  if (messages.length === 0 || messages[messages.length - 1]!.role !== 'user') return 'the history does not end with a user turn';
  const seenTexts = new Set<string>();
  for (const [i, m] of messages.entries()) {
    for (const t of m.role === 'user' ? planTexts(m) : textsOf(m)) {
      if (seenTexts.has(t)) return `message ${i} repeats ${JSON.stringify(t.slice(0, 60))}`;
      seenTexts.add(t);
    }
    const results = blocksOf(m).flatMap((b) => (b.type === 'tool_result' ? [b.tool_use_id] : []));
    const previous = i > 0 ? messages[i - 1]! : undefined;
    const asked = previous?.role === 'assistant' ? blocksOf(previous).flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])) : [];
    if (m.role === 'user') {
      const sorted = (xs: string[]) => [...xs].sort().join(',');
      if (sorted(results) !== sorted(asked)) return `message ${i} answers tool uses [${results.join(', ')}] but the model asked for [${asked.join(', ')}]`;
    } else if (previous?.role === 'assistant') {
      return `messages ${i - 1} and ${i} are both assistant turns`;
    }
  }
  return undefined;
}
