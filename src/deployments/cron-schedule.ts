/**
 * The deployment schedule: a 5-field POSIX cron expression read as wall-clock time in an IANA
 * timezone (croner does the calendar and DST arithmetic). The SDK documents that the extended
 * syntax (seconds or year fields, L, W, #, ?, @shortcuts) is not supported, so it is refused here
 * with a readable reason instead of being accepted by croner's superset.
 */
import { Cron } from 'croner';
import { InvalidRequestError } from '../errors.ts';

export interface ScheduleSpec {
  type: 'cron';
  expression: string;
  timezone: string;
}

const FIELDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;
const RANGES: Record<(typeof FIELDS)[number], [number, number]> = { minute: [0, 59], hour: [0, 23], 'day-of-month': [1, 31], month: [1, 12], 'day-of-week': [0, 7] };
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function bad(message: string): InvalidRequestError {
  return new InvalidRequestError(`schedule.expression: ${message}`);
}

/** One value of a field: a number in range, or (month, day-of-week) a three-letter name. */
function checkValue(field: (typeof FIELDS)[number], value: string, expression: string): void {
  const names = field === 'month' ? MONTHS : field === 'day-of-week' ? DAYS : [];
  if (/^[a-z]{3}$/i.test(value) && names.includes(value.toLowerCase())) return;
  if (/[LW#?]/i.test(value)) {
    throw bad(`${JSON.stringify(value)} in the ${field} field of ${JSON.stringify(expression)} is extended cron syntax (L, W, # or ?), which is not supported; use numbers, names, *, ranges (1-5), lists (1,15) and steps (*/10)`);
  }
  if (!/^\d+$/.test(value)) throw bad(`${JSON.stringify(value)} in the ${field} field of ${JSON.stringify(expression)} is not a number${names.length ? ` or a name such as ${names[1]}` : ''}`);
  const [min, max] = RANGES[field];
  const n = Number(value);
  if (n < min || n > max) throw bad(`${value} in the ${field} field of ${JSON.stringify(expression)} is out of range (${min}-${max})`);
}

function checkField(field: (typeof FIELDS)[number], text: string, expression: string): void {
  for (const part of text.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === '' || range === undefined) throw bad(`${JSON.stringify(part)} in the ${field} field of ${JSON.stringify(expression)} is not a value, range or step`);
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) throw bad(`the step ${JSON.stringify(step)} in the ${field} field of ${JSON.stringify(expression)} must be a positive number`);
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2 || bounds.some((b) => b === '')) throw bad(`${JSON.stringify(range)} in the ${field} field of ${JSON.stringify(expression)} is not a value or a range such as 1-5`);
    for (const b of bounds) checkValue(field, b, expression);
  }
}

/** Throws a 400 naming what is wrong; returns the normalised spec. */
export function validateSchedule(spec: ScheduleSpec): ScheduleSpec {
  const expression = spec.expression.trim();
  if (expression.startsWith('@')) throw bad(`predefined shortcuts such as ${JSON.stringify(expression)} are not supported; write the 5 fields, e.g. "0 0 * * *" for @daily`);
  const fields = expression.split(/\s+/);
  if (fields.length !== 5) {
    throw bad(`${JSON.stringify(expression)} has ${fields.length} field${fields.length === 1 ? '' : 's'}; a schedule has exactly 5 (minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5"), without seconds or year`);
  }
  fields.forEach((f, i) => checkField(FIELDS[i]!, f, expression));
  validateTimezone(spec.timezone);
  try {
    new Cron(expression, { timezone: spec.timezone, paused: true }).nextRun(new Date(0));
  } catch (err) {
    throw bad(`${JSON.stringify(expression)} is not a valid cron expression: ${(err as Error).message}`);
  }
  return { type: 'cron', expression, timezone: spec.timezone };
}

export function validateTimezone(timezone: string): void {
  try {
    // Throws RangeError for a name the IANA database does not know.
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new InvalidRequestError(`schedule.timezone: ${JSON.stringify(timezone)} is not an IANA timezone; use a name such as "UTC", "Europe/Berlin" or "America/Los_Angeles"`);
  }
  if (timezone.trim() === '') throw new InvalidRequestError('schedule.timezone: must not be empty; use an IANA name such as "UTC"');
}

/** The slots of a schedule strictly after `afterMs`, at most `count` of them (epoch ms). */
export function slotsAfter(spec: ScheduleSpec, afterMs: number, count: number): number[] {
  const cron = new Cron(spec.expression, { timezone: spec.timezone, paused: true });
  return cron.nextRuns(count, new Date(afterMs)).map((d) => d.getTime());
}

/** The next slot strictly after `afterMs`; null when the expression never matches again (e.g. 30 Feb). */
export function nextSlot(spec: ScheduleSpec, afterMs: number): number | null {
  return slotsAfter(spec, afterMs, 1)[0] ?? null;
}

/**
 * The missed-run policy: of the slots from `firstDue` up to `now`, only the latest is run; returns
 * it and the first slot after `now`. (After downtime, one run for the most recent missed slot, not
 * one per missed slot.) Walks forward a bounded number of slots; beyond that it asks croner for the
 * latest slot at or before now directly. `next` is always after `now`: a `next` still due would
 * fire again at the next poll, a second run for the same downtime.
 */
export function latestDueSlot(spec: ScheduleSpec, firstDue: number, now: number): { slot: number; next: number | null } {
  const cron = new Cron(spec.expression, { timezone: spec.timezone, paused: true });
  let slot = firstDue;
  for (let i = 0; i < 2000; i++) {
    const n = cron.nextRun(new Date(slot))?.getTime();
    if (n === undefined || n > now) return { slot, next: n ?? null };
    slot = n;
  }
  // Long downtime of a frequent schedule (a look-back window could hold more slots than one page,
  // e.g. every minute of days 1-3): the most recent slot, counted back from now. previousRuns
  // includes a slot earlier in the same second as its reference, hence now + 1.
  const latest = cron.previousRuns(1, new Date(now + 1))[0]?.getTime();
  return { slot: latest !== undefined && latest > slot && latest <= now ? latest : slot, next: cron.nextRun(new Date(now))?.getTime() ?? null };
}
