/**
 * Node tests of the alert emails (`alert-render.ts`): every kind says what happened and what it
 * means, data strings are escaped, merged counts are shown, and the body is stable.
 */
import { describe, expect, it } from "vitest";
import { renderAlert } from "./alert-render.ts";
import type { Alert } from "./alerts.ts";
import { escapeHtml } from "./format.ts";

const T = Date.parse("2026-11-01T06:30:00Z"); // 01:30 EST, the second one of the fall-back night

const ALERTS: [Alert, string, [string | null, string]][] = [
  [
    {
      kind: "breaker_trip",
      atMs: T,
      breaker: "daily_loss",
      reason: "day P&L below the limit",
      numbers: { dayPnlMicros: -51_000_000, limitMicros: -50_000_000 },
      tradingState: "halted",
    },
    "[CRITICAL] Kalshi bot default: breaker daily_loss tripped, trading halted",
    ["dayPnl", "-$51.00"],
  ],
  [
    { kind: "resume", atMs: T, what: "admin", detail: "resumed by the admin API", tradingState: "active" },
    "[INFO] Kalshi bot default: trading active again (admin)",
    ["Detail", "resumed by the admin API"],
  ],
  [
    {
      kind: "position_opened",
      atMs: T,
      positionId: "p1",
      ticker: "KXHIGHNY-26NOV01-B45",
      side: "no",
      contracts: 1050,
      avgEntry: 9000,
      cost: 9_450_000,
    },
    "[INFO] Kalshi bot default: opened NO 10.50 KXHIGHNY-26NOV01-B45 at $0.90",
    ["Cost", "$9.45"],
  ],
  [
    {
      kind: "position_closed",
      atMs: T,
      roundTrip: {
        positionId: "p1",
        ticker: "KXHIGHNY-26NOV01-B45",
        side: "yes",
        contracts: 1000,
        avgEntry: 5600,
        avgExit: 6000,
        openedMs: T - 60_000,
        closedMs: T,
        reason: "take_profit",
        fees: 60_000,
        pnl: 340_000,
      },
    },
    "[INFO] Kalshi bot default: closed KXHIGHNY-26NOV01-B45 YES 10: net $0.34",
    ["Entry -> exit", "$0.56 -> $0.60"],
  ],
  [
    {
      kind: "recon_difference",
      atMs: T,
      diffKind: "unknown_position",
      ticker: "KXBTCD-26NOV0117-T90000",
      detail: "held 5 on the exchange, 0 in the journal",
      blocksEntries: true,
    },
    "[WARNING] Kalshi bot default: reconciliation difference unknown_position on KXBTCD-26NOV0117-T90000",
    [null, "entries are blocked until you acknowledge"],
  ],
  [
    { kind: "feed_loss", atMs: T, silentMs: 15_400, reason: "socket closed 1006" },
    "[WARNING] Kalshi bot default: market data lost for 15 s",
    ["Reason", "socket closed 1006"],
  ],
  [
    { kind: "outbox_near_bound", atMs: T, rows: 9_000, bound: 10_000 },
    "[WARNING] Kalshi bot default: history outbox at 9000 of 10000 rows",
    ["Bound", "10000"],
  ],
  [
    { kind: "critical_error", atMs: T, where: "executor", message: "journal write failed" },
    "[CRITICAL] Kalshi bot default: critical error in executor",
    ["Error", "journal write failed"],
  ],
];

describe("renderAlert", () => {
  it.each(ALERTS)("renders %j", (alert, subject, [label, value]) => {
    const e = renderAlert(alert, { account: "default" });
    expect(e.subject).toBe(subject);
    expect(e.text).toContain(label === null ? value : `${label}: ${value}`);
    expect(e.html).toContain(escapeHtml(value));
    if (label !== null) expect(e.html).toContain(`${escapeHtml(label)}</td>`);
    expect(e.text).toContain("When: 2026-11-01 01:30 (America/New_York)");
  });

  it("escapes data strings in the HTML and keeps the subject on one line", () => {
    const e = renderAlert(
      {
        kind: "critical_error",
        atMs: T,
        where: "<script>x</script>",
        message: 'a "b" & <c>\r\nBcc: evil@example.com',
      },
      { account: "acct" },
    );
    expect(e.html).not.toContain("<script>");
    expect(e.html).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect(e.html).toContain("a &quot;b&quot; &amp; &lt;c&gt;");
    expect(e.subject).not.toMatch(/[\r\n]/);
    expect(e.text).toContain('Error: a "b" & <c> Bcc: evil@example.com');
  });

  it("shows the alerts merged into it, counted per key", () => {
    const e = renderAlert(ALERTS[0]?.[0] as Alert, {
      account: "default",
      timeZone: "America/New_York",
      merged: [
        { key: "daily_loss", count: 3, firstMs: T - 120_000, lastMs: T },
        { key: "consecutive_losses", count: 1, firstMs: T - 60_000, lastMs: T - 60_000 },
      ],
    });
    expect(e.subject).toContain("(+3 more)");
    expect(e.text).toContain(
      "4 breaker_trip alerts since the previous one emailed:\n  daily_loss x3 (01:28 to 01:30)\n  consecutive_losses x1 (01:29)",
    );
    expect(e.html).toContain("4 breaker_trip alerts since the previous one emailed");
  });

  it("leaves the counts out when the alert is the only one", () => {
    const e = renderAlert(ALERTS[5]?.[0] as Alert, {
      merged: [{ key: "feed", count: 1, firstMs: T, lastMs: T }],
    });
    expect(e.text).not.toContain("since the previous one emailed");
    expect(e.subject).not.toContain("more");
  });

  it("renders the same email every time", () => {
    for (const [a] of ALERTS)
      expect(renderAlert(a, { account: "default" })).toEqual(renderAlert(a, { account: "default" }));
  });
});
