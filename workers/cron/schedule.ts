/**
 * Cron jobs, picked by `controller.cron`. `CRON` must match `[triggers] crons` in wrangler.toml
 * (a test checks it). Each job is a named function of its dependencies (the account object's RPC
 * surface), so tests run it with a fake or with the real object through
 * `createScheduledController`. Work that must run inside the object (flushing its outbox, taking a
 * snapshot of its state) is asked of it over RPC; the cron never starts trading on its own.
 */

export const CRON = {
  /** every 5 minutes: the account snapshot (equity curve, history), then the outbox flush */
  fiveMinutes: "*/5 * * * *",
  /** every minute: the alarm watchdog (a deploy or a crash may have lost the object's alarm) */
  everyMinute: "* * * * *",
  /** daily at 04:17 UTC: history retention */
  daily: "17 4 * * *",
} as const;

export type CronName = keyof typeof CRON;

/** The account object as the cron jobs see it (a subset of its RPC methods). */
export interface CronAccount {
  watchdog(): Promise<{ running: boolean; rearmed: boolean }>;
  snapshot(): Promise<unknown>;
  flushHistory(): Promise<{ ok: boolean; error?: string }>;
  retention(): Promise<{ ok: boolean }>;
  status(): Promise<{ running: boolean }>;
}

export type JobName = "watchdog" | "snapshot" | "flush" | "retention";

/** Which jobs a cron expression runs, in order; empty for an expression we do not know. */
export function jobsFor(cron: string): JobName[] {
  switch (cron) {
    case CRON.fiveMinutes:
      return ["snapshot", "flush"];
    case CRON.everyMinute:
      return ["watchdog"];
    case CRON.daily:
      return ["retention"];
    default:
      return [];
  }
}

/** Re-arms a running account's alarm when it is missing or late. Never starts a stopped one. */
export async function watchdogJob(account: CronAccount): Promise<string> {
  const r = await account.watchdog();
  return r.running ? (r.rearmed ? "alarm re-armed" : "alarm in place") : "not running";
}

/** A snapshot of a running account (balance, portfolio value, exposure, positions, P&L). */
export async function snapshotJob(account: CronAccount): Promise<string> {
  if (!(await account.status()).running) return "not running";
  await account.snapshot();
  return "snapshot taken";
}

export async function flushJob(account: CronAccount): Promise<string> {
  const r = await account.flushHistory();
  return r.ok ? "flushed" : `flush failed: ${r.error ?? "unknown"}`;
}

export async function retentionJob(account: CronAccount): Promise<string> {
  await account.retention();
  return "retention applied";
}

const JOBS: Record<JobName, (a: CronAccount) => Promise<string>> = {
  watchdog: watchdogJob,
  snapshot: snapshotJob,
  flush: flushJob,
  retention: retentionJob,
};

/**
 * Runs the jobs of `cron` one after the other; one failing does not stop the next. Returns what
 * each did, for the log line.
 */
export async function runCron(cron: string, account: CronAccount): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const jobs = jobsFor(cron);
  if (jobs.length === 0) return { error: `no job for schedule ${JSON.stringify(cron)}` };
  for (const j of jobs) {
    try {
      out[j] = await JOBS[j](account);
    } catch (err) {
      out[j] = `failed: ${String(err).slice(0, 200)}`;
    }
  }
  return out;
}
