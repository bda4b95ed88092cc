/**
 * The daily report as the account produces it (workerd): round trips closed by real fills through
 * the order path, equity marks from snapshots, then the report job renders the day and sends it
 * through the `resend` SDK to the local Resend stand-in. The email's figures are checked against
 * the trades that produced them, a repeated trigger sends nothing twice, the report is stored and
 * readable without Resend, and an alert for each position opened and closed is queued and sent.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { Fill } from "../../shared/domain.ts";
import { queryHistory } from "../../workers/history/store.ts";
import { resendSender } from "../../workers/notify/notify-jobs.ts";
import { accountHarness } from "../support/account-harness.ts";
import type { ReceivedEmail } from "../support/resend-stand-in.ts";

const baseUrl = inject("resendUrl");

async function received(apiKey: string): Promise<ReceivedEmail[]> {
  const res = await fetch(`${baseUrl}/_stand-in/emails`, { headers: { authorization: `Bearer ${apiKey}` } });
  return ((await res.json()) as { emails: ReceivedEmail[] }).emails;
}

const DAY = "2026-11-19";
/** 10:00 in New York on DAY (UTC-5 in November). */
const MORNING = Date.parse("2026-11-19T15:00:00Z");
let fillNo = 0;

function fill(ticker: string, yesDelta: number, yesPrice: number, fee: number, tsMs: number): Fill {
  fillNo++;
  return {
    fillId: `f-${fillNo}`,
    orderId: `ext-${fillNo}`,
    ticker,
    yesPrice,
    count: Math.abs(yesDelta),
    yesDelta,
    fee,
    isTaker: true,
    tsMs,
  };
}

describe("the daily report from the account's own records", () => {
  it("sends the day's figures once, as the trades produced them, and stores the report", async () => {
    const apiKey = `re_report_${crypto.randomUUID().replaceAll("-", "")}`;
    const h = accountHarness("report-account", {
      overrides: {
        mail: resendSender({ apiKey, from: "bot@example.com", to: ["trader@example.com"], baseUrl }),
      },
      config: { report: { sendAtLocalTime: "07:00", timeZone: "America/New_York" } },
    });
    h.clock.now = MORNING;
    await h.install();
    // Two round trips: a win (+2 c on 10 contracts) and a loss (-1 c on 5), with Kalshi-style taker fees.
    await h.inObj((a) => {
      a.snapshot();
      a.orders.onFill(fill("KXWIN-26NOV19", 1_000, 9_000, 63_000, MORNING + 60_000), undefined, "test");
      a.orders.onFill(fill("KXWIN-26NOV19", -1_000, 9_200, 51_600, MORNING + 120_000), undefined, "test");
      a.orders.onFill(fill("KXLOSS-26NOV19", 500, 8_800, 37_000, MORNING + 180_000), undefined, "test");
      a.orders.onFill(fill("KXLOSS-26NOV19", -500, 8_700, 39_700, MORNING + 240_000), undefined, "test");
    });
    h.clock.now = MORNING + 3_600_000;
    await h.inObj((a) => a.snapshot());
    const trips = await h.inObj((a) => a.trades(10));
    expect(trips.map((t) => [t.ticker, t.pnl])).toEqual([
      ["KXLOSS-26NOV19", -50_000 - 76_700],
      ["KXWIN-26NOV19", 200_000 - 114_600],
    ]);

    // The next morning at 08:00 New York: yesterday's report is due.
    h.clock.now = Date.parse("2026-11-20T13:00:00Z");
    await h.job("report");
    await h.job("report"); // a repeated trigger
    const mails = await received(apiKey);
    expect(mails).toHaveLength(1);
    const mail = mails[0] as ReceivedEmail;
    expect(mail.subject).toContain(DAY);
    // Net P&L of the day: 85 400 - 126 700 = -41 300 micro-dollars -> -$0.04; fees $0.1913.
    expect(mail.text).toContain("-$0.04");
    expect(mail.text).toMatch(/round trips?\D+2\b/i);
    expect(mail.text).toContain("KXWIN-26NOV19");
    expect(mail.text).toContain("KXLOSS-26NOV19");
    expect(mail.html).not.toMatch(/<script|<svg/i);

    const stored = await h.inObj((a) => a.ledger.reports(5, DAY));
    expect(stored).toHaveLength(1);
    expect(stored[0]?.delivered).toBe(true);

    // Position opened and closed alerts were queued; the alert job sends them (de-duplicated per kind).
    await h.job("alerts");
    const after = await received(apiKey);
    const kinds = after.map((m) => m.subject);
    expect(kinds.some((s) => /opened/i.test(s))).toBe(true);
    expect(kinds.some((s) => /closed/i.test(s))).toBe(true);
  });

  it("sends alerts and reports from and to the addresses config names, over the Worker's", async () => {
    const apiKey = `re_addr_${crypto.randomUUID().replaceAll("-", "")}`;
    const h = accountHarness("report-addresses", {
      overrides: {
        mail: resendSender({ apiKey, from: "bot@example.com", to: ["trader@example.com"], baseUrl }),
      },
      config: {
        alerts: { to: ["desk@example.com"], from: "alerts@example.com" },
        report: { to: ["boss@example.com"] },
      },
    });
    h.clock.now = MORNING;
    await h.install();
    await h.inObj((a) => {
      a.orders.onFill(fill("KXADDR-26NOV19", 1_000, 9_000, 63_000, MORNING + 60_000), undefined, "test");
      a.orders.onFill(fill("KXADDR-26NOV19", -1_000, 9_200, 51_600, MORNING + 120_000), undefined, "test");
    });
    await h.job("alerts");
    h.clock.now = Date.parse("2026-11-20T13:00:00Z");
    await h.job("report");
    const mails = await received(apiKey);
    const alerts = mails.filter((m) => !m.subject.includes(DAY));
    const reports = mails.filter((m) => m.subject.includes(DAY));
    expect(alerts.length).toBeGreaterThan(0);
    for (const m of alerts)
      expect({ from: m.from, to: m.to }).toEqual({ from: "alerts@example.com", to: ["desk@example.com"] });
    expect(reports.map((m) => ({ from: m.from, to: m.to }))).toEqual([
      { from: "bot@example.com", to: ["boss@example.com"] },
    ]);
  });

  it("records every alert in history, with mail off too", async () => {
    const h = accountHarness("alerts-history", { overrides: { mail: null } });
    h.clock.now = MORNING;
    await h.install();
    await h.inObj((a) => {
      a.orders.onFill(fill("KXHIST-26NOV19", 1_000, 9_000, 63_000, MORNING + 60_000), undefined, "test");
      a.orders.onFill(fill("KXHIST-26NOV19", -1_000, 9_200, 51_600, MORNING + 120_000), undefined, "test");
    });
    const r = await runInDurableObject(h.stub, (_o, state) =>
      queryHistory(state.storage.sql, "alerts", { limit: 10 }),
    );
    if (!r.ok) throw new Error(r.error);
    const kinds = r.page.items.map((x) => [x.row.kind, x.row.severity]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        ["position_opened", "info"],
        ["position_closed", "info"],
      ]),
    );
    for (const x of r.page.items) expect(x.row.message).toContain("KXHIST-26NOV19");
  });
});
