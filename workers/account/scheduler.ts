/**
 * The account object's scheduler: one table (`schedule`) saying when each slow job next runs, and
 * one alarm. The object's alarm handler first runs the liveness heartbeat (which never waits on a
 * paged REST read), then starts every job that is due and not already running, without waiting
 * for it, and re-arms the alarm at the earlier of the next heartbeat and the next due job.
 *
 * A job that fails is retried with exponential backoff (base doubling to its interval, at most
 * `maxBackoffMs`); `runSoon` brings a job forward (a reconnect asks for reconciliation now, a
 * lifecycle event for a universe refresh). Jobs run behind a busy flag, so a slow one is never
 * started twice; a restart clears the flags (the work died with the isolate) and keeps the
 * table, so due times survive.
 *
 * Modelled on cloudflare/agents' `schedule()`: one table, one alarm.
 */
import { z } from "zod";
import { type ModuleSchema, readRows } from "./sql-schema.ts";

export const SCHEDULER_SCHEMA: ModuleSchema = {
  module: "scheduler",
  migrations: [
    `CREATE TABLE schedule (
      job TEXT PRIMARY KEY,
      next_ms INTEGER NOT NULL,
      interval_ms INTEGER NOT NULL,
      last_started_ms INTEGER,
      last_finished_ms INTEGER,
      last_ok INTEGER,
      failures INTEGER NOT NULL DEFAULT 0,
      last_error TEXT
    )`,
  ],
};

const Row = z.object({
  job: z.string(),
  next_ms: z.number().int(),
  interval_ms: z.number().int(),
  last_started_ms: z.number().int().nullable(),
  last_finished_ms: z.number().int().nullable(),
  last_ok: z.number().int().nullable(),
  failures: z.number().int(),
  last_error: z.string().nullable(),
});
export type JobRow = z.infer<typeof Row>;

/** What a job reports back; `ok: false` schedules a retry with backoff. */
export type JobOutcome =
  /** `againInMs`: the job wants its next run this soon (sooner than its period) */
  { ok: true; detail?: string; againInMs?: number } | { ok: false; error: string };

export interface JobSpec {
  /** Period between successful runs (ms). */
  intervalMs: number;
  /** Retry after a failure starts here and doubles (default 1 s). */
  retryBaseMs?: number;
  run: () => Promise<JobOutcome>;
}

export interface JobStatus {
  job: string;
  running: boolean;
  nextInMs: number;
  intervalMs: number;
  lastOk: boolean | null;
  lastFinishedAgoMs: number | null;
  failures: number;
  lastError: string | null;
}

/** Backoff after `failures` consecutive failures: base doubling, capped at the interval (and 5 min). */
export function retryDelayMs(failures: number, baseMs: number, intervalMs: number): number {
  const cap = Math.min(Math.max(intervalMs, baseMs), 5 * 60_000);
  return Math.min(cap, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 20));
}

export class Scheduler {
  readonly #sql: SqlStorage;
  readonly #nowMs: () => number;
  readonly #jobs = new Map<string, JobSpec>();
  readonly #running = new Set<string>();
  readonly #log: (event: string, data?: Record<string, unknown>) => void;

  constructor(
    sql: SqlStorage,
    nowMs: () => number,
    log: (event: string, data?: Record<string, unknown>) => void,
  ) {
    this.#sql = sql;
    this.#nowMs = nowMs;
    this.#log = log;
  }

