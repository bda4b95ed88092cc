/**
 * The account's notifications: alert de-duplication and queueing state and the daily report's
 * state, in one checked row (`notify_state`), and the two scheduler jobs that send them through
 * Resend. An event anywhere in the account becomes an alert with `alert(...)`: synchronous, no
 * I/O, never blocking trading; the alert job sends what is due later, and a failed send is retried
 * by the policy in `workers/notify/alerts.ts`. Without mail configured, alerts stay queued (one per
 * kind) and are still recorded in history.
 */
import { z } from "zod";
import { alertRow, guardRows, type JsonObject, newEventId } from "../history/rows.ts";
import { appendHistory } from "../history/store.ts";
import { renderAlert } from "../notify/alert-render.ts";
import { type Alert, AlertState, emptyAlertState, planAlert } from "../notify/alerts.ts";
import type { AlertConfig, ReportConfig } from "../notify/config.ts";
import { type OutgoingEmail, runAlertJob, runReportJob, type Send } from "../notify/notify-jobs.ts";
import {
  type DailyReportData,
  type DailyReportInput,
  dailyReportData,
  dayBounds,
} from "../notify/report-data.ts";
import { renderDailyReport } from "../notify/report-render.ts";
import { emptyReportState, ReportState } from "../notify/report-schedule.ts";
import type { JobOutcome } from "./scheduler.ts";
import { type ModuleSchema, readRow } from "./sql-schema.ts";

export const NOTIFY_SCHEMA: ModuleSchema = {
  module: "notify",
  migrations: [
    `CREATE TABLE notify_state (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      alerts TEXT NOT NULL,
      report TEXT NOT NULL,
      updated_ms INTEGER NOT NULL
    )`,
  ],
};

const Row = z.object({ alerts: z.string(), report: z.string() });

/** How loud each alert kind is in the history's `alerts` table. */
const SEVERITY: Record<Alert["kind"], "info" | "warning" | "critical"> = {
  breaker_trip: "critical",
  critical_error: "critical",
  recon_difference: "warning",
  feed_loss: "warning",
  outbox_near_bound: "warning",
  resume: "info",
  position_opened: "info",
  position_closed: "info",
};

export interface NotifierDeps {
  sql: SqlStorage;
  account: string;
  nowMs: () => number;
  alertConfig: () => AlertConfig;
  reportConfig: () => ReportConfig;
  /** Null when mail is not configured. */
  send: Send | null;
  loadReportInput: (day: string, bounds: { startMs: number; endMs: number }) => DailyReportInput;
  /** A rendered report's figures, for history. */
  onReport: (day: string, data: DailyReportData, delivered: boolean, emailId: string | null) => void;
  log: (event: string, data?: Record<string, unknown>) => void;
}

function parseOr<T>(schema: z.ZodType<T>, text: string, fallback: () => T): T {
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : fallback();
  } catch {
    return fallback();
  }
}

export class Notifier {
  readonly #d: NotifierDeps;
  #alerts: AlertState;
  #report: ReportState;

  constructor(deps: NotifierDeps) {
    this.#d = deps;
    const r = readRow(deps.sql, "notify_state", Row, "SELECT alerts, report FROM notify_state WHERE id = 1");
    this.#alerts = r ? parseOr(AlertState, r.alerts, emptyAlertState) : emptyAlertState();
    this.#report = r ? parseOr(ReportState, r.report, emptyReportState) : emptyReportState();
  }

  get mailConfigured(): boolean {
    return this.#d.send !== null;
  }

