/**
 * The invariants of issue 6, checked for one session after it settled, from three independent
 * views: the events API, the database rows, and the SSE frames received across every crash; plus
 * the side effects the tools left in the session's sandbox directory. Each returns a list of
 * human-readable violations (empty when all hold).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { textOf, type WireEvent } from './api.ts';
import type { RecordedFrame } from './stream-recorder.ts';
import { decodePlan, EFFECTS_FILE } from './plan.ts';
import { answeredTags } from './session-driver.ts';

export interface EventRow {
  seq: number;
  id: string;
  type: string;
  processed_at: number | null;
}

export interface SessionEvidence {
  sessionId: string;
  /** `ask`: bash needs a confirmation (always_ask). */
  variant: 'allow' | 'ask';
  /** The events API, bookkeeping events included, in order. */
  events: WireEvent[];
  /** The session's rows in session_events, by seq. */
  rows: EventRow[];
  session: { last_seq: number; status: string };
  /** Every frame received on the session's stream, across reconnections (stream checks skipped when absent). */
  frames?: RecordedFrame[];
  /** Message tag → user.message id the server acknowledged (or that was found after a crash). */
  acknowledged: Map<string, string>;
  /** Tags of every message the client sent. */
  sentTags: string[];
  sandboxDir: string;
}

const RESTART_NOTICE = 'The server restarted while';
const INTERRUPT_NOTICE = 'the user interrupted the turn';
const NOT_RUN_NOTICE = 'This tool call was not run';
const MUTATING = new Set(['bash', 'write', 'edit', 'web_fetch']);
const USER_TYPES = new Set(['user.message', 'user.interrupt', 'user.tool_confirmation']);

/** Every invariant for one settled session; returns the violations (empty when all hold). */
export function checkSession(e: SessionEvidence): string[] {
  const out: string[] = [];
  const v = (msg: string) => out.push(`${e.sessionId}: ${msg}`);
  checkSequence(e, v);
  checkStream(e, v);
  checkTools(e, v);
  checkUserMessages(e, v);
  checkSideEffects(e, v);
  checkFinalState(e, v);
  return out;
}

type Report = (msg: string) => void;

function checkSequence(e: SessionEvidence, v: Report): void {
  e.rows.forEach((r, i) => {
    if (r.seq !== i + 1) v(`database seq ${r.seq} at position ${i + 1} (gap or duplicate)`);
  });
  if (e.session.last_seq !== e.rows.length) v(`sessions.last_seq is ${e.session.last_seq} but the log has ${e.rows.length} rows`);
  const ids = new Set(e.rows.map((r) => r.id));
  if (ids.size !== e.rows.length) v(`${e.rows.length - ids.size} event id(s) appear twice in the database`);
  if (e.events.length !== e.rows.length) v(`the events API lists ${e.events.length} events, the database holds ${e.rows.length}`);
  e.events.forEach((ev, i) => {
    const row = e.rows[i];
    if (row && (row.id !== ev.id || row.type !== ev.type)) v(`API event ${i + 1} is ${ev.type} ${ev.id}, database row is ${row.type} ${row.id}`);
  });
}

/** Every frame seen before a crash is still in the log, identical; the stream covered the whole log. */
function checkStream(e: SessionEvidence, v: Report): void {
  if (!e.frames) return;
  for (const f of e.frames) {
    const stored = e.events[f.seq - 1];
    if (!stored) {
      v(`streamed event ${f.seq} (${f.type} ${f.data.id}) is not in the log: a committed event was lost`);
      continue;
    }
    const { processed_at: seenAt, ...seen } = f.data;
    const { processed_at: nowAt, ...now } = stored;
    const laterProcessed = seenAt === null && USER_TYPES.has(f.type);
    if (!isDeepStrictEqual(seen, now) || (seenAt !== nowAt && !laterProcessed)) {
      v(`streamed event ${f.seq} differs from the stored one: ${JSON.stringify(f.data).slice(0, 200)} vs ${JSON.stringify(stored).slice(0, 200)}`);
    }
  }
  if (e.frames.length !== e.events.length) v(`the stream delivered ${e.frames.length} events, the log has ${e.events.length}`);
}