  /** Registers a job; a new one is due `firstInMs` from now, a known one keeps its due time. */
  define(name: string, spec: JobSpec, firstInMs = 0): void {
    this.#jobs.set(name, spec);
    this.#sql.exec(
      "INSERT INTO schedule (job, next_ms, interval_ms) VALUES (?, ?, ?) ON CONFLICT(job) DO UPDATE SET interval_ms = excluded.interval_ms",
      name,
      this.#nowMs() + firstInMs,
      spec.intervalMs,
    );
  }

  /** Changes a job's period (config applied live); its next run moves no later than now + interval. */
  setInterval(name: string, intervalMs: number): void {
    const spec = this.#jobs.get(name);
    if (!spec) return;
    spec.intervalMs = intervalMs;
    this.#sql.exec(
      "UPDATE schedule SET interval_ms = ?, next_ms = MIN(next_ms, ?) WHERE job = ?",
      intervalMs,
      this.#nowMs() + intervalMs,
      name,
    );
  }

  /** Brings a job forward to run at the next alarm (or `inMs` from now if sooner than planned). */
  runSoon(name: string, inMs = 0): void {
    this.#sql.exec("UPDATE schedule SET next_ms = MIN(next_ms, ?) WHERE job = ?", this.#nowMs() + inMs, name);
  }

  rows(): JobRow[] {
    return readRows(this.#sql, "schedule", Row, "SELECT * FROM schedule ORDER BY job");
  }

  /** Starts every due job that is not running; returns their promises (the alarm does not wait for them). */
  startDue(): Promise<void>[] {
    const now = this.#nowMs();
    const out: Promise<void>[] = [];
    for (const r of this.rows()) {
      const spec = this.#jobs.get(r.job);
      if (!spec || r.next_ms > now || this.#running.has(r.job)) continue;
      out.push(this.#run(r.job, spec));
    }
    return out;
  }

  /** Runs one job now (tests, admin), unless it is running. */
  runNow(name: string): Promise<void> {
    const spec = this.#jobs.get(name);
    if (!spec || this.#running.has(name)) return Promise.resolve();
    return this.#run(name, spec);
  }

  async #run(name: string, spec: JobSpec): Promise<void> {
    this.#running.add(name);
    const started = this.#nowMs();
    this.#sql.exec("UPDATE schedule SET last_started_ms = ? WHERE job = ?", started, name);
    let outcome: JobOutcome;
    try {
      outcome = await spec.run();
    } catch (err) {
      outcome = { ok: false, error: `threw: ${String(err).slice(0, 300)}` };
    } finally {
      this.#running.delete(name);
    }
    const now = this.#nowMs();
    const row = this.rows().find((r) => r.job === name);
    const failures = outcome.ok ? 0 : (row?.failures ?? 0) + 1;
    const planned = row?.next_ms ?? now;
    // A runSoon during the run (next_ms moved before the start) asks for another run right away.
    const askedAgain = planned <= now && planned > started;
    const next = outcome.ok
      ? askedAgain
        ? now
        : now + Math.min(spec.intervalMs, outcome.againInMs ?? spec.intervalMs)
      : now + retryDelayMs(failures, spec.retryBaseMs ?? 1_000, spec.intervalMs);
    this.#sql.exec(
      "UPDATE schedule SET next_ms = ?, last_finished_ms = ?, last_ok = ?, failures = ?, last_error = ? WHERE job = ?",
      next,
      now,
      outcome.ok ? 1 : 0,
      failures,
      outcome.ok ? null : outcome.error.slice(0, 500),
      name,
    );
    if (!outcome.ok && (failures === 1 || failures % 10 === 0))
      this.#log("job.failed", { job: name, failures, error: outcome.error.slice(0, 300) });
  }

  /** Earliest due time of any job not running (ms), or null when none. */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const r of this.rows()) {
      if (!this.#jobs.has(r.job) || this.#running.has(r.job)) continue;
      if (next === null || r.next_ms < next) next = r.next_ms;
    }
    return next;
  }

  running(name: string): boolean {
    return this.#running.has(name);
  }

  status(): JobStatus[] {
    const now = this.#nowMs();
    return this.rows()
      .filter((r) => this.#jobs.has(r.job))
      .map((r) => ({
        job: r.job,
        running: this.#running.has(r.job),
        nextInMs: Math.max(0, r.next_ms - now),
        intervalMs: r.interval_ms,
        lastOk: r.last_ok === null ? null : r.last_ok === 1,
        lastFinishedAgoMs: r.last_finished_ms === null ? null : now - r.last_finished_ms,
        failures: r.failures,
        lastError: r.last_error,
      }));
  }
}
