/**
 * Node tests of the cron jobs (`schedule.ts`): the schedule matches wrangler.toml, each expression
 * runs its jobs in order, the watchdog never starts a stopped account, a snapshot is taken only of
 * a running one, and a failing job does not stop the next.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CRON, type CronAccount, jobsFor, runCron } from "./schedule.ts";

function fakeAccount(running: boolean, rearm = false) {
  const calls: string[] = [];
  const a: CronAccount = {
    watchdog: async () => {
      calls.push("watchdog");
      return { running, rearmed: running && rearm };
    },
    snapshot: async () => {
      calls.push("snapshot");
      return {};
    },
    flushHistory: async () => {
      calls.push("flush");
      return { ok: true };
    },
    retention: async () => {
      calls.push("retention");
      return { ok: true };
    },
    status: async () => ({ running }),
  };
  return { a, calls };
}

describe("cron schedule", () => {
  it("lists exactly the crons that wrangler.toml triggers", () => {
    const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    const line = /^crons\s*=\s*\[(.*)\]/m.exec(toml);
    expect(line).not.toBeNull();
    const crons = [...(line?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(crons.sort()).toEqual(Object.values(CRON).sort());
  });

  it("picks the jobs by cron expression and none for an unknown one", () => {
    expect(jobsFor("*/5 * * * *")).toEqual(["snapshot", "flush"]);
    expect(jobsFor("* * * * *")).toEqual(["watchdog"]);
    expect(jobsFor("17 4 * * *")).toEqual(["retention"]);
    expect(jobsFor("0 0 * * *")).toEqual([]);
  });

  it("the watchdog re-arms a running account and leaves a stopped one stopped", async () => {
    const running = fakeAccount(true, true);
    expect(await runCron(CRON.everyMinute, running.a)).toEqual({ watchdog: "alarm re-armed" });
    const stopped = fakeAccount(false);
    expect(await runCron(CRON.everyMinute, stopped.a)).toEqual({ watchdog: "not running" });
    expect(stopped.calls).toEqual(["watchdog"]);
  });

  it("takes a snapshot only of a running account, and flushes either way", async () => {
    const stopped = fakeAccount(false);
    expect(await runCron(CRON.fiveMinutes, stopped.a)).toEqual({ snapshot: "not running", flush: "flushed" });
    expect(stopped.calls).toEqual(["flush"]);
    const running = fakeAccount(true);
    await runCron(CRON.fiveMinutes, running.a);
    expect(running.calls).toEqual(["snapshot", "flush"]);
  });

  it("a failing job is reported and the next one still runs", async () => {
    const { a, calls } = fakeAccount(true);
    a.snapshot = async () => {
      throw new Error("boom");
    };
    const r = await runCron(CRON.fiveMinutes, a);
    expect(r.snapshot).toMatch(/^failed: .*boom/);
    expect(r.flush).toBe("flushed");
    expect(calls).toEqual(["flush"]);
  });

  it("an unknown expression runs nothing and says so", async () => {
    const { a, calls } = fakeAccount(true);
    expect(await runCron("0 0 * * *", a)).toEqual({ error: 'no job for schedule "0 0 * * *"' });
    expect(calls).toEqual([]);
  });
});
