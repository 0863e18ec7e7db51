/**
 * Property: folding a log commit by commit (as the harness does for a session it holds) and
 * folding the same log from scratch (as a takeover does, reading rows whose processed_at was set
 * by later commits) give equal states, after every commit. Logs are random but valid: writers
 * behave like the harness and the API (queued input, marks in the consuming commit, tool calls,
 * confirmations, interrupts, crashes that leave spans open), with seeded randomness.
 */
import { describe, expect, it } from 'vitest';
import { readEvent, type NewEvent, type StoredEvent } from '../events/types.ts';
import { foldEvent, foldLog, initialFoldState, markProcessed } from './session-fold.ts';
import { viewOf } from './session-state.ts';

interface Commit {
  events: NewEvent[];
  marks: string[];
}

/** Mulberry32: small, seeded, good enough to pick actions. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes random commits the way the server's writers do; tracks just enough to keep references valid. */
function generateLog(seed: number, commits: number): Commit[] {
  const rnd = random(seed);
  const pick = <T>(items: T[]): T | undefined => (items.length === 0 ? undefined : items[Math.floor(rnd() * items.length)]);
  let next = 0;
  const id = (prefix = 'sevt') => `${prefix}_${seed}_${++next}`;
  const queued: string[] = [];
  const confirmations: string[] = [];
  const toolUses: { id: string; custom: boolean }[] = [];
  const spans: string[] = [];
  const log: Commit[] = [];
  const at = () => 1000 + log.length;
  const actions: (() => Commit)[] = [
    () => {
      const event = id();
      queued.push(event);
      return { events: [{ id: event, type: 'user.message', payload: { content: [{ type: 'text', text: `m${next}` }] }, processedAt: null }], marks: [] };
    },
    () => {
      const event = id();
      queued.push(event);
      return { events: [{ id: event, type: 'user.interrupt', payload: {}, processedAt: null }], marks: [] };
    },
    () => {
      const marks = queued.splice(0, 1 + Math.floor(rnd() * 2));
      return { events: [{ type: 'oma.user_event_processed', payload: { event_ids: marks }, processedAt: at() }, { type: 'session.status_running', payload: {}, processedAt: at() }], marks };
    },
    () => {
      const span = id();
      spans.push(span);
      return { events: [{ id: span, type: 'span.model_request_start', payload: {}, processedAt: at() }], marks: [] };
    },
    () => {
      const uses = Array.from({ length: Math.floor(rnd() * 3) }, () => ({ id: id(), custom: rnd() < 0.3, toolu: id('toolu') }));
      toolUses.push(...uses);
      const permission = (): 'allow' | 'ask' | 'deny' => pick(['allow', 'ask', 'deny'] as const)!;
      const events: NewEvent[] = uses.map((u) =>
        u.custom
          ? { id: u.id, type: 'agent.custom_tool_use', payload: { name: 'lookup', input: { q: 1 } }, processedAt: at() }
          : { id: u.id, type: 'agent.tool_use', payload: { name: 'bash', input: { command: 'ls' }, evaluated_permission: permission() }, processedAt: at() },
      );
      const content = [{ type: 'text' as const, text: 'ok' }, ...uses.map((u) => ({ type: 'tool_use' as const, id: u.toolu, name: 'bash', input: {} }))];
      events.push({ type: 'oma.model_response', payload: { message: { id: id('msg'), content, stop_reason: uses.length > 0 ? 'tool_use' : 'end_turn' }, tool_event_ids: Object.fromEntries(uses.map((u) => [u.toolu, u.id])) }, processedAt: at() });
      const span = spans.pop();
      if (span) events.push({ type: 'span.model_request_end', payload: { model_request_start_id: span, is_error: false, model_usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } }, processedAt: at() });
      return { events, marks: [] };
    },
    () => {
      const use = pick(toolUses.filter((u) => !u.custom));
      return { events: use ? [{ type: 'oma.tool_execution_started', payload: { tool_use_id: use.id, name: 'bash' }, processedAt: at() }] : [], marks: [] };
    },
    () => {
      const use = pick(toolUses);
      if (!use) return { events: [], marks: [] };
      const result: NewEvent = use.custom
        ? { type: 'user.custom_tool_result', payload: { custom_tool_use_id: use.id, content: [{ type: 'text', text: 'r' }] }, processedAt: at() }
        : { type: 'agent.tool_result', payload: { tool_use_id: use.id, content: [{ type: 'text', text: 'r' }], is_error: rnd() < 0.5 }, processedAt: at() };
      return { events: [result], marks: [] };
    },
    () => {
      const use = pick(toolUses.filter((u) => !u.custom));
      if (!use) return { events: [], marks: [] };
      const event = id();
      confirmations.push(event);
      const result = rnd() < 0.5 ? 'allow' : 'deny';
      return { events: [{ id: event, type: 'user.tool_confirmation', payload: { tool_use_id: use.id, result, ...(result === 'deny' ? { deny_message: 'no' } : {}) }, processedAt: null }], marks: [] };
    },
    () => {
      const waiting = toolUses.slice(-2).map((u) => u.id);
      const reason = rnd() < 0.5 ? { type: 'requires_action', event_ids: waiting } : { type: 'end_turn' };
      return { events: [{ type: 'session.status_idle', payload: { stop_reason: reason, stop_details: null }, processedAt: at() }], marks: [] };
    },
    () => {
      // Consumes confirmations without naming them (a resume), or names them (stale ones).
      const marks = confirmations.splice(0, 1 + Math.floor(rnd() * 2));
      const events: NewEvent[] = rnd() < 0.5
        ? [{ type: 'session.status_running', payload: {}, processedAt: at() }]
        : [{ type: 'oma.user_event_processed', payload: { event_ids: marks }, processedAt: at() }];
      return { events, marks };
    },
    () => ({ events: [{ type: pick(['session.status_rescheduled', 'session.status_running', 'agent.thinking'] as const)!, payload: {}, processedAt: at() }], marks: [] }),
    () => ({ events: [{ type: 'oma.turn_recovered', payload: { reason: 'restart' }, processedAt: at() }, { type: 'session.error', payload: { error: { type: 'unknown_error', message: 'x' } }, processedAt: at() }], marks: [] }),
  ];
  for (let i = 0; i < commits; i++) log.push(pick(actions)!());
  return log;
}

