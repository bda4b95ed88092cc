/**
 * The account's own small records the reports read back exactly: equity marks (one per snapshot,
 * for the day's equity curve), risk events (breaker trips and clears) and the daily reports as
 * rendered (readable through the admin API without Resend or Supabase). History rows for Supabase
 * are written separately; these tables are the local, exact-integer copies, pruned by retention.
 */
import { z } from "zod";
import type { MoneyMicros } from "../../shared/domain.ts";
import type { RiskEvent } from "../../shared/risk/state.ts";
import type { DailyReportData } from "../notify/report-data.ts";
import { type ModuleSchema, readRows } from "./sql-schema.ts";

export const ACCOUNT_SCHEMA: ModuleSchema = {
  module: "ledger",
  migrations: [
    `CREATE TABLE equity_marks (at_ms INTEGER PRIMARY KEY, equity INTEGER NOT NULL);
     CREATE TABLE risk_events (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       at_ms INTEGER NOT NULL,
       kind TEXT NOT NULL,
       breaker TEXT NOT NULL,
       code TEXT NOT NULL,
       message TEXT NOT NULL,
       numbers TEXT NOT NULL
     );
     CREATE INDEX risk_events_at ON risk_events(at_ms);
     CREATE TABLE reports (
       day TEXT PRIMARY KEY,
       generated_ms INTEGER NOT NULL,
       delivered INTEGER NOT NULL,
       email_id TEXT,
       data TEXT NOT NULL
     );`,
  ],
};

const Mark = z.object({ at_ms: z.number().int(), equity: z.number().int() });
const EventRow = z.object({
  at_ms: z.number().int(),
  kind: z.enum(["trip", "clear"]),
  breaker: z.string(),
  code: z.string(),
  message: z.string(),
  numbers: z.string(),
});
const Numbers = z.record(z.string(), z.number());
const ReportRowLocal = z.object({
  day: z.string(),
  generated_ms: z.number().int(),
  delivered: z.number().int(),
  email_id: z.string().nullable(),
  data: z.string(),
});

export interface StoredReport {
  day: string;
  generatedMs: number;
  delivered: boolean;
  emailId: string | null;
  data: unknown;
}

export class AccountLedger {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  equityMark(atMs: number, equity: MoneyMicros): void {
    this.#sql.exec("INSERT OR REPLACE INTO equity_marks (at_ms, equity) VALUES (?, ?)", atMs, equity);
  }

  equityMarks(fromMs: number, toMs: number): { atMs: number; equity: MoneyMicros }[] {
    return readRows(
      this.#sql,
      "equity_marks",
      Mark,
      "SELECT * FROM equity_marks WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms",
      fromMs,
      toMs,
    ).map((r) => ({ atMs: r.at_ms, equity: r.equity }));
  }

  riskEvent(e: RiskEvent): void {
    this.#sql.exec(
      "INSERT INTO risk_events (at_ms, kind, breaker, code, message, numbers) VALUES (?, ?, ?, ?, ?, ?)",
      e.atMs,
      e.kind,
      e.breaker,
      e.code,
      e.message.slice(0, 500),
      JSON.stringify(e.numbers),
    );
  }

  riskEvents(
    fromMs: number,
    toMs: number,
  ): {
    atMs: number;
    kind: "trip" | "clear";
    breaker: string;
    code: string;
    message: string;
    numbers: Record<string, number>;
  }[] {
    return readRows(
      this.#sql,
      "risk_events",
      EventRow,
      "SELECT at_ms, kind, breaker, code, message, numbers FROM risk_events WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms",
      fromMs,
      toMs,
    ).map((r) => {
      const n = Numbers.safeParse(JSON.parse(r.numbers));
      return {
        atMs: r.at_ms,
        kind: r.kind,
        breaker: r.breaker,
        code: r.code,
        message: r.message,
        numbers: n.success ? n.data : {},
      };
    });
  }

  report(day: string, atMs: number, data: DailyReportData, delivered: boolean, emailId: string | null): void {
    this.#sql.exec(
      `INSERT INTO reports (day, generated_ms, delivered, email_id, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(day) DO UPDATE SET generated_ms = excluded.generated_ms,
         delivered = MAX(reports.delivered, excluded.delivered), email_id = COALESCE(excluded.email_id, reports.email_id),
         data = excluded.data`,
      day,
      atMs,
      delivered ? 1 : 0,
      emailId,
      JSON.stringify(data),
    );
  }

  reports(limit: number, day?: string): StoredReport[] {
    const rows =
      day === undefined
        ? readRows(
            this.#sql,
            "reports",
            ReportRowLocal,
            "SELECT * FROM reports ORDER BY day DESC LIMIT ?",
            limit,
          )
        : readRows(this.#sql, "reports", ReportRowLocal, "SELECT * FROM reports WHERE day = ?", day);
    return rows.map((r) => ({
      day: r.day,
      generatedMs: r.generated_ms,
      delivered: r.delivered === 1,
      emailId: r.email_id,
      data: JSON.parse(r.data) as unknown,
    }));
  }

  /** Deletes marks and events older than `beforeMs`; returns how many. */
  prune(beforeMs: number): number {
    const a = this.#sql.exec("DELETE FROM equity_marks WHERE at_ms < ?", beforeMs).rowsWritten;
    const b = this.#sql.exec("DELETE FROM risk_events WHERE at_ms < ?", beforeMs).rowsWritten;
    return a + b;
  }
}
