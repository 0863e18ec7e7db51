/**
 * One iteration of the crash test: a few fresh sessions, each with a client playing 1–3 messages
 * through the scripted model and real tools, SSE streams open the whole time, 1–3 SIGKILLs at
 * chosen moments with a restart after each, then — once everything settled — every invariant.
 */
import { join } from 'node:path';
import type { FakeModel } from '../../test/support/fake-model/index.ts';
import { listAllEvents, postJson } from './api.ts';
import type { DbProbe } from './db-probe.ts';
import { checkSession } from './invariants.ts';
import { awaitTrigger, chooseTrigger, type TriggerContext } from './kill-triggers.ts';
import { randomPlan, type Workload } from './plan.ts';
import { Random } from './random.ts';
import { RecoveryGate } from './recovery-gate.ts';
import type { ServerControl } from './server-control.ts';
import { SessionDriver, type PlannedMessage } from './session-driver.ts';
import { StreamRecorder, type RecordedFrame } from './stream-recorder.ts';

export interface RunContext {
  seed: number;
  control: ServerControl;
  fake: FakeModel;
  probe: DbProbe;
  dataDir: string;
  agents: { allow: string; ask: string };
  killsPerIteration: [number, number];
  sessionsPerIteration: [number, number];
  workload: Workload;
  /** Phase timings and other detail, when tracing. */
  trace?: (line: string) => void;
}

export interface IterationResult {
  sessions: number;
  kills: string[];
  /** Turns in flight at a kill that then finished without any client input. */
  recoveredTurns: number;
  /** oma.turn_recovered events (a turn may log several). */
  recoveryEvents: number;
  messages: number;
  interrupts: number;
  confirmations: number;
  denials: number;
  toolCalls: number;
  reconciledSends: number;
  streamConnections: number;
  violations: string[];
}

interface SessionUnderTest {
  id: string;
  variant: 'allow' | 'ask';
  recorder: StreamRecorder;
  driver: SessionDriver;
}

const SETTLE_TIMEOUT_MS = 60_000;

export async function runIteration(run: RunContext, index: number): Promise<IterationResult> {
  const rng = Random.derive(run.seed, index);
  const t0 = Date.now();
  const trace = (what: string) => run.trace?.(`  [${index}] +${Date.now() - t0} ms ${what}`);
  const violations: string[] = [];
  const gate = new RecoveryGate(run.probe, violations);
  const listeners = new Set<(f: RecordedFrame) => void>();
  const sessions = await createSessions(run, { index, rng, gate, listeners });
  const driving = sessions.map((s) => s.driver.run());
  let driversDone = false;
  void Promise.all(driving).then(() => (driversDone = true));
  const ctx: TriggerContext = {
    rng,
    fake: run.fake,
    onFrame: (l) => (listeners.add(l), () => listeners.delete(l)),
    workDone: () => driversDone,
  };
  const kills: string[] = [];
  const killCount = rng.int(...run.killsPerIteration);
  const ids = sessions.map((s) => s.id);
  for (let k = 0; k < killCount; k++) {
    const label = await awaitTrigger(chooseTrigger(rng, k > 0, sessions.some((s) => s.variant === 'ask')), ctx);
    await run.control.kill();
    kills.push(label);
    const snapshot = await gate.onKill(ids, `#${k + 1} ${label}`);
    trace(`killed (${label}); ${[...snapshot.values()].filter((s) => !s.settled).length} sessions mid-turn`);
    await run.control.start();
    trace('restarted');
    gate.onRestart(snapshot);
  }
  await gate.settled();
  trace('recovered');
  await Promise.all(driving);
  trace('clients done');
  await waitSettled(run, sessions, violations);
  trace('settled');
  for (const s of sessions) await s.recorder.stop();
  const result: IterationResult = { sessions: sessions.length, kills, recoveredTurns: gate.recovered, recoveryEvents: 0, messages: 0, interrupts: 0, confirmations: 0, denials: 0, toolCalls: 0, reconciledSends: 0, streamConnections: 0, violations };
  for (const s of sessions) await verify(run, s, result);
  return result;
}

