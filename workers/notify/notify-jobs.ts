/**
 * The two scheduler jobs that send mail, as thin shells over the pure parts: `runReportJob`
 * (the daily report) and `runAlertJob` (queued alerts). They run from the account object's
 * scheduler, behind its busy flag, never on the trading path; each takes its dependencies as
 * arguments (the clock, the stored state, a data loader, a sender) and returns the state to
 * store. Neither throws for a mail failure: failures become retries or counted drops.
 */

import { renderAlert } from "./alert-render.ts";
import {
  type AlertState,
  alertIdempotencyKey,
  alertsDue,
  flushAlerts,
  type QueuedAlert,
  recordAlertResult,
} from "./alerts.ts";
import type { AlertConfig, MailSettings, ReportConfig } from "./config.ts";
import type { RenderedEmail } from "./email-html.ts";
import { type DailyReportData, type DailyReportInput, dailyReportData } from "./report-data.ts";
import { renderDailyReport } from "./report-render.ts";
import { type PendingReport, type ReportState, reportDue, reportIdempotencyKey } from "./report-schedule.ts";
import { type SendResult, sendEmail } from "./resend.ts";
import { MAX_RETRY_AGE_MS, retryDelayMs } from "./retry.ts";
import { dayBounds } from "./trading-day.ts";

/** One email to send, with its idempotency key. */
export interface OutgoingEmail extends RenderedEmail {
  idempotencyKey: string;
  /** Recipients and sender for this email, over the env's (config's `alerts.to`, `report.from` ...). */
  to?: string[];
  from?: string;
}

/** Sends one email; resolves to a result, never rejects. */
export type Send = (email: OutgoingEmail) => Promise<SendResult>;

/** A `Send` through Resend with the given settings. */
export function resendSender(settings: MailSettings, timeoutMs?: number): Send {
  return (email) =>
    sendEmail({
      apiKey: settings.apiKey,
      from: settings.from,
      to: settings.to,
      baseUrl: settings.baseUrl,
      timeoutMs,
      ...email,
    });
}

// ---------------------------------------------------------------- the daily report

export interface ReportJobDeps {
  nowMs: number;
  account: string;
  cfg: ReportConfig;
  state: ReportState;
  /** Null when mail is not configured: the job then sends nothing and changes nothing. */
  send: Send | null;
  /** The day's records (round trips, fills, snapshots, ...) from the object's tables. */
  loadInput: (
    day: string,
    bounds: { startMs: number; endMs: number },
  ) => DailyReportInput | Promise<DailyReportInput>;
  /**
   * Called with the state holding the rendered report before its first send, so that a restart
   * between the send and the save resends the same body with the same key.
   */
  persist?: (state: ReportState) => void | Promise<void>;
}

export type ReportJobOutcome =
  | "idle"
  | "not_configured"
  | "waiting"
  | "delivered"
  | "retry_scheduled"
  | "dropped"
  | "failed";

export interface ReportJobResult {
  /** The state to store. */
  state: ReportState;
  outcome: ReportJobOutcome;
  day?: string;
  /** The figures of a report rendered in this run (for history). */
  data?: DailyReportData;
  /** A reason, key-free, for `retry_scheduled`, `dropped` and `failed`. */
  detail?: string;
}

async function attemptReport(
  state: ReportState,
  pending: PendingReport,
  send: Send,
  nowMs: number,
): Promise<Omit<ReportJobResult, "data">> {
  const { subject, html, text, idempotencyKey, day } = pending;
  const r = await send({ subject, html, text, idempotencyKey });
  if (r.ok) {
    const lastSentDay = state.lastSentDay !== null && state.lastSentDay > day ? state.lastSentDay : day;
    return {
      state: {
        ...state,
        lastSentDay,
        pending: null,
        lastOutcome: { day, atMs: nowMs, delivered: true, detail: r.id },
      },
      outcome: "delivered",
      day,
    };
  }
  if (r.retryable && nowMs - pending.firstAttemptMs < MAX_RETRY_AGE_MS) {
    const attempts = pending.attempts + 1;
    const next: PendingReport = {
      ...pending,
      attempts,
      nextAttemptMs: nowMs + retryDelayMs(attempts, r.retryAfterMs),
      lastError: r.reason,
    };
    return { state: { ...state, pending: next }, outcome: "retry_scheduled", day, detail: r.reason };
  }
  const lastSentDay = state.lastSentDay !== null && state.lastSentDay > day ? state.lastSentDay : day;
  return {
    state: {
      ...state,
      lastSentDay,
      pending: null,
      lastOutcome: { day, atMs: nowMs, delivered: false, detail: r.reason },
    },
    outcome: "dropped",
    day,
    detail: r.reason,
  };
}

