/**
 * The row builders: exact decimal strings from the bot's integer units, natural keys, and clear
 * refusals of bad input. Domain objects come from Kalshi's published examples (testing/fixtures.ts).
 */
import { describe, expect, it } from "vitest";
import type { HistoryRow, HistoryTable } from "./rows.ts";
import {
  alertRow,
  CONFLICT_COLUMNS,
  fillRow,
  guardRows,
  HISTORY_TABLES,
  HistoryRowError,
  LOW_VALUE_TABLES,
  logRow,
  marketRow,
  naturalKey,
  onConflictOf,
  orderRow,
  reconDiffRow,
  reportRow,
  riskEventRow,
  snapshotRow,
  TRADING_TABLES,
  tradeRow,
} from "./rows.ts";
import {
  ACCOUNT,
  exampleAlert,
  exampleFill,
  exampleLog,
  exampleMarket,
  exampleOrder,
  exampleReconDiff,
  exampleReport,
  exampleRiskEvent,
  exampleRoundTrip,
  exampleSnapshot,
  oneOfEach,
} from "./testing/fixtures.ts";

const T0 = Date.parse("2026-11-23T15:00:00Z");

describe("row builders", () => {
  it("build one row per table, each keyed by its conflict columns", () => {
    const rows = oneOfEach(T0);
    expect(rows.map((r) => r.table)).toEqual([...HISTORY_TABLES]);
    for (const r of rows) {
      const row = r.row as Record<string, unknown>;
      expect(r.key).toBe(JSON.stringify(CONFLICT_COLUMNS[r.table].map((c) => row[c])));
      expect(row.account).toBe(ACCOUNT);
    }
  });

  it("turns the example order into exact dollar and contract strings", () => {
    const r = orderRow(ACCOUNT, exampleOrder());
    expect(r.table).toBe("orders");
    expect(r.key).toBe('["sim:default","my-order-1"]');
    expect(r.atMs).toBe(Date.parse("2024-12-01T10:00:00Z"));
    expect(r.row).toMatchObject({
      client_order_id: "my-order-1",
      order_id: "ee587a1c-8b87-4dcf-b721-9f6f790619fa",
      ticker: "FED-23DEC-T3.00",
      price: "0.3500",
      count: "10.00",
      filled: "0.00",
      fees: "0.000000",
      time_in_force: "good_till_canceled",
      expiration_time: "2024-12-01T11:00:00.000Z",
      created_at: "2024-12-01T10:00:00.000Z",
      order_group_id: "og_123",
      exchange_index: 2,
      state: "resting",
      ack: "accepted",
    });
  });

  it("turns the example fill into a signed YES delta and the exact fee", () => {
    const r = fillRow(ACCOUNT, exampleFill());
    expect(r.key).toBe('["sim:default","d91bc706-ee49-470d-82d8-11418bda6fed"]');
    expect(r.row).toMatchObject({
      yes_price: "0.7500",
      count: "278.00",
      yes_delta: "278.00",
      fee: "0.010000",
      is_taker: true,
      filled_at: "2022-12-24T16:29:57.000Z",
    });
    const sold = fillRow(ACCOUNT, { ...exampleFill(), yesDelta: -exampleFill().count });
    expect(sold.row).toMatchObject({ yes_delta: "-278.00" });
  });

  it("keeps money exact to the micro-dollar, losses included", () => {
    const loss = tradeRow(ACCOUNT, exampleRoundTrip({ pnl: -1_234_567, fees: 20_001 }));
    expect(loss.row).toMatchObject({
      pnl: "-1.234567",
      fees: "0.020001",
      avg_entry: "0.7500",
      avg_exit: "0.8000",
    });
    const snap = snapshotRow(ACCOUNT, exampleSnapshot(T0));
    expect(snap.row).toMatchObject({
      cash: "100.000000",
      portfolio_value: "25.000000",
      unrealized: "-1.250000",
    });
  });

  it("writes a market's grid and fees in dollars, keyed by ticker", () => {
    const r = marketRow(ACCOUNT, exampleMarket(), T0);
    expect(r.key).toBe('["sim:default","INXD-23SEP14-B4487"]');
    expect(r.row).toMatchObject({
      tick_bands: [{ start: "0.0000", end: "1.0000", step: "0.0100" }],
      fee_type: "quadratic",
      fee_multiplier: "1.000000",
      volume_24h: "10.00",
      first_seen_at: "2026-11-23T15:00:00.000Z",
      last_seen_at: "2026-11-23T15:00:00.000Z",
    });
  });

  it("sorts a daily report by its day, whenever it was generated", () => {
    const r = reportRow(ACCOUNT, exampleReport("2026-11-23", T0 + 86_400_000));
    expect(r.key).toBe('["sim:default","2026-11-23"]');
    expect(r.atMs).toBe(Date.parse("2026-11-23T00:00:00Z"));
  });

  it("updates an acknowledged reconciliation difference under the same key", () => {
    const found = reconDiffRow(ACCOUNT, exampleReconDiff(T0));
    const acked = reconDiffRow(ACCOUNT, { ...exampleReconDiff(T0), acknowledgedMs: T0 + 60_000 });
    expect(acked.key).toBe(found.key);
    expect(found.row).toMatchObject({ acknowledged_at: null, ours: { state: "resting", filled: "0.00" } });
    expect(acked.row).toMatchObject({ acknowledged_at: "2026-11-23T15:01:00.000Z" });
  });

  it("cuts long free text to its column's bound instead of refusing it", () => {
    const r = logRow(ACCOUNT, { ...exampleLog(T0), message: "x".repeat(5_000) });
    const message = (r.row as { message: string }).message;
    expect(message).toHaveLength(2_000);
    expect(message.endsWith("...")).toBe(true);
  });

  it("names tables, conflict columns and the bound policy consistently", () => {
    expect(onConflictOf("account_snapshots")).toBe("account,taken_at");
    for (const t of HISTORY_TABLES) expect(CONFLICT_COLUMNS[t][0]).toBe("account");
    expect([...LOW_VALUE_TABLES].sort()).toEqual(["account_snapshots", "logs", "markets"]);
    expect(TRADING_TABLES.size + LOW_VALUE_TABLES.length).toBe(HISTORY_TABLES.length);
  });
});

