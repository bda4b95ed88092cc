/**
 * Cron jobs, picked by `controller.cron`. `CRON` must match `[triggers] crons` in
 * wrangler.toml (a test checks it). Each job is a named function of its dependencies.
 */

export const CRON = {
  /** every 5 minutes: make sure the account's feed object is running (it restarts on deploy) */
  feedKeepAlive: "*/5 * * * *",
} as const;

export interface FeedControl {
  start(): Promise<unknown>;
}

export async function feedKeepAlive(feed: FeedControl): Promise<void> {
  await feed.start();
}

export type CronJob = keyof typeof CRON;

export function jobFor(cron: string): CronJob | null {
  for (const [name, expr] of Object.entries(CRON)) if (expr === cron) return name as CronJob;
  return null;
}
