/**
 * The Worker's `scheduled` handler in workerd, with `createScheduledController`, against the real
 * account object (named for the test environment, `sim:default`): the watchdog leaves a stopped
 * account without an alarm and re-arms a running one's; the five-minute cron records a snapshot in
 * the object's history; the daily cron runs retention.
 */
import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accountKeyOf } from "../../workers/account/account-object.ts";
import { CRON } from "../../workers/cron/schedule.ts";
import { queryHistory } from "../../workers/history/store.ts";
import worker from "../../workers/index.ts";
import { accountHarness } from "../support/account-harness.ts";

async function runCron(cron: string): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const stub = () => env.ACCOUNT.getByName(accountKeyOf(env));
const alarmAt = () => runInDurableObject(stub(), (_o, state) => state.storage.getAlarm());

describe("cron jobs against the account object", () => {
  it("never arms a stopped account, re-arms a running one, and records snapshots every five minutes", async () => {
    expect(accountKeyOf(env)).toBe("sim:default");
    await runCron(CRON.everyMinute);
    expect(await alarmAt()).toBeNull(); // stopped: the cron does not start trading

    const h = accountHarness(accountKeyOf(env));
    h.clock.now = Date.now(); // the re-armed alarm fires and re-arms itself on this clock
    await h.install();
    await h.inObj((a) => a.start()); // the harness arms no alarm
    expect(await alarmAt()).toBeNull();
    await runCron(CRON.everyMinute);
    // Re-armed for now, the alarm fires at once and re-arms itself when its heartbeat ends.
    let at: number | null = null;
    for (let i = 0; i < 500 && at === null; i++) at = await alarmAt();
    expect(at).not.toBeNull();

    await runCron(CRON.fiveMinutes);
    const snapshots = await runInDurableObject(stub(), (_o, state) => {
      const r = queryHistory(state.storage.sql, "account_snapshots", { limit: 10 });
      return r.ok ? r.page.items.length : -1;
    });
    expect(snapshots).toBe(1);
    await runCron(CRON.daily);
    await stub().stop();
  });
});
