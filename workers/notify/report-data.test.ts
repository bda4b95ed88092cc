/**
 * Node tests of the daily report's figures (`report-data.ts`), checked against the round trips,
 * fills and snapshots that produced them (worked by hand in report-fixtures.ts).
 */
import { describe, expect, it } from "vitest";
import { dailyReportData } from "./report-data.ts";
import { END, reportInput, START } from "./testing/report-fixtures.ts";

describe("dailyReportData", () => {
  const d = dailyReportData(reportInput());

  it("sums realised P&L net of fees, gross and fees over the round trips closed that day", () => {
    expect(d.pnl).toEqual({ net: -95_000, gross: 100_000, fees: 195_000 });
    expect(d.pnl.gross - d.pnl.fees).toBe(d.pnl.net);
  });

  it("counts a round trip closing at the day's first instant and neither neighbour day's", () => {
    expect(d.roundTripCount).toBe(4);
    expect(d.roundTrips.map((t) => t.closedMs)).toEqual([
      START,
      START + 10 * 3_600_000,
      START + 12 * 3_600_000,
      START + 15 * 3_600_000,
    ]);
  });

  it("counts wins and losses by net P&L, a fees-only round trip as a loss", () => {
    expect({ wins: d.wins, losses: d.losses, scratches: d.scratches, winRate: d.winRateTenthsPct }).toEqual({
      wins: 2,
      losses: 2,
      scratches: 0,
      winRate: 500,
    });
  });

  it("sums the fees of every fill of the day, open positions included", () => {
    expect(d.feesPaid).toBe(42_500);
    expect(d.fillCount).toBe(3);
  });

  it("ranks markets by net P&L and picks the best and worst", () => {
    expect(d.markets.map((m) => [m.ticker, m.net])).toEqual([
      ["KXHIGHNY-26MAR09-B45", 460_000],
      ["KXCPI-26MAR-T0.3", -20_000],
      ["KXBTCD-26MAR0917-T90000", -535_000],
    ]);
    expect(d.markets[0]).toEqual({
      ticker: "KXHIGHNY-26MAR09-B45",
      roundTrips: 2,
      wins: 2,
      losses: 0,
      gross: 600_000,
      fees: 140_000,
      net: 460_000,
    });
    expect(d.best.map((m) => m.ticker)).toEqual(["KXHIGHNY-26MAR09-B45"]);
    expect(d.worst.map((m) => m.ticker)).toEqual(["KXBTCD-26MAR0917-T90000", "KXCPI-26MAR-T0.3"]);
  });

  it("summarises the equity curve from the day's snapshots", () => {
    expect(d.equity).toMatchObject({
      start: 1_000_000_000,
      end: 1_012_340_000,
      change: 12_340_000,
      changeTenthsPct: 12,
      low: 999_000_000,
      high: 1_012_340_000,
      maxDrawdown: 1_500_000,
    });
    expect(d.equity.points.map((p) => p.atMs)).toEqual([
      START + 2 * 3_600_000,
      START + 6 * 3_600_000,
      START + 12 * 3_600_000,
      START + 20 * 3_600_000,
    ]);
  });

  it("keeps the day's breaker trips and reconciliation differences only", () => {
    expect(d.breakerTrips.map((b) => b.breaker)).toEqual(["consecutive_losses"]);
    expect(d.reconDiffs.map((r) => r.kind)).toEqual(["unknown_order"]);
  });

  it("lists positions still open, with their average entry", () => {
    expect(d.openPositions).toEqual([
      {
        ticker: "KXCPI-26MAR-T0.3",
        side: "no",
        contracts: 500,
        avgEntry: 9000,
        cost: 4_500_000,
        openedMs: START + 21 * 3_600_000,
      },
    ]);
  });

  it("reports the window it used", () => {
    expect({ startMs: d.startMs, endMs: d.endMs }).toEqual({ startMs: START, endMs: END });
  });

  it("takes start and end equity from the first and last snapshots when none is given", () => {
    const e = dailyReportData(reportInput({ startEquity: null })).equity;
    expect(e.start).toBe(1_000_100_000);
    expect(e.change).toBe(12_240_000);
  });

  it("has no win rate, no equity and no markets on a quiet day", () => {
    const q = dailyReportData(
      reportInput({
        roundTrips: [],
        fills: [],
        equity: [],
        startEquity: null,
        endEquity: null,
        breakerTrips: [],
        reconDiffs: [],
        openPositions: [],
      }),
    );
    expect(q).toMatchObject({
      pnl: { net: 0, gross: 0, fees: 0 },
      winRateTenthsPct: null,
      markets: [],
      best: [],
      worst: [],
      equity: {
        start: null,
        end: null,
        change: null,
        changeTenthsPct: null,
        low: null,
        high: null,
        maxDrawdown: 0,
        points: [],
      },
    });
  });

  it("refuses an unknown time zone and a malformed day", () => {
    expect(() => dailyReportData(reportInput({ timeZone: "Mars/Olympus" }))).toThrow(/unknown time zone/);
    expect(() => dailyReportData(reportInput({ day: "09/03/2026" }))).toThrow(/YYYY-MM-DD/);
  });
});
