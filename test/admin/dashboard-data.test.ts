/**
 * The admin edge's pure pieces, in Node: money, price and count strings beside the integer units
 * (exact, never rounded), the equity series (the account's equity marks, thinned) and its chart,
 * the recent events merged from three tables, and the panels rendered from them
 * (each book by its own `fresh` field; operator text escaped).
 */
import { describe, expect, it } from "vitest";
import { BookRow, duration } from "../../workers/admin/dashboard.tsx";
import { chartOf, EQUITY_POINTS, recentEvents, thinSeries } from "../../workers/admin/dashboard-data.ts";
import {
  contracts,
  dollars,
  presentOrder,
  presentPosition,
  priceDollars,
} from "../../workers/admin/present.ts";
import type { HistoryRow } from "../../workers/history/rows.ts";
import { alertRow, reconDiffRow, riskEventRow } from "../../workers/history/rows.ts";

const T0 = 1_795_000_000_000;

/** A history item as the account's `history` RPC returns it. */
const item = (r: HistoryRow) => ({ atMs: r.atMs, row: r.row });

describe("human strings beside the integer units", () => {
  it.each([
    [10_012_340_000, "10012.34"],
    [1_000_000, "1.00"],
    [100_000, "0.10"],
    [10_000, "0.01"],
    [5_000, "0.005"],
    [1, "0.000001"],
    [1_234_567, "1.234567"],
    [0, "0.00"],
    [-1_250_000, "-1.25"],
    [-5_000, "-0.005"],
  ])("writes %i micro-dollars as $%s, exactly", (micros, text) => {
    expect(dollars(micros)).toBe(text);
  });

  it("writes prices with Kalshi's 4 decimals and counts with 2", () => {
    expect(priceDollars(5_600)).toBe("0.5600");
    expect(priceDollars(1)).toBe("0.0001");
    expect(contracts(250)).toBe("2.50");
    expect(contracts(100)).toBe("1.00");
  });

  it("keeps every integer field of a position and adds its strings", () => {
    const p = presentPosition({
      ticker: "KXA-1",
      positionId: "p1",
      side: "yes",
      contracts: 250,
      avgEntry: 9_000,
      cost: 2_250_000,
      fees: 30_000,
      mark: null,
      unrealized: null,
      openedMs: T0,
      takeProfit: 9_200,
      stop: 8_900,
      deadlineMs: null,
      exitMode: "protect",
      exitReason: null,
      takeProfitWorking: 250,
      exitWorking: 0,
    });
    expect(p).toMatchObject({
      contracts: 250,
      contractsFp: "2.50",
      avgEntry: 9_000,
      avgEntryDollars: "0.9000",
      costDollars: "2.25",
      feesDollars: "0.03",
      markDollars: null,
      unrealizedDollars: null,
      takeProfitDollars: "0.9200",
      stopDollars: "0.8900",
      takeProfitWorkingFp: "2.50",
    });
  });

  it("adds an order's price, sizes and money as strings", () => {
    const o = presentOrder({
      intentId: "i1",
      clientOrderId: "i1",
      orderId: null,
      ticker: "KXA-1",
      side: "no",
      action: "buy",
      price: 1_200,
      count: 300,
      purpose: "manual",
      tif: "good_till_canceled",
      postOnly: true,
      reduceOnly: false,
      expirationMs: null,
      positionId: null,
      exchangeIndex: 0,
      orderGroupId: null,
      state: "partially_filled",
      ack: "accepted",
      filled: 100,
      reportedFilled: 100,
      fillSum: 100,
      fees: 7_000,
      fillCost: 120_000,
      createdMs: T0,
      updatedMs: T0,
      reason: "admin",
      error: null,
      sends: 1,
      lastSentMs: T0,
      nextCheckMs: null,
    });
    expect(o).toMatchObject({
      priceDollars: "0.1200",
      countFp: "3.00",
      filledFp: "1.00",
      feesDollars: "0.007",
    });
  });
});

