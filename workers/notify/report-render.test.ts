/**
 * Node tests of the daily report email (`report-render.ts`): the figures in both parts, escaping
 * of data strings, markup that mail clients render (tables and inline styles only), the table
 * chart, and a size under Gmail's clipping limit on a busy day.
 */
import { describe, expect, it } from "vitest";
import type { RoundTrip } from "../../shared/domain.ts";
import { dailyReportData } from "./report-data.ts";
import { barHeights, CHART_SLOTS, renderDailyReport, slotValues } from "./report-render.ts";
import { END, reportInput, START } from "./testing/report-fixtures.ts";

const data = dailyReportData(reportInput());
const email = renderDailyReport(data);

describe("renderDailyReport", () => {
  it("puts the day's net P&L and round trips in the subject", () => {
    expect(email.subject).toBe("Kalshi bot default 2026-03-09: P&L -$0.10, 4 round trips, 1 breaker trip");
  });

  it.each([
    ["net P&L", "-$0.10"],
    ["gross P&L", "$0.10"],
    ["round-trip fees", "$0.20"], // 195 000 micro-dollars
    ["fees paid", "$0.04"], // 42 500 rounds down
    ["win rate", "50.0%"],
    ["start equity", "$1,000.00"],
    ["end equity", "$1,012.34"],
    ["equity change", "$12.34 (1.2%)"],
    ["drawdown", "$1.50"],
    ["best market net", "$0.46"],
    ["worst market net", "-$0.54"],
    ["a round trip's net", "$0.34"],
    ["the open position", "NO 5"],
  ])("shows the %s (%s) in both the HTML and the text", (_what, figure) => {
    expect(email.html).toContain(figure);
    expect(email.text).toContain(figure);
  });

  it("escapes tickers and other data strings in the HTML", () => {
    const hostile = '<img src=x onerror="alert(1)">&';
    const trip: RoundTrip = {
      positionId: "x",
      ticker: hostile,
      side: "yes",
      contracts: 100,
      avgEntry: 5000,
      avgExit: 5100,
      openedMs: START + 1,
      closedMs: START + 2,
      reason: "take_profit",
      fees: 0,
      pnl: 10_000,
    };
    const e = renderDailyReport(
      dailyReportData(
        reportInput({
          account: "<b>acct</b>",
          roundTrips: [trip],
          reconDiffs: [{ atMs: START + 3, kind: "<script>", ticker: hostile, detail: "</td><td>" }],
        }),
      ),
    );
    expect(e.html).not.toContain("<img");
    expect(e.html).not.toContain("<script>");
    expect(e.html).not.toContain("<b>acct");
    expect(e.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;");
    expect(e.html).toContain("&lt;/td&gt;&lt;td&gt;");
    expect(e.text).toContain(hostile);
  });

  it("uses no scripts, SVG, canvas, images, style sheets or classes", () => {
    for (const banned of ["<script", "<svg", "<canvas", "<img", "<style", "<link", "class=", "url("]) {
      expect(email.html.toLowerCase()).not.toContain(banned);
    }
  });

  it("draws the equity curve as table cells coloured above and below the start-of-day line", () => {
    // Snapshots above the start are green bars, the one below is a red bar.
    expect(email.html.match(/bgcolor="#15803d"/g)?.length).toBe(3);
    expect(email.html.match(/bgcolor="#b91c1c"/g)?.length).toBe(1);
  });

  it("says so when the day has no snapshots", () => {
    const e = renderDailyReport(dailyReportData(reportInput({ equity: [], startEquity: null })));
    expect(e.html).toContain("No account snapshots were recorded for this day.");
    expect(e.text).toContain("no snapshots");
  });

  it("renders the same email for the same day", () => {
    expect(renderDailyReport(dailyReportData(reportInput()))).toEqual(email);
  });

  it("stays under Gmail's 102 KB clipping size on a day with hundreds of everything", () => {
    const many = Array.from(
      { length: 400 },
      (_, i): RoundTrip => ({
        positionId: `p${i}`,
        ticker: `KXHIGHNY-26MAR09-B${String(i).padStart(4, "0")}-LONGER-TICKER`,
        side: i % 2 === 0 ? "yes" : "no",
        contracts: 123_456,
        avgEntry: 5625,
        avgExit: 5675,
        openedMs: START + i * 60_000,
        closedMs: START + i * 60_000 + 30_000,
        reason: "pre_close",
        fees: -123_456_789,
        pnl: -123_456_789,
      }),
    );
    const e = renderDailyReport(
      dailyReportData(
        reportInput({
          roundTrips: many,
          equity: Array.from({ length: 288 }, (_, i) => ({
            atMs: START + i * 300_000,
            equity: 1_000_000_000 + (i % 7) * 1_000_000 - 3_000_000,
          })),
          breakerTrips: many.map((t) => ({
            atMs: t.closedMs,
            breaker: "consecutive_losses",
            reason: "x".repeat(120),
            numbers: { a: 1, b: 2 },
          })),
          reconDiffs: many.map((t) => ({
            atMs: t.closedMs,
            kind: "position_mismatch",
            ticker: t.ticker,
            detail: "y".repeat(120),
          })),
          openPositions: many.map(
            (t) =>
              ({ ...reportInput().openPositions[0], positionId: t.positionId, ticker: t.ticker }) as never,
          ),
        }),
      ),
    );
    expect(new TextEncoder().encode(e.html).length).toBeLessThan(100_000);
    expect(e.html).toContain("...and 380 more round trips.");
    expect(e.text).toContain("...and 380 more round trips.");
  });
});

describe("chart geometry", () => {
  it("keeps the last snapshot of each slot and leaves empty slots empty", () => {
    const span = END - START;
    const slot = span / CHART_SLOTS;
    const v = slotValues(
      [
        { atMs: START, equity: 1 },
        { atMs: START + Math.floor(slot) - 1, equity: 2 },
        { atMs: END - 1, equity: 3 },
        { atMs: END, equity: 4 },
      ],
      START,
      END,
      CHART_SLOTS,
    );
    expect(v[0]).toBe(2);
    expect(v[1]).toBeNull();
    expect(v[CHART_SLOTS - 1]).toBe(3);
  });

  it.each([
    [[100, 150, 50, null, 100], 100, [0, 10, -10, null, 0]],
    [[101, 200], 100, [1, 10]], // a tiny move still shows one pixel
    [[100, 100], 100, [0, 0]],
  ])("scales %j around %i to %j px (10 px half-height)", (values, base, want) => {
    expect(barHeights(values, base, 10)).toEqual(want);
  });
});