describe("row builders refuse bad input with the field named", () => {
  const order = exampleOrder();
  const cases: [string, () => HistoryRow, RegExp][] = [
    ["a NaN price", () => orderRow(ACCOUNT, { ...order, price: Number.NaN }), /orders\.price/],
    ["a price just above $1", () => orderRow(ACCOUNT, { ...order, price: 10_001 }), /orders\.price/],
    ["a fractional count unit", () => orderRow(ACCOUNT, { ...order, count: 10.5 }), /orders\.count/],
    ["a zero count", () => orderRow(ACCOUNT, { ...order, count: 0 }), /orders\.count/],
    [
      "filled just above count",
      () => orderRow(ACCOUNT, { ...order, filled: order.count + 1 }),
      /orders\.filled/,
    ],
    [
      "an empty client order id",
      () => orderRow(ACCOUNT, { ...order, clientOrderId: "" }),
      /orders\.client_order_id/,
    ],
    ["an account key with a space", () => orderRow("sim: default", order), /orders\.account/],
    [
      "a time in seconds",
      () => orderRow(ACCOUNT, { ...order, createdMs: 1_733_047_200 }),
      /orders\.created_at/,
    ],
    [
      "a yes delta that is not the count",
      () => fillRow(ACCOUNT, { ...exampleFill(), yesDelta: 1 }),
      /fills\.yes_delta/,
    ],
    [
      "a trade closed before it opened",
      () => tradeRow(ACCOUNT, exampleRoundTrip({ closedMs: exampleRoundTrip().openedMs - 1 })),
      /trades\.closed_at/,
    ],
    [
      "more wins and losses than trades",
      () => reportRow(ACCOUNT, { ...exampleReport("2026-11-23", T0), wins: 1, losses: 1, trades: 1 }),
      /daily_reports\.wins/,
    ],
    [
      "a day that does not exist",
      () => reportRow(ACCOUNT, exampleReport("2026-02-30", T0)),
      /daily_reports\.day/,
    ],
    [
      "a kind that is not snake_case",
      () => alertRow(ACCOUNT, { ...exampleAlert(T0), kind: "Halted!" }),
      /alerts\.kind/,
    ],
    [
      "a NaN in the risk numbers",
      () => riskEventRow(ACCOUNT, { ...exampleRiskEvent(T0), numbers: { open: Number.NaN } }),
      /risk_events\.numbers\.open/,
    ],
    [
      "details that are not plain JSON",
      () => alertRow(ACCOUNT, { ...exampleAlert(T0), details: { at: new Date(T0) as unknown as string } }),
      /alerts\.details/,
    ],
    [
      "log data above the JSON size limit",
      () => logRow(ACCOUNT, { ...exampleLog(T0), data: { blob: "x".repeat(16_001) } }),
      /logs\.data/,
    ],
  ];
  it.each(cases)("%s", (_name, build, field) => {
    expect(build).toThrow(HistoryRowError);
    expect(build).toThrow(field);
  });

  it("accepts the edges just inside: a $1 price, filled equal to count, a 16 000-character JSON", () => {
    expect(orderRow(ACCOUNT, { ...order, price: 10_000, filled: order.count }).row).toMatchObject({
      price: "1.0000",
      filled: "10.00",
    });
    const blob = "x".repeat(16_000 - JSON.stringify({ blob: "" }).length);
    expect(() => logRow(ACCOUNT, { ...exampleLog(T0), data: { blob } })).not.toThrow();
  });
});

describe("guardRows", () => {
  it("returns the built rows when every builder succeeds", () => {
    const rows = guardRows(ACCOUNT, T0, () => [orderRow(ACCOUNT, exampleOrder())]);
    expect(rows.map((r) => r.table)).toEqual(["orders"]);
  });

  it("records a failing builder as an error log row instead of throwing", () => {
    const rows = guardRows(ACCOUNT, T0, () => [orderRow(ACCOUNT, { ...exampleOrder(), price: Number.NaN })]);
    expect(rows).toHaveLength(1);
    const only = rows[0];
    if (only?.table !== "logs") throw new Error(`expected a logs row, got ${only?.table}`);
    expect(only.row).toMatchObject({ level: "error", event: "history.row_invalid" });
    expect(only.row.message).toContain("orders.price");
  });

  it("gives every event id it makes a distinct natural key", () => {
    const fail = () => [orderRow(ACCOUNT, { ...exampleOrder(), count: 0 })];
    const a = guardRows(ACCOUNT, T0, fail)[0];
    const b = guardRows(ACCOUNT, T0, fail)[0];
    expect(a?.key).not.toBe(b?.key);
  });
});

describe("naturalKey", () => {
  it("depends only on the conflict columns", () => {
    const table: HistoryTable = "fills";
    const a = naturalKey(table, { account: ACCOUNT, fill_id: "f1", fee: "0.010000" });
    const b = naturalKey(table, { account: ACCOUNT, fill_id: "f1", fee: "0.020000" });
    expect(a).toBe(b);
    expect(naturalKey(table, { account: "demo:default", fill_id: "f1" })).not.toBe(a);
  });
});