/** Sends the daily report when one is due (or retries the pending one). */
export async function runReportJob(deps: ReportJobDeps): Promise<ReportJobResult> {
  const { nowMs, state, send } = deps;
  // Switched off: a report rendered before is not sent either.
  if (!deps.cfg.enabled)
    return { state: state.pending === null ? state : { ...state, pending: null }, outcome: "idle" };
  if (state.pending !== null) {
    if (state.pending.nextAttemptMs > nowMs) return { state, outcome: "waiting", day: state.pending.day };
    if (send === null) return { state, outcome: "not_configured", day: state.pending.day };
    return attemptReport(state, state.pending, send, nowMs);
  }
  const day = reportDue(state.lastSentDay, nowMs, deps.cfg);
  if (day === null) return { state, outcome: "idle" };
  if (send === null) return { state, outcome: "not_configured", day };
  let data: DailyReportData;
  let email: RenderedEmail;
  try {
    data = dailyReportData(await deps.loadInput(day, dayBounds(day, deps.cfg.timeZone)));
    email = renderDailyReport(data);
  } catch (e) {
    // Nothing was sent; the next run tries again.
    return { state, outcome: "failed", day, detail: e instanceof Error ? e.message : String(e) };
  }
  const pending: PendingReport = {
    day,
    idempotencyKey: reportIdempotencyKey(deps.account, day),
    ...email,
    attempts: 0,
    firstAttemptMs: nowMs,
    nextAttemptMs: nowMs,
    lastError: null,
  };
  const withPending: ReportState = { ...state, pending };
  await deps.persist?.(withPending);
  return { ...(await attemptReport(withPending, pending, send, nowMs)), data };
}

// ---------------------------------------------------------------- alerts

export interface AlertJobDeps {
  nowMs: number;
  account: string;
  cfg: AlertConfig;
  /** Zone of the times in the emails (the report's zone). */
  timeZone: string;
  state: AlertState;
  /** Null when mail is not configured: emails stay queued (at most one per kind). */
  send: Send | null;
  /** At most this many sends per run (default 8, one per kind). */
  maxSends?: number;
}

export interface AlertJobResult {
  state: AlertState;
  /** What each attempted email came to. */
  attempts: { id: string; result: SendResult }[];
}

/** The email of a queued alert, exactly as every attempt sends it. */
export function alertEmail(account: string, timeZone: string, q: QueuedAlert): OutgoingEmail {
  return {
    ...renderAlert(q.alert, { account, timeZone, merged: q.merged }),
    idempotencyKey: alertIdempotencyKey(account, q),
  };
}

/** Turns expired counts into digests, then sends the queued alerts that are due. */
export async function runAlertJob(deps: AlertJobDeps): Promise<AlertJobResult> {
  let state = flushAlerts(deps.state, deps.nowMs, deps.cfg).state;
  const attempts: AlertJobResult["attempts"] = [];
  if (deps.send === null) return { state, attempts };
  for (const q of alertsDue(state, deps.nowMs).slice(0, deps.maxSends ?? 8)) {
    const result = await deps.send(alertEmail(deps.account, deps.timeZone, q));
    state = recordAlertResult(state, q.id, result, deps.nowMs);
    attempts.push({ id: q.id, result });
  }
  return { state, attempts };
}
