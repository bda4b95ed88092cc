/**
 * Trading days in a configured IANA time zone (America/New_York by default): which day an
 * instant belongs to, and the [start, end) window of a day in Unix ms, correct across daylight
 * saving time (a spring-forward day lasts 23 hours, a fall-back day 25). Pure: the clock and the
 * zone are arguments. Used by the daily report (its window, its schedule) and by alert rendering.
 *
 * A trading day here is the calendar day in the zone, 00:00 to 24:00 local time. Local wall
 * clock readings come from `Intl.DateTimeFormat` (full ICU in workerd and in Node).
 */

/** `YYYY-MM-DD`. */
export const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** `HH:MM`, 00:00 to 23:59. */
export const LOCAL_TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    // Throws RangeError for an unknown zone; callers validate zones at the config boundary.
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** What the wall clock in `timeZone` reads at `ms`. */
export interface WallClock {
  /** `YYYY-MM-DD` */
  day: string;
  /** Minutes since local midnight, 0..1439. */
  minutes: number;
  /** The reading as if it were UTC (Date.UTC of the fields), for offset arithmetic. */
  wallMs: number;
}

export function wallClockOf(ms: number, timeZone: string): WallClock {
  if (!Number.isFinite(ms)) throw new RangeError(`time ${String(ms)} is not a finite number of ms`);
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const p of parts) {
    if (p.type === "year") y = Number(p.value);
    else if (p.type === "month") mo = Number(p.value);
    else if (p.type === "day") d = Number(p.value);
    else if (p.type === "hour") h = Number(p.value);
    else if (p.type === "minute") mi = Number(p.value);
    else if (p.type === "second") s = Number(p.value);
  }
  const subSecond = ((ms % 1000) + 1000) % 1000;
  return {
    day: `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`,
    minutes: h * 60 + mi,
    wallMs: Date.UTC(y, mo - 1, d, h, mi, s) + subSecond,
  };
}

/** The trading day (`YYYY-MM-DD`) that `nowMs` falls in. */
export function tradingDayOf(nowMs: number, timeZone: string): string {
  return wallClockOf(nowMs, timeZone).day;
}

/** Parses `YYYY-MM-DD` (a real calendar date) into UTC midnight ms of that date; throws otherwise. */
export function parseDay(day: string): number {
  const m = DAY_RE.exec(day);
  if (m === null) throw new RangeError(`day ${JSON.stringify(day)} is not YYYY-MM-DD`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`day ${JSON.stringify(day)} is not a calendar date`);
  }
  return ms;
}

/** `day` plus `n` calendar days. */
export function addDays(day: string, n: number): string {
  return new Date(parseDay(day) + n * DAY_MS).toISOString().slice(0, 10);
}

/** `"17:05"` -> 1025 minutes; throws on anything else. */
export function parseLocalTime(hhmm: string): number {
  const m = LOCAL_TIME_RE.exec(hhmm);
  if (m === null) throw new RangeError(`local time ${JSON.stringify(hhmm)} is not HH:MM (00:00 to 23:59)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * The first instant at which the wall clock in `timeZone` reads `day` at `minutes` past midnight
 * or later. In a fall-back repeat that is the first of the two readings; in a spring-forward gap
 * (the reading never happens) it is the instant the clocks jump.
 */
export function localInstant(day: string, minutes: number, timeZone: string): number {
  const target = parseDay(day) + minutes * MINUTE_MS;
  // The zone's offsets a day and a half either side: at most one transition lies between.
  const offsets = new Set([
    wallClockOf(target - 1.5 * DAY_MS, timeZone).wallMs - (target - 1.5 * DAY_MS),
    wallClockOf(target + 1.5 * DAY_MS, timeZone).wallMs - (target + 1.5 * DAY_MS),
    wallClockOf(target, timeZone).wallMs - target,
  ]);
  const candidates = [...offsets].map((o) => target - o).sort((a, b) => a - b);
  for (const c of candidates) if (wallClockOf(c, timeZone).wallMs === target) return c;
  // A gap: find the jump between the candidates (wall time is increasing there but for the jump).
  let lo = candidates[0] as number;
  let hi = candidates[candidates.length - 1] as number;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClockOf(mid, timeZone).wallMs >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The trading day's window: `startMs` inclusive, `endMs` exclusive (the next day's start). */
export function dayBounds(day: string, timeZone: string): { startMs: number; endMs: number } {
  return { startMs: localInstant(day, 0, timeZone), endMs: localInstant(addDays(day, 1), 0, timeZone) };
}