/** The rows as a reader sees them after `upTo` commits: processed_at set by any commit so far that marked them. */
function storedRows(log: Commit[], upTo: number): StoredEvent[] {
  const marked = new Map<string, number>();
  log.slice(0, upTo).forEach((commit, index) => commit.marks.forEach((id) => marked.set(id, 2000 + index)));
  let seq = 0;
  return log.slice(0, upTo).flatMap((commit, index) =>
    commit.events.map((event) => {
      seq += 1;
      const id = event.id ?? `sevt_c${index}_${seq}`;
      return { sessionId: 'sesn_p', seq, id, type: event.type, payload: event.payload as Record<string, unknown>, processedAt: marked.get(id) ?? event.processedAt, createdAt: 1000 };
    }),
  );
}

describe('session fold', () => {
  it.each(Array.from({ length: 60 }, (_, i) => i + 1))('folds random log %i the same commit by commit and from scratch', (seed) => {
    const log = generateLog(seed, 80);
    const incremental = initialFoldState();
    let seq = 0;
    for (const [index, commit] of log.entries()) {
      // This commit's rows as written: no later commit has marked any of them yet.
      for (const row of storedRows(log, index + 1).slice(seq)) foldEvent(incremental, readEvent(row));
      markProcessed(incremental, commit.marks);
      seq += commit.events.length;
      const scratch = foldLog(storedRows(log, index + 1).map(readEvent));
      expect(incremental, `seed ${seed}, after commit ${index}`).toEqual(scratch);
      expect(viewOf(incremental)).toEqual(viewOf(scratch));
    }
  });

  it.each(Array.from({ length: 40 }, (_, i) => i + 101))('folds random log %i kept across runs like HeldSession: foreign commits caught up by seq at any moment', (seed) => {
    // A worker keeps its fold between runs (harness held-fold cache): other writers' commits (client
    // input: user.* events, never marks) land while it is idle or mid-step; its own commits are
    // folded as they return unless a foreign commit came first (then only their marks apply, and
    // the rows wait for the next catch-up, which reads rows as stored at that moment).
    const log = generateLog(seed, 80);
    const rnd = random(seed * 7919);
    const held = initialFoldState();
    let seq = 0;
    const catchUp = (upTo: number) => {
      for (const row of storedRows(log, upTo).slice(held.lastSeq)) foldEvent(held, readEvent(row));
    };
    for (const [index, commit] of log.entries()) {
      const foreign = commit.marks.length === 0 && commit.events.every((e) => e.type.startsWith('user.'));
      if (!foreign) {
        markProcessed(held, commit.marks);
        if (held.lastSeq === seq) for (const row of storedRows(log, index + 1).slice(seq)) foldEvent(held, readEvent(row));
      }
      seq += commit.events.length;
      if (rnd() < 0.3) catchUp(index + 1); // a step starts (advance) or a new run reuses the fold
      if (held.lastSeq === seq) {
        const scratch = foldLog(storedRows(log, index + 1).map(readEvent));
        expect(held, `seed ${seed}, after commit ${index}`).toEqual(scratch);
      }
    }
    catchUp(log.length);
    expect(held).toEqual(foldLog(storedRows(log, log.length).map(readEvent)));
  });

  it('hands out views that later folds do not change', () => {
    const log = generateLog(7, 40);
    const state = foldLog(storedRows(log, 20).map(readEvent));
    const view = viewOf(state);
    const snapshot = structuredClone(view);
    for (const row of storedRows(log, 40).slice(state.lastSeq)) foldEvent(state, readEvent(row));
    expect(view).toEqual(snapshot);
  });
});