interface IterationParts {
  index: number;
  rng: Random;
  gate: RecoveryGate;
  /** Kill triggers listening to every frame of the iteration. */
  listeners: Set<(f: RecordedFrame) => void>;
}

async function createSessions(run: RunContext, parts: IterationParts): Promise<SessionUnderTest[]> {
  const { index, rng, gate, listeners } = parts;
  const count = rng.int(...run.sessionsPerIteration);
  const out: SessionUnderTest[] = [];
  for (let s = 0; s < count; s++) {
    const variant = rng.chance(run.workload.askChance) ? 'ask' : 'allow';
    const tag = `i${index}s${s}`;
    const messages: PlannedMessage[] = Array.from({ length: rng.int(...run.workload.messages) }, (_, m) => ({
      plan: randomPlan(rng, run.workload, { sessionTag: tag, messageTag: `m${m}` }),
      queued: m > 0 && rng.chance(0.35),
      interruptAfterMs: rng.chance(run.workload.interruptChance) ? rng.int(0, 1500) : undefined,
    }));
    const created = await postJson<{ id: string }>(run.control.baseURL, '/v1/sessions', { agent: run.agents[variant], title: tag });
    const sendGate = async () => {
      await run.control.ready;
      await gate.wait();
      await run.control.ready;
    };
    let driver: SessionDriver | undefined;
    const recorder = new StreamRecorder(run.control, created.id, {
      deltas: rng.chance(0.3),
      onFrame: (f) => {
        driver?.onFrame(f.data);
        for (const l of [...listeners]) l(f);
      },
    });
    driver = new SessionDriver({ control: run.control, gate: sendGate, sessionId: created.id, recorder, messages, rng: Random.derive(run.seed, index, 'driver', s) });
    recorder.start();
    out.push({ id: created.id, variant, recorder, driver });
  }
  return out;
}

/** Waits until the server has nothing left to do for these sessions and every stream caught up. */
async function waitSettled(run: RunContext, sessions: SessionUnderTest[], violations: string[]): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const snap = await run.probe.snapshot(sessions.map((s) => s.id));
    const pending = sessions.filter((s) => !snap.get(s.id)?.settled || s.recorder.lastSeq < snap.get(s.id)!.lastSeq);
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      violations.push(`sessions never settled (or their streams never caught up): ${pending.map((s) => `${s.id} ${snap.get(s.id)?.status} stream@${s.recorder.lastSeq}/${snap.get(s.id)?.lastSeq}`).join(', ')}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function verify(run: RunContext, s: SessionUnderTest, result: IterationResult): Promise<void> {
  const events = await listAllEvents(run.control.baseURL, s.id);
  result.violations.push(...s.recorder.violations, ...s.driver.violations);
  result.violations.push(
    ...checkSession({
      sessionId: s.id,
      variant: s.variant,
      events,
      rows: await run.probe.rows(s.id),
      session: await run.probe.session(s.id),
      frames: s.recorder.frames,
      acknowledged: s.driver.acknowledged,
      sentTags: s.driver.messages.map((m) => m.plan.messageTag),
      sandboxDir: join(run.dataDir, 'sandboxes', s.id),
    }),
  );
  result.recoveryEvents += events.filter((e) => e.type === 'oma.turn_recovered').length;
  result.messages += s.driver.messages.length;
  result.interrupts += s.driver.interrupts.length;
  result.confirmations += s.driver.confirmations.sent;
  result.denials += s.driver.confirmations.denied;
  result.toolCalls += events.filter((e) => e.type === 'agent.tool_use').length;
  result.reconciledSends += s.driver.reconciled;
  result.streamConnections += s.recorder.connections;
}