function checkTools(e: SessionEvidence, v: Report): void {
  const position = new Map(e.events.map((ev, i) => [ev.id, i]));
  const uses = e.events.filter((ev) => ev.type === 'agent.tool_use');
  const results = e.events.filter((ev) => ev.type === 'agent.tool_result');
  for (const r of results) {
    const use = position.get(String(r.tool_use_id));
    if (use === undefined || e.events[use]!.type !== 'agent.tool_use') v(`tool_result ${r.id} answers unknown tool use ${String(r.tool_use_id)}`);
    else if (use > position.get(r.id)!) v(`tool_result ${r.id} precedes its tool use`);
  }
  for (const u of uses) {
    const mine = results.filter((r) => r.tool_use_id === u.id);
    const started = e.events.filter((ev) => ev.type === 'oma.tool_execution_started' && ev.tool_use_id === u.id);
    // A call the user denied is answered by the denial itself (the model is told) and never runs. An
    // interrupt racing the denial may also answer it, with "not run" (its step read the log just
    // before the denial was committed).
    const denial = e.events.find((ev) => ev.type === 'user.tool_confirmation' && ev.tool_use_id === u.id && ev.result === 'deny');
    if (denial && started.length > 0) v(`denied tool use ${u.id} was started`);
    if (denial && (mine.length > 1 || (mine.length === 1 && !textOf(mine[0]!).includes(NOT_RUN_NOTICE)))) v(`denied tool use ${u.id} got ${mine.length} result(s) other than "not run"`);
    if (!denial && mine.length !== 1) v(`tool use ${u.id} (${String(u.name)}) has ${mine.length} results`);
    if (started.length > 1) v(`tool use ${u.id} was started ${started.length} times`);
    const flagged = mine.some((r) => textOf(r).includes(RESTART_NOTICE));
    if (flagged && !MUTATING.has(String(u.name))) v(`read-only tool ${String(u.name)} (${u.id}) was reported as interrupted instead of re-run`);
    if (flagged && started.length === 0) v(`tool use ${u.id} reported as interrupted but never started`);
    if (u.evaluated_permission === 'ask' && started.length > 0) {
      const confirmation = e.events.findIndex((ev) => ev.type === 'user.tool_confirmation' && ev.tool_use_id === u.id);
      if (confirmation < 0 || confirmation > position.get(started[0]!.id)!) v(`always_ask tool use ${u.id} ran before it was confirmed`);
    }
  }
  const starts = e.events.filter((ev) => ev.type === 'span.model_request_start');
  for (const s of starts) {
    const ends = e.events.filter((ev) => ev.type === 'span.model_request_end' && ev.model_request_start_id === s.id);
    if (ends.length !== 1) v(`model request span ${s.id} has ${ends.length} ends`);
  }
  // A retried request must be announced as running again before it starts.
  let rescheduled = false;
  for (const ev of e.events) {
    if (ev.type === 'session.status_rescheduled') rescheduled = true;
    else if (ev.type === 'session.status_running' || ev.type === 'session.status_idle') rescheduled = false;
    else if (ev.type === 'span.model_request_start' && rescheduled) v(`model request ${ev.id} started while the session still reported status_rescheduled`);
  }
}