describe("the equity series and its chart", () => {
  /** `n` marks one minute apart, equity = index. */
  const marks = (n: number) => Array.from({ length: n }, (_, i) => ({ atMs: T0 + i * 60_000, equity: i }));

  it.each([
    ["fewer points than the limit", 10, 300, 10],
    ["exactly the limit", 300, 300, 300],
    ["one point over the limit", 301, 300, 300],
    ["a week of minute marks", 10_080, EQUITY_POINTS, EQUITY_POINTS],
  ])("keeps %s within the chart's limit, first and last kept", (_what, n, max, kept) => {
    const series = marks(n);
    const thin = thinSeries(series, max);
    expect(thin.length).toBe(kept);
    expect(thin[0]).toEqual(series[0]);
    expect(thin.at(-1)).toEqual(series.at(-1));
    // Oldest first, no point repeated.
    expect(thin.every((p, i) => i === 0 || p.atMs > (thin[i - 1]?.atMs ?? 0))).toBe(true);
  });

  it("spaces the kept points evenly by index", () => {
    expect(thinSeries(marks(9), 3).map((p) => p.equity)).toEqual([0, 4, 8]);
    expect(thinSeries(marks(5), 1).map((p) => p.equity)).toEqual([4]);
    expect(thinSeries(marks(5), 0)).toEqual([]);
  });

  it("draws the highest equity at the top and the lowest at the bottom, oldest at the left", () => {
    const chart = chartOf(
      [
        { atMs: T0, equity: 100 },
        { atMs: T0 + 50, equity: 300 },
        { atMs: T0 + 100, equity: 200 },
      ],
      104,
      108,
    );
    expect(chart).toMatchObject({ min: 100, max: 300, points: "4.0,104.0 52.0,4.0 100.0,54.0" });
  });

  it("draws a flat series across the middle and nothing for fewer than two points", () => {
    expect(chartOf([{ atMs: T0, equity: 5 }])).toBeNull();
    expect(
      chartOf(
        [
          { atMs: T0, equity: 5 },
          { atMs: T0 + 10, equity: 5 },
        ],
        100,
        40,
      )?.points,
    ).toBe("4.0,20.0 96.0,20.0");
  });
});

describe("recent events", () => {
  it("merges risk events, alerts and reconciliation differences, newest first, with their severity", () => {
    const risk = riskEventRow("sim:default", {
      eventId: "risk/1",
      atMs: T0 + 2_000,
      kind: "breaker_trip",
      code: "daily_loss",
      message: "equity fell 5 %",
      ticker: null,
      tradingState: "halted",
      numbers: { lossPct: 5 },
    });
    const alert = alertRow("sim:default", {
      eventId: "alert/1",
      atMs: T0 + 1_000,
      kind: "feed_loss",
      severity: "warning",
      message: "no feed for 20 s",
      details: {},
      deliveredMs: null,
    });
    const diff = reconDiffRow("sim:default", {
      eventId: "diff/1",
      foundMs: T0 + 3_000,
      kind: "missed_fill",
      ticker: "KXA-1",
      orderId: null,
      clientOrderId: null,
      ours: null,
      exchange: null,
      explained: false,
      resolution: "adopted the exchange's fill",
      acknowledgedMs: null,
    });
    const events = recentEvents([item(risk)], [item(alert)], [item(diff)]);
    expect(events).toEqual([
      {
        atMs: T0 + 3_000,
        source: "reconciliation",
        kind: "missed_fill",
        severity: "warning",
        message: "KXA-1: adopted the exchange's fill",
      },
      {
        atMs: T0 + 2_000,
        source: "risk",
        kind: "daily_loss",
        severity: "critical",
        message: "equity fell 5 %",
      },
      {
        atMs: T0 + 1_000,
        source: "alert",
        kind: "feed_loss",
        severity: "warning",
        message: "no feed for 20 s",
      },
    ]);
    expect(recentEvents([item(risk)], [item(alert)], [item(diff)], 1)).toHaveLength(1);
  });
});

describe("a book's row", () => {
  it.each([
    [{ ticker: "KXA-1", ageMs: 900, fresh: true, staleReason: null }, "fresh", "fresh"],
    [{ ticker: "KXA-1", ageMs: 12_000, fresh: false, staleReason: "too old" }, "stale", "stale: too old"],
    // Regression: a book the status calls stale is stale even without a reason.
    [{ ticker: "KXA-1", ageMs: 500, fresh: false, staleReason: null }, "stale", "stale: unknown reason"],
  ])("renders %j as %s", async (b, state, text) => {
    const html = String(await BookRow({ b }));
    expect(html).toContain(`data-state="${state}"`);
    expect(html).toContain(text);
  });

  it("escapes a ticker and a reason it did not write", async () => {
    const html = String(
      await BookRow({ b: { ticker: "<b>x</b>", ageMs: null, fresh: false, staleReason: "<script>" } }),
    );
    expect(html).not.toContain("<b>x");
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
  });

  it.each([
    [null, "-"],
    [850, "850 ms"],
    [12_340, "12.3 s"],
    [240_000, "4 min"],
    [9_000_000, "2.5 h"],
  ])("writes the duration %j as %s", (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});
