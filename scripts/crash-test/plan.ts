/**
 * What one crash-test user message asks the scripted model to do, written into the message text
 * itself (`crash-test s3x1 m2 d=12 n=80 plan=b150,r,B40!,w`), so the model's answer is a pure
 * function of the conversation it is sent: a request issued again after a crash gets the same
 * answer, whatever happened before.
 */
import type { Random } from './random.ts';

/**
 * One model response of a turn: `bash` appends a unique line to effects.log and sleeps (a side
 * effect that must never run twice unflagged); `pair` is bash and read in one response (parallel
 * tool uses); the others are the read-only tools and a mutating file write.
 */
export type StepKind = 'bash' | 'pair' | 'read' | 'glob' | 'grep' | 'write';

export interface Step {
  kind: StepKind;
  /** For bash and pair: how long the command sleeps after its side effect (ms). */
  sleepMs: number;
  /** The first model request for this step is answered 529 (overloaded), so the harness retries it. */
  failOnce: boolean;
}

export interface MessagePlan {
  sessionTag: string;
  messageTag: string;
  /** Delay between streamed SSE events of every model response (ms). */
  chunkDelayMs: number;
  /** Length of the text part of every model response (characters). */
  textLength: number;
  steps: Step[];
}

export const MESSAGE_PREFIX = 'crash-test';

const CODES: Record<StepKind, string> = { bash: 'b', pair: 'B', read: 'r', glob: 'g', grep: 'p', write: 'w' };
const KINDS = new Map(Object.entries(CODES).map(([kind, code]) => [code, kind as StepKind]));

/** The user message text that carries `plan` (what `decodePlan` reads back). */
export function encodePlan(plan: MessagePlan): string {
  const steps = plan.steps.map((s) => `${CODES[s.kind]}${s.kind === 'bash' || s.kind === 'pair' ? s.sleepMs : ''}${s.failOnce ? '!' : ''}`);
  return `${MESSAGE_PREFIX} ${plan.sessionTag} ${plan.messageTag} d=${plan.chunkDelayMs} n=${plan.textLength} plan=${steps.join(',')}`;
}

/** Parses a user text written by `encodePlan`; undefined for any other text. */
export function decodePlan(text: string): MessagePlan | undefined {
  const m = /^crash-test (\S+) (\S+) d=(\d+) n=(\d+) plan=(\S*)$/.exec(text);
  if (!m) return undefined;
  const steps: Step[] = [];
  for (const code of m[5]!.split(',').filter(Boolean)) {
    const s = /^([a-zA-Z])(\d*)(!?)$/.exec(code);
    const kind = s ? KINDS.get(s[1]!) : undefined;
    if (!s || !kind) return undefined;
    steps.push({ kind, sleepMs: Number(s[2] || 0), failOnce: s[3] === '!' });
  }
  return { sessionTag: m[1]!, messageTag: m[2]!, chunkDelayMs: Number(m[3]), textLength: Number(m[4]), steps };
}

const WEIGHTED_KINDS: StepKind[] = ['bash', 'bash', 'bash', 'pair', 'read', 'glob', 'grep', 'write'];

/**
 * How much work each session gets: `light` keeps iterations short for the test suite; `chaos`
 * interrupts and asks for confirmations far more often than a real client would.
 */
export interface Workload {
  messages: [number, number];
  /** Chance that the client interrupts a message's turn (user.interrupt) a random time after sending it. */
  interruptChance: number;
  /** Chance that a session's agent asks before every bash call (always_ask). */
  askChance: number;
  steps: [number, number];
  maxSleepMs: number;
  maxChunkDelayMs: number;
}

export const WORKLOADS = {
  full: { messages: [1, 3], interruptChance: 0.12, askChance: 0.25, steps: [0, 4], maxSleepMs: 400, maxChunkDelayMs: 25 },
  light: { messages: [1, 2], interruptChance: 0.1, askChance: 0.25, steps: [0, 3], maxSleepMs: 200, maxChunkDelayMs: 10 },
  chaos: { messages: [1, 3], interruptChance: 0.4, askChance: 0.6, steps: [1, 4], maxSleepMs: 400, maxChunkDelayMs: 25 },
} satisfies Record<string, Workload>;

export type WorkloadName = keyof typeof WORKLOADS;

export function randomPlan(rng: Random, workload: Workload, tags: { sessionTag: string; messageTag: string }): MessagePlan {
  const steps: Step[] = Array.from({ length: rng.int(...workload.steps) }, () => {
    const kind = rng.pick(WEIGHTED_KINDS);
    return { kind, sleepMs: kind === 'bash' || kind === 'pair' ? rng.int(0, workload.maxSleepMs) : 0, failOnce: rng.chance(0.06) };
  });
  return { ...tags, chunkDelayMs: rng.int(0, workload.maxChunkDelayMs), textLength: rng.int(10, 160), steps };
}

/** The unique token of the side effect of step `index` of a message: one line in effects.log. */
export function effectToken(plan: Pick<MessagePlan, 'sessionTag' | 'messageTag'>, index: number): string {
  return `${plan.sessionTag}.${plan.messageTag}.${index}`;
}

/** The file the bash steps append their tokens to, in the session's sandbox directory. */
export const EFFECTS_FILE = 'effects.log';
