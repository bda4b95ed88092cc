/**
 * When the daily report is due, and its small persisted send state. The report of trading day D
 * (the calendar day in the configured zone) goes out once, after `sendAtLocalTime` on D + 1:
 * a complete day, so its figures are final and one idempotency key (`daily-report/<account>/<D>`)
 * always carries one body. Two guards keep a repeated trigger from sending twice: the stored
 * last-sent day, and Resend's idempotency key. Pure; read by the report job.
 */
import { z } from "zod";
import type { ReportConfig } from "./config.ts";
import { addDays, DAY_RE, parseLocalTime, wallClockOf } from "./trading-day.ts";

/**
 * The trading day whose report should be sent now, or null. That is the latest day whose send
 * time (`sendAtLocalTime` on the next day) has passed, unless `lastSentDay` already covers it. A
 * missed report is still sent late (after a restart, say), but never more than one day back: an
 * older day's figures stay in history.
 */
export function reportDue(lastSentDay: string | null, nowMs: number, cfg: ReportConfig): string | null {
  if (!cfg.enabled) return null;
  const now = wallClockOf(nowMs, cfg.timeZone);
  const latest = addDays(now.day, now.minutes >= parseLocalTime(cfg.sendAtLocalTime) ? -1 : -2);
  if (lastSentDay !== null && lastSentDay >= latest) return null;
  return latest;
}

/** The Resend idempotency key of a day's report. */
export function reportIdempotencyKey(account: string, day: string): string {
  return `daily-report/${account}/${day}`;
}

const Day = z.string().regex(DAY_RE);
const Ms = z.number().int().nonnegative();

/** A rendered report waiting to be (re)sent: retries send exactly this body with this key. */
export const PendingReport = z.object({
  day: Day,
  idempotencyKey: z.string(),
  subject: z.string(),
  html: z.string(),
  text: z.string(),
  attempts: z.number().int().nonnegative(),
  firstAttemptMs: Ms,
  nextAttemptMs: Ms,
  lastError: z.string().nullable(),
});
export type PendingReport = z.infer<typeof PendingReport>;

export const ReportState = z.object({
  v: z.literal(1),
  /** The last day handled: delivered, or given up on (see `lastOutcome`). */
  lastSentDay: Day.nullable(),
  pending: PendingReport.nullable(),
  lastOutcome: z.object({ day: Day, atMs: Ms, delivered: z.boolean(), detail: z.string() }).nullable(),
});
export type ReportState = z.infer<typeof ReportState>;

export function emptyReportState(): ReportState {
  return { v: 1, lastSentDay: null, pending: null, lastOutcome: null };
}