function checkUserMessages(e: SessionEvidence, v: Report): void {
  const messages = e.events.filter((ev) => ev.type === 'user.message');
  const processed = new Map<string, number>();
  for (const ev of e.events) {
    if (ev.type !== 'oma.user_event_processed') continue;
    for (const id of (ev.event_ids as string[]) ?? []) processed.set(id, (processed.get(id) ?? 0) + 1);
  }
  for (const i of e.events.filter((ev) => ev.type === 'user.interrupt')) {
    if (processed.get(i.id) !== 1) v(`interrupt ${i.id} was consumed ${processed.get(i.id) ?? 0} times`);
  }
  // A turn cut short by an interrupt may end without an answer; never with two.
  const interrupted = e.events.some((ev) => ev.type === 'user.interrupt');
  const tags = new Map<string, number>();
  for (const m of messages) {
    const tag = decodePlan(textOf(m))?.messageTag ?? `?${m.id}`;
    tags.set(tag, (tags.get(tag) ?? 0) + 1);
    if (m.processed_at === null) v(`user message ${m.id} (${tag}) was never processed`);
    if (processed.get(m.id) !== 1) v(`user message ${m.id} (${tag}) was consumed ${processed.get(m.id) ?? 0} times`);
  }
  const answers = new Map<string, number>();
  for (const ev of e.events) if (ev.type === 'agent.message') for (const t of answeredTags(textOf(ev))) answers.set(t, (answers.get(t) ?? 0) + 1);
  for (const tag of e.sentTags) {
    if (tags.get(tag) !== 1) v(`user message ${tag} is in the log ${tags.get(tag) ?? 0} times`);
    const answered = answers.get(tag) ?? 0;
    if (answered > 1 || (answered === 0 && !interrupted)) v(`user message ${tag} was answered ${answered} times`);
  }
  for (const [tag, id] of e.acknowledged) {
    const ev = messages.find((m) => m.id === id);
    if (!ev || decodePlan(textOf(ev))?.messageTag !== tag) v(`acknowledged user message ${id} (${tag}) is missing from the log`);
  }
}

/** bash appends its unique token once: a token twice, or an unreported run that left nothing, is a violation. */
function checkSideEffects(e: SessionEvidence, v: Report): void {
  const file = join(e.sandboxDir, EFFECTS_FILE);
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const count = new Map<string, number>();
  for (const l of lines) count.set(l, (count.get(l) ?? 0) + 1);
  const tokens = new Set<string>();
  for (const u of e.events.filter((ev) => ev.type === 'agent.tool_use')) {
    const input = u.input as { command?: string; file_path?: string; content?: string };
    const result = e.events.find((r) => r.type === 'agent.tool_result' && r.tool_use_id === u.id);
    const text = result ? textOf(result) : '';
    const flagged = text.includes(RESTART_NOTICE) || text.includes(INTERRUPT_NOTICE);
    if (u.name === 'bash') {
      const token = /^echo (\S+) >>/.exec(input.command ?? '')?.[1];
      if (!token) continue;
      if (tokens.has(token)) v(`step ${token} was asked of the model twice (a committed step repeated)`);
      tokens.add(token);
      const n = count.get(token) ?? 0;
      if (n > 1) v(`side effect ${token} ran ${n} times`);
      else if (!result && n !== 0) v(`bash ${token} was never answered (denied) but its side effect ran`);
      else if (text.includes(NOT_RUN_NOTICE) && n !== 0) v(`bash ${token} was reported as not run, but its side effect ran`);
      else if (result && !result.is_error && n !== 1) v(`bash ${token} reported success but its side effect ran ${n} times`);
      else if (result?.is_error && !flagged && !text.includes(NOT_RUN_NOTICE)) v(`bash ${token} failed without the restart notice: ${text.slice(0, 200)}`);
    } else if (u.name === 'write' && result && !result.is_error) {
      const path = join(e.sandboxDir, input.file_path ?? '');
      if (!existsSync(path) || readFileSync(path, 'utf8') !== input.content) v(`write ${input.file_path} reported success but the file is not there`);
    }
  }
  for (const token of count.keys()) if (!tokens.has(token)) v(`side effect ${token} ran but no tool use asked for it`);
}

function checkFinalState(e: SessionEvidence, v: Report): void {
  // Only client input the server consumed without a new turn (an interrupt of an idle session, a
  // late confirmation) and bookkeeping may follow the last status.
  const last = e.events.filter((ev) => /^(session|agent|span)\./.test(ev.type)).at(-1);
  const reason = last?.stop_reason as { type?: string } | undefined;
  if (last?.type !== 'session.status_idle' || reason?.type !== 'end_turn') v(`the session did not end idle with end_turn (last event: ${last?.type} ${JSON.stringify(last?.stop_reason ?? null)})`);
  if (e.session.status !== 'idle') v(`sessions.status is ${e.session.status}, expected idle`);
  const pending = e.rows.filter((r) => USER_TYPES.has(r.type) && r.processed_at === null);
  if (pending.length > 0) v(`${pending.length} user event(s) still unprocessed`);
}
