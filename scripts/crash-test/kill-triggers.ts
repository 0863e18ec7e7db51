/**
 * When to pull the plug. Each kill waits for one kind of moment and then a random extra delay, so
 * over a run the kills land everywhere: mid model stream, mid tool, right after a commit, while a
 * session waits for a confirmation, during the recovery that follows a restart, or at a random time.
 */
import type { FakeModel } from '../../test/support/fake-model/index.ts';
import type { Random } from './random.ts';
import type { RecordedFrame } from './stream-recorder.ts';
import { sleep } from './api.ts';

export const KILL_TRIGGERS = ['time', 'model-stream', 'tool', 'commit', 'requires-action', 'recovery'] as const;
export type KillTrigger = (typeof KILL_TRIGGERS)[number];

export interface TriggerContext {
  rng: Random;
  fake: FakeModel;
  /** Subscribes to frames of every session of the iteration; returns the unsubscribe function. */
  onFrame(listener: (frame: RecordedFrame) => void): () => void;
  /** True once every driver of the iteration is done (nothing left to interrupt). */
  workDone(): boolean;
}

/** Bound on waiting for a moment that may never come (e.g. no tool left to run). */
const MOMENT_TIMEOUT_MS = 8_000;

export function chooseTrigger(rng: Random, justRestarted: boolean, hasAskSessions: boolean): KillTrigger {
  const options: KillTrigger[] = ['time', 'model-stream', 'model-stream', 'tool', 'tool', 'commit', 'commit'];
  if (hasAskSessions) options.push('requires-action');
  if (justRestarted) options.push('recovery', 'recovery');
  return rng.pick(options);
}

/** Resolves at the chosen moment; returns how it fired ("tool", or "tool/timeout" when it never came). */
export async function awaitTrigger(trigger: KillTrigger, ctx: TriggerContext): Promise<string> {
  const { rng } = ctx;
  switch (trigger) {
    case 'time':
      await sleep(rng.int(0, 2_000));
      return trigger;
    case 'recovery':
      await sleep(rng.int(0, 600));
      return trigger;
    case 'model-stream':
      return (await poll(() => ctx.fake.inFlight > 0, ctx)) ? delayed(trigger, rng.int(0, 200)) : `${trigger}/timeout`;
    case 'tool':
      return (await nextFrame((f) => f.type === 'oma.tool_execution_started', ctx)) ? delayed(trigger, rng.int(0, 250)) : `${trigger}/timeout`;
    case 'commit':
      return (await nextFrame(() => true, ctx)) ? delayed(trigger, rng.int(0, 3)) : `${trigger}/timeout`;
    case 'requires-action':
      return (await nextFrame((f) => f.type === 'session.status_idle' && (f.data.stop_reason as { type?: string } | null)?.type === 'requires_action', ctx))
        ? delayed(trigger, rng.int(0, 200))
        : `${trigger}/timeout`;
    default: {
      const never: never = trigger;
      throw new Error(`unknown trigger ${String(never)}`);
    }
  }
}

async function delayed(label: string, ms: number): Promise<string> {
  await sleep(ms);
  return label;
}

async function poll(check: () => boolean, ctx: TriggerContext): Promise<boolean> {
  const deadline = Date.now() + MOMENT_TIMEOUT_MS;
  while (!check()) {
    if (ctx.workDone() || Date.now() > deadline) return false;
    await sleep(2);
  }
  return true;
}

function nextFrame(match: (frame: RecordedFrame) => boolean, ctx: TriggerContext): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (value: boolean) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearInterval(idleCheck);
      clearTimeout(timer);
      resolve(value);
    };
    const unsubscribe = ctx.onFrame((f) => match(f) && finish(true));
    const idleCheck = setInterval(() => ctx.workDone() && finish(false), 50);
    const timer = setTimeout(() => finish(false), MOMENT_TIMEOUT_MS);
  });
}
