/**
 * Node tests of the two mail jobs (`notify-jobs.ts`) end to end against the local Resend stand-in
 * over real HTTP: what arrives in the mailbox after repeated triggers, failures and retries.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ReceivedEmail,
  type ResendStandIn,
  startResendStandIn,
} from "../../test/support/resend-stand-in.ts";
import { type Alert, type AlertState, emptyAlertState, planAlert } from "./alerts.ts";
import { AlertConfig, type MailSettings, ReportConfig } from "./config.ts";
import { resendSender, runAlertJob, runReportJob } from "./notify-jobs.ts";
import { emptyReportState, type ReportState } from "./report-schedule.ts";
import { sendEmail } from "./resend.ts";
import { reportInput } from "./testing/report-fixtures.ts";

let standIn: ResendStandIn;
let settings: MailSettings;
let n = 0;

beforeAll(async () => {
  standIn = await startResendStandIn();
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => {
  n += 1;
  settings = {
    apiKey: `re_node_jobs_${n}`,
    from: "Kalshi bot <bot@example.com>",
    to: ["trader@example.com"],
    baseUrl: standIn.url,
  };
});

const mailbox = (): ReceivedEmail[] => standIn.emails(settings.apiKey);

// 2026-03-10 07:05 New York (EDT): the report of 2026-03-09 is due.
const DUE = Date.parse("2026-03-10T11:05:00Z");
const reportCfg = ReportConfig.parse({});

function reportDeps(state: ReportState, nowMs: number, saved: ReportState[] = []) {
  return {
    nowMs,
    account: "default",
    cfg: reportCfg,
    state,
    send: resendSender(settings),
    loadInput: (day: string) => reportInput({ day }),
    persist: (s: ReportState) => {
      saved.push(s);
    },
  };
}

describe("runReportJob", () => {
  it("sends the previous day's report once, however often the job runs", async () => {
    let state = emptyReportState();
    const outcomes: string[] = [];
    for (const dt of [0, 0, 60_000, 3_600_000]) {
      const r = await runReportJob(reportDeps(state, DUE + dt));
      state = r.state;
      outcomes.push(r.outcome);
    }
    expect(outcomes).toEqual(["delivered", "idle", "idle", "idle"]);
    expect(mailbox().map((e) => [e.subject, e.idempotencyKey])).toEqual([
      [
        "Kalshi bot default 2026-03-09: P&L -$0.10, 4 round trips, 1 breaker trip",
        "daily-report/default/2026-03-09",
      ],
    ]);
    expect(state.lastSentDay).toBe("2026-03-09");
  });

  it("sends once when the stored state was lost after the send (the key guards)", async () => {
    await runReportJob(reportDeps(emptyReportState(), DUE));
    const again = await runReportJob(reportDeps(emptyReportState(), DUE + 1000));
    expect(again.outcome).toBe("delivered");
    expect(mailbox()).toHaveLength(1);
  });

  it("retries a failed send later with the very body it rendered first", async () => {
    standIn.failNext(settings.apiKey, { status: 503, count: 1 });
    const saved: ReportState[] = [];
    const first = await runReportJob(reportDeps(emptyReportState(), DUE, saved));
    expect(first.outcome).toBe("retry_scheduled");
    expect(mailbox()).toEqual([]);
    // what was persisted before the send is what the retry sends
    expect(saved[0]?.pending?.html).toBe(first.state.pending?.html);
    const early = await runReportJob({
      ...reportDeps(first.state, DUE + 29_999),
      loadInput: () => reportInput({ roundTrips: [] }),
    });
    expect(early.outcome).toBe("waiting");
    const retry = await runReportJob({
      ...reportDeps(first.state, DUE + 30_000),
      loadInput: () => reportInput({ roundTrips: [] }),
    });
    expect(retry.outcome).toBe("delivered");
    expect(mailbox().map((e) => e.html)).toEqual([first.state.pending?.html]);
  });

  it("gives up on a final failure and does not try that day again", async () => {
    const r = await runReportJob({
      ...reportDeps(emptyReportState(), DUE),
      send: resendSender({ ...settings, apiKey: "re_invalid" }),
    });
    expect(r.outcome).toBe("dropped");
    expect(r.state.lastOutcome).toMatchObject({ day: "2026-03-09", delivered: false });
    expect((await runReportJob(reportDeps(r.state, DUE + 60_000))).outcome).toBe("idle");
    expect(mailbox()).toEqual([]);
  });

  it("forgets a report waiting for a retry once reports are switched off", async () => {
    standIn.failNext(settings.apiKey, { status: 503, count: 1 });
    const first = await runReportJob(reportDeps(emptyReportState(), DUE));
    expect(first.state.pending).not.toBeNull();
    const off = await runReportJob({
      ...reportDeps(first.state, DUE + 60_000),
      cfg: ReportConfig.parse({ enabled: false }),
    });
    expect(off).toEqual({ state: { ...first.state, pending: null }, outcome: "idle" });
    expect(mailbox()).toEqual([]);
  });

  it("sends nothing and keeps its state when mail is not configured", async () => {
    const s = emptyReportState();
    expect(await runReportJob({ ...reportDeps(s, DUE), send: null })).toEqual({
      state: s,
      outcome: "not_configured",
      day: "2026-03-09",
    });
  });

  it("keeps its state and sends nothing when the day's records cannot be read", async () => {
    const s = emptyReportState();
    const r = await runReportJob({
      ...reportDeps(s, DUE),
      loadInput: () => {
        throw new Error("no such table: round_trips");
      },
    });
    expect(r).toEqual({
      state: s,
      outcome: "failed",
      day: "2026-03-09",
      detail: "no such table: round_trips",
    });
    expect(mailbox()).toEqual([]);
  });
});

describe("runAlertJob", () => {
  const cfg = AlertConfig.parse({});
  const T0 = Date.parse("2026-03-09T15:00:00Z");
  const trip = (breaker: string, atMs: number): Alert => ({
    kind: "breaker_trip",
    atMs,
    breaker,
    reason: "limit reached",
    numbers: {},
    tradingState: "halted",
  });

  function plan(state: AlertState, a: Alert): AlertState {
    return planAlert(state, a, a.atMs, cfg).state;
  }

  const job = (state: AlertState, nowMs: number) =>
    runAlertJob({
      nowMs,
      account: "default",
      cfg,
      timeZone: "America/New_York",
      state,
      send: resendSender(settings),
    });

  it("emails the first trip, merges the repeats into the next email, and nothing more", async () => {
    let s = plan(emptyAlertState(), trip("daily_loss", T0));
    s = (await job(s, T0)).state;
    for (let i = 1; i <= 3; i++) s = plan(s, trip("daily_loss", T0 + i * 60_000));
    s = (await job(s, T0 + 240_000)).state; // inside the window: nothing new
    s = (await job(s, T0 + 300_000)).state; // window over: one digest
    s = (await job(s, T0 + 600_000)).state;
    const got = mailbox();
    expect(got.map((e) => e.subject)).toEqual([
      "[CRITICAL] Kalshi bot default: breaker daily_loss tripped, trading halted",
      "[CRITICAL] Kalshi bot default: breaker daily_loss tripped, trading halted (+2 more)",
    ]);
    expect(got[1]?.text).toContain(
      "3 breaker_trip alerts since the previous one emailed:\n  daily_loss x3 (11:01 to 11:03)",
    );
    expect(s.queue).toEqual([]);
  });

  it("keeps an email queued through an outage and delivers it once after", async () => {
    standIn.failNext(settings.apiKey, { status: 503, count: 2 });
    let s = plan(emptyAlertState(), trip("daily_loss", T0));
    s = (await job(s, T0)).state;
    s = (await job(s, T0 + 30_000)).state;
    expect(mailbox()).toEqual([]);
    expect(s.queue[0]?.attempts).toBe(2);
    s = (await job(s, T0 + 90_000)).state;
    s = (await job(s, T0 + 200_000)).state;
    expect(mailbox()).toHaveLength(1);
    expect(s.queue).toEqual([]);
  });

  it("leaves emails queued when mail is not configured", async () => {
    const s = plan(emptyAlertState(), trip("daily_loss", T0));
    const r = await runAlertJob({
      nowMs: T0,
      account: "default",
      cfg,
      timeZone: "America/New_York",
      state: s,
      send: null,
    });
    expect(r.state.queue).toHaveLength(1);
  });
});

describe("the stand-in's Resend semantics, through sendEmail in Node", () => {
  const base = () => ({
    apiKey: settings.apiKey,
    baseUrl: standIn.url,
    from: "bot@example.com",
    to: "trader@example.com",
    subject: "s",
    html: "<p>h</p>",
    text: "t",
  });

  it("records one email after two sends with the same key", async () => {
    const a = await sendEmail({ ...base(), idempotencyKey: "daily-report/default/2026-03-09" });
    const b = await sendEmail({ ...base(), idempotencyKey: "daily-report/default/2026-03-09" });
    expect(a).toEqual(b);
    expect(mailbox()).toHaveLength(1);
  });

  it("records two emails for two keys", async () => {
    await sendEmail({ ...base(), idempotencyKey: "k/1" });
    await sendEmail({ ...base(), idempotencyKey: "k/2" });
    expect(mailbox()).toHaveLength(2);
  });

  it("answers a missing API key with 401 missing_api_key (final)", async () => {
    const res = await fetch(`${standIn.url}/emails`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      statusCode: 401,
      name: "missing_api_key",
      message: "Missing API key in the authorization header.",
    });
  });

  it("answers a body without a recipient with 422 missing_required_field (final)", async () => {
    const res = await fetch(`${standIn.url}/emails`, {
      method: "POST",
      headers: { authorization: `Bearer ${settings.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ from: "bot@example.com", subject: "s", text: "t" }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ name: "missing_required_field" });
  });

  it("refuses an idempotency key longer than 256 characters before sending anything", async () => {
    const r = await sendEmail({ ...base(), idempotencyKey: "k".repeat(257) });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(mailbox()).toEqual([]);
  });
});