  /** Queues an alert (de-duplicated and rate-limited per kind). Synchronous: safe on any path. */
  alert(a: Alert): void {
    const now = this.#d.nowMs();
    const p = planAlert(this.#alerts, a, now, this.#d.alertConfig());
    this.#alerts = p.state;
    this.#save();
    // Every alert raised is recorded, emailed or not (mail off, de-duplicated, kind disabled).
    const account = this.#d.account;
    appendHistory(
      this.#d.sql,
      guardRows(account, now, () => [
        alertRow(account, {
          eventId: newEventId("alert", now),
          atMs: now,
          kind: a.kind,
          severity: SEVERITY[a.kind],
          message: renderAlert(a, { account }).subject.slice(0, 500),
          details: JSON.parse(JSON.stringify(a)) as JsonObject,
          deliveredMs: null,
        }),
      ]),
      now,
    );
  }

  /** Sends with the addresses config names for `kind` (`alerts.to` / `report.from` ...) over the env's. */
  #sender(cfg: { to?: string[] | undefined; from?: string | undefined }): Send | null {
    const send = this.#d.send;
    if (send === null) return null;
    return (email: OutgoingEmail) =>
      send({
        ...email,
        ...(cfg.to !== undefined ? { to: cfg.to } : {}),
        ...(cfg.from !== undefined ? { from: cfg.from } : {}),
      });
  }

  state(): { alerts: AlertState; report: ReportState } {
    return { alerts: this.#alerts, report: this.#report };
  }

  async alertJob(): Promise<JobOutcome> {
    const r = await runAlertJob({
      nowMs: this.#d.nowMs(),
      account: this.#d.account,
      cfg: this.#d.alertConfig(),
      timeZone: this.#d.reportConfig().timeZone,
      state: this.#alerts,
      send: this.#sender(this.#d.alertConfig()),
    });
    this.#alerts = r.state;
    this.#save();
    const failed = r.attempts.filter((a) => !a.result.ok).length;
    return failed === 0
      ? { ok: true, detail: `${r.attempts.length} sent` }
      : { ok: false, error: `${failed} of ${r.attempts.length} alert emails failed` };
  }

  /** Sends the daily report when one is due; `force` renders and sends `day`'s report now (admin). */
  async reportJob(): Promise<JobOutcome & { day?: string }> {
    const r = await runReportJob({
      nowMs: this.#d.nowMs(),
      account: this.#d.account,
      cfg: this.#d.reportConfig(),
      state: this.#report,
      send: this.#sender(this.#d.reportConfig()),
      loadInput: (day, bounds) => this.#d.loadReportInput(day, bounds),
      persist: (s) => {
        this.#report = s;
        this.#save();
      },
    });
    this.#report = r.state;
    this.#save();
    if (r.data && r.day) {
      const delivered = r.outcome === "delivered";
      this.#d.onReport(r.day, r.data, delivered, delivered ? (r.state.lastOutcome?.detail ?? null) : null);
    }
    if (r.outcome === "failed") return { ok: false, error: r.detail ?? "report failed" };
    return { ok: true, detail: r.outcome, ...(r.day ? { day: r.day } : {}) };
  }

  /**
   * Renders `day`'s report (today so far, by default) and sends it now, outside the daily schedule:
   * its own idempotency key (per minute), so it never blocks or replaces the scheduled one.
   */
  async sendNow(
    day: string,
  ): Promise<{ ok: boolean; day: string; subject: string; delivered: boolean; detail: string }> {
    const cfg = this.#d.reportConfig();
    const data = dailyReportData(this.#d.loadReportInput(day, dayBounds(day, cfg.timeZone)));
    const email = renderDailyReport(data);
    if (this.#d.send === null) {
      this.#d.onReport(day, data, false, null);
      return {
        ok: true,
        day,
        subject: email.subject,
        delivered: false,
        detail: "mail is not configured: stored only",
      };
    }
    const minute = Math.floor(this.#d.nowMs() / 60_000);
    const r = await (this.#sender(this.#d.reportConfig()) ?? this.#d.send)({
      ...email,
      idempotencyKey: `report-now/${this.#d.account}/${day}/${minute}`,
    });
    this.#d.onReport(day, data, r.ok, r.ok ? r.id : null);
    return r.ok
      ? { ok: true, day, subject: email.subject, delivered: true, detail: r.id }
      : { ok: false, day, subject: email.subject, delivered: false, detail: r.reason };
  }

  #save(): void {
    this.#d.sql.exec(
      "INSERT INTO notify_state (id, alerts, report, updated_ms) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET alerts = excluded.alerts, report = excluded.report, updated_ms = excluded.updated_ms",
      JSON.stringify(this.#alerts),
      JSON.stringify(this.#report),
      this.#d.nowMs(),
    );
  }
}
