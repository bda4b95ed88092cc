/**
 * Node tests of the report schedule (`report-schedule.ts`) and the notification config
 * (`config.ts`): when a report is due, and what the schemas accept and default to.
 */
import { describe, expect, it } from "vitest";
import { AlertConfig, mailSettings, ReportConfig } from "./config.ts";
import { reportDue, reportIdempotencyKey } from "./report-schedule.ts";

const cfg = ReportConfig.parse({}); // 07:00 America/New_York
const at = (s: string) => Date.parse(s);

describe("reportDue", () => {
  it.each([
    // 2026-03-10 is EDT (UTC-4): 07:00 local = 11:00Z
    ["just before the send time", "2026-03-10T10:59:59.999Z", null, "2026-03-08"],
    ["at the send time", "2026-03-10T11:00:00.000Z", null, "2026-03-09"],
    ["at the send time, the day already sent", "2026-03-10T11:00:00.000Z", "2026-03-09", null],
    ["later that day, already sent", "2026-03-10T23:00:00.000Z", "2026-03-09", null],
    [
      "before the send time, yesterday's report missed",
      "2026-03-10T10:00:00.000Z",
      "2026-03-07",
      "2026-03-08",
    ],
    ["after a long outage: the latest day only", "2026-03-10T12:00:00.000Z", "2026-02-01", "2026-03-09"],
    // the spring-forward morning (EST until 07:00Z, EDT after)
    ["on the DST morning just before 07:00 EDT", "2026-03-08T10:59:59.999Z", "2026-03-06", null],
    ["on the DST morning at 07:00 EDT", "2026-03-08T11:00:00.000Z", "2026-03-06", "2026-03-07"],
  ])("%s (%s, last sent %s) -> %s", (_label, now, last, want) => {
    expect(reportDue(last, at(now), cfg)).toBe(want);
  });

  it("never asks twice for one day, however often it is triggered", () => {
    const trigger = at("2026-03-10T11:05:00Z");
    const first = reportDue(null, trigger, cfg);
    expect(first).toBe("2026-03-09");
    expect(reportDue(first, trigger, cfg)).toBeNull();
    expect(reportDue(first, trigger + 60_000, cfg)).toBeNull();
  });

  it("follows the configured time and zone", () => {
    const london = ReportConfig.parse({ sendAtLocalTime: "17:30", timeZone: "Europe/London" });
    expect(reportDue(null, at("2026-06-02T16:29:59Z"), london)).toBe("2026-05-31");
    expect(reportDue(null, at("2026-06-02T16:30:00Z"), london)).toBe("2026-06-01");
  });

  it("is never due when the report is disabled", () => {
    expect(reportDue(null, at("2026-03-10T12:00:00Z"), ReportConfig.parse({ enabled: false }))).toBeNull();
  });

  it("keys a day's report by account and day", () => {
    expect(reportIdempotencyKey("default", "2026-03-09")).toBe("daily-report/default/2026-03-09");
  });
});

describe("ReportConfig", () => {
  it("defaults to 07:00 New York, enabled", () => {
    expect(ReportConfig.parse({})).toEqual({
      enabled: true,
      sendAtLocalTime: "07:00",
      timeZone: "America/New_York",
    });
  });

  it.each([
    [{ sendAtLocalTime: "24:00" }, "local time"],
    [{ sendAtLocalTime: "7:00" }, "local time"],
    [{ timeZone: "Eastern" }, "IANA"],
    [{ sendAt: "07:00" }, "sendAt"],
  ])("refuses %j with a message naming the problem", (input, words) => {
    const r = ReportConfig.safeParse(input);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(words);
  });
});

describe("AlertConfig", () => {
  it("defaults to enabled, a 5-minute window per kind and no overrides", () => {
    expect(AlertConfig.parse({})).toEqual({ enabled: true, perKindWindowMs: 300_000, perKind: {} });
  });

  it("reads recipients from one comma-separated string", () => {
    expect(AlertConfig.parse({ to: "a@example.com, b@example.com" }).to).toEqual([
      "a@example.com",
      "b@example.com",
    ]);
  });

  it.each([
    [{ perKind: { breaker: { windowMs: 1 } } }],
    [{ perKind: { feed_loss: { windowMs: -1 } } }],
    [{ perKindWindowMs: 1.5 }],
    [{ to: ["not-an-address"] }],
    [{ from: "Bot <nope>" }],
  ])("refuses %j", (input) => {
    expect(AlertConfig.safeParse(input).success).toBe(false);
  });

  it("accepts a named sender", () => {
    expect(AlertConfig.parse({ from: "Kalshi bot <bot@example.com>" }).from).toBe(
      "Kalshi bot <bot@example.com>",
    );
  });
});

describe("mailSettings", () => {
  const env = {
    RESEND_API_KEY: "re_secret_value",
    REPORT_EMAIL_FROM: "Kalshi bot <bot@example.com>",
    REPORT_EMAIL_TO: "trader@example.com,ops@example.com",
  };

  it("takes the key and the addresses from the env", () => {
    expect(mailSettings(env)).toEqual({
      ok: true,
      settings: {
        apiKey: "re_secret_value",
        from: "Kalshi bot <bot@example.com>",
        to: ["trader@example.com", "ops@example.com"],
        baseUrl: undefined,
      },
    });
  });

  it("lets the config's addresses win over the env's", () => {
    const r = mailSettings(env, { to: ["desk@example.com"], from: "desk@example.com" });
    expect(r.ok && r.settings.to).toEqual(["desk@example.com"]);
    expect(r.ok && r.settings.from).toBe("desk@example.com");
  });

  it.each([
    [{ RESEND_API_KEY: "" }, "RESEND_API_KEY is not set"],
    [{ REPORT_EMAIL_TO: "" }, "REPORT_EMAIL_TO is empty"],
    [{ REPORT_EMAIL_TO: "trader" }, "REPORT_EMAIL_TO has an address that is not valid"],
    [{ REPORT_EMAIL_FROM: "" }, "REPORT_EMAIL_FROM is not a sender address"],
    [{ RESEND_BASE_URL: "not a url" }, "RESEND_BASE_URL is not a URL"],
  ])("turns mail off with a reason for %j", (over, reason) => {
    const r = mailSettings({ ...env, ...over });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining(reason) });
    expect(JSON.stringify(r)).not.toContain("re_secret_value");
  });
});
