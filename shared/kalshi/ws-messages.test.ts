/**
 * Tests for the WebSocket wire schemas, the frame parser, the domain converters and the
 * command builders. Fixtures are Kalshi's published AsyncAPI examples (fixtures/ws_*.json);
 * mutated copies exercise the rejection rules.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BOT_CHANNELS,
  EventLifecycle,
  Fill,
  isTerminalWsError,
  KNOWN_TYPES,
  listSubscriptionsCmd,
  MarketLifecycleV2,
  MarketPosition,
  OrderbookDelta,
  OrderbookSnapshot,
  type ParsedWsMessage,
  parseWsMessage,
  parseWsText,
  SEQUENCED_TYPES,
  subscribeCmd,
  Ticker,
  Trade,
  toBookDelta,
  toBookSnapshot,
  toFillEvent,
  toLifecycleEvent,
  toOrderGroupUpdate,
  toPositionUpdate,
  toPublicTrade,
  toTickerUpdate,
  toUserOrderUpdate,
  UserOrder,
  unsubscribeCmd,
  updateSubscriptionCmd,
  WS_ERROR_CODES,
  type WsChannel,
  WsCommandError,
  wsErrorName,
} from "./ws-messages.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);

function fixtureText(name: string): string {
  return readFileSync(new URL(`${name}.json`, FIXTURES), "utf8");
}

/** A fresh deep copy of a fixture, safe to mutate. */
function fixture(name: string): Record<string, unknown> & { msg: Record<string, unknown> } {
  return JSON.parse(fixtureText(name));
}

const ALL_FIXTURES = readdirSync(FIXTURES)
  .filter((f) => f.startsWith("ws_") && f.endsWith(".json"))
  .map((f) => f.slice(0, -".json".length))
  .sort();

/** Fixtures of message types the bot does not handle (none today; the unknown path is tested below). */
const UNHANDLED = new Set<string>([]);

function expectMessage(r: ParsedWsMessage) {
  if (r.kind !== "message") throw new Error(`expected a message, got ${JSON.stringify(r)}`);
  return r.message;
}

function expectInvalid(r: ParsedWsMessage, type?: string): string {
  expect(r.kind).toBe("invalid");
  if (r.kind !== "invalid") throw new Error("unreachable");
  expect(r.type).toBe(type);
  return r.error;
}

describe("published examples", () => {
  it("finds the fixture files", () => {
    expect(ALL_FIXTURES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(ALL_FIXTURES.filter((f) => !UNHANDLED.has(f)))("parses %s as a known, valid message", (name) => {
    const text = fixtureText(name);
    const message = expectMessage(parseWsText(text));
    expect(message.type).toBe(JSON.parse(text).type);
  });

  it("has a published example for every type the parser knows", () => {
    const covered = new Set(ALL_FIXTURES.map((f) => JSON.parse(fixtureText(f)).type as string));
    for (const t of KNOWN_TYPES) expect(covered, t).toContain(t);
  });

  it("reports a type it does not handle as unknown, with its sid and seq for the gap check", () => {
    // a published communications message type the bot never subscribes to
    expect(
      parseWsText('{"type":"rfq_deleted","sid":21,"seq":7,"msg":{"id":"rfq_1","created_ts":"x"}}'),
    ).toEqual({ kind: "unknown", type: "rfq_deleted", sid: 21, seq: 7 });
  });

  it("reads an order group update with its limit in count units", () => {
    const m = expectMessage(parseWsText(fixtureText("ws_order_group_updates")));
    if (m.type !== "order_group_updates") throw new Error("expected order_group_updates");
    expect(toOrderGroupUpdate(m)).toEqual({
      eventType: "limit_updated",
      orderGroupId: "og_123",
      contractsLimit: 15_000,
      tsMs: 1_733_047_200_000,
    });
  });

  it("keeps the list_subscriptions reply as an array and the update reply as an object", () => {
    const list = expectMessage(parseWsText(fixtureText("ws_ok_list_subscriptions")));
    const upd = expectMessage(parseWsText(fixtureText("ws_ok_update_subscription")));
    if (list.type !== "ok" || upd.type !== "ok") throw new Error("expected ok");
    expect(list.msg).toEqual([
      { channel: "orderbook_delta", sid: 1 },
      { channel: "ticker", sid: 2 },
      { channel: "fill", sid: 3 },
    ]);
    expect(upd.msg).toEqual({ market_tickers: ["MARKET-1", "MARKET-2", "MARKET-3"] });
    expect(upd.sid).toBe(456);
    expect(upd.seq).toBe(222);
  });
});

describe("rejects malformed known messages", () => {
  it("rejects a ticker whose yes_bid_dollars is not a decimal string", () => {
    const m = fixture("ws_ticker");
    m.msg.yes_bid_dollars = "abc";
    const err = expectInvalid(parseWsMessage(m), "ticker");
    expect(err).toContain("msg.yes_bid_dollars");
  });

  it.each([
    ["a number instead of a string", 0.45],
    ["a price above one dollar", "1.0100"],
    ["more than four decimals", "0.45001"],
    ["a negative price", "-0.4500"],
    ["an exponent", "4.5e-1"],
    ["an empty string", ""],
  ])("rejects a price that is %s", (_what, value) => {
    const m = fixture("ws_orderbook_delta");
    m.msg.price_dollars = value;
    expectInvalid(parseWsMessage(m), "orderbook_delta");
  });

  it("rejects a count with three decimals and a negative unsigned count", () => {
    const a = fixture("ws_trade");
    a.msg.count_fp = "136.001";
    expectInvalid(parseWsMessage(a), "trade");
    const b = fixture("ws_ticker");
    b.msg.volume_fp = "-1.00";
    expectInvalid(parseWsMessage(b), "ticker");
  });

  it("accepts a negative delta and a negative position, which are signed on the wire", () => {
    const d = fixture("ws_orderbook_delta");
    d.msg.delta_fp = "-0.01";
    expect(parseWsMessage(d).kind).toBe("message");
    const p = fixture("ws_market_position");
    p.msg.position_fp = "-100.00";
    p.msg.realized_pnl_dollars = "-3.250000";
    expect(parseWsMessage(p).kind).toBe("message");
  });

  it.each([
    ["ws_orderbook_delta", "delta_fp"],
    ["ws_orderbook_delta", "side"],
    ["ws_orderbook_snapshot", "market_ticker"],
    ["ws_fill", "fee_cost"],
    ["ws_fill", "post_position_fp"],
    ["ws_user_order", "remaining_count_fp"],
    ["ws_user_order", "created_ts_ms"],
    ["ws_market_position", "position_fp"],
    ["ws_market_lifecycle_v2_created", "event_type"],
    ["ws_ticker", "ts_ms"],
    ["ws_trade", "taker_outcome_side"],
    ["ws_error_unknown_channel", "code"],
  ])("rejects %s without its required field %s", (name, field) => {
    const m = fixture(name);
    delete m.msg[field];
    expectInvalid(parseWsMessage(m), m.type as string);
  });

  it.each([
    ["ws_orderbook_delta", "seq"],
    ["ws_orderbook_snapshot", "sid"],
    ["ws_trade", "seq"],
    ["ws_unsubscribed", "seq"],
    ["ws_fill", "msg"],
  ])("rejects %s without its envelope field %s", (name, field) => {
    const m = fixture(name);
    delete m[field];
    expectInvalid(parseWsMessage(m), m.type as string);
  });

  it("rejects a sequence number of zero and a fractional sid", () => {
    const a = fixture("ws_orderbook_delta");
    a.seq = 0;
    expectInvalid(parseWsMessage(a), "orderbook_delta");
    const b = fixture("ws_orderbook_delta");
    b.sid = 2.5;
    expectInvalid(parseWsMessage(b), "orderbook_delta");
  });

  it("rejects a snapshot level that is not a [price, count] pair", () => {
    const m = fixture("ws_orderbook_snapshot");
    m.msg.yes_dollars_fp = [["0.0800", "300.00", "1"]];
    expectInvalid(parseWsMessage(m), "orderbook_snapshot");
    m.msg.yes_dollars_fp = [["0.0800", 300]];
    expectInvalid(parseWsMessage(m), "orderbook_snapshot");
  });

  it("rejects a side outside yes/no and an order status outside the enum", () => {
    const d = fixture("ws_orderbook_delta");
    d.msg.side = "bid";
    expectInvalid(parseWsMessage(d), "orderbook_delta");
    const u = fixture("ws_user_order");
    u.msg.status = "pending";
    expectInvalid(parseWsMessage(u), "user_order");
  });

  it("rejects a lifecycle event type the spec does not list", () => {
    const m = fixture("ws_market_lifecycle_v2_created");
    m.msg.event_type = "exploded";
    expectInvalid(parseWsMessage(m), "market_lifecycle_v2");
  });

  it("rejects a malformed tick band in price_ranges", () => {
    const m = fixture("ws_market_lifecycle_v2_price_level_structure_updated");
    m.msg.price_ranges = [{ start: "0.0000", end: "1.0000" }];
    expectInvalid(parseWsMessage(m), "market_lifecycle_v2");
  });
});

describe("tolerance", () => {
  it("accepts added fields in the envelope and the payload and drops them", () => {
    const m = fixture("ws_orderbook_delta");
    m.brand_new = 1;
    m.msg.brand_new_field = { nested: true };
    const message = expectMessage(parseWsMessage(m));
    if (message.type !== "orderbook_delta") throw new Error("expected orderbook_delta");
    expect(message).not.toHaveProperty("brand_new");
    expect(message.msg).not.toHaveProperty("brand_new_field");
    expect(message.msg.delta_fp).toBe("-54.00");
  });

  it.each([
    ["ws_ticker", ["ts", "time"]],
    ["ws_trade", ["ts", "taker_side"]],
    ["ws_fill", ["ts", "side", "action", "purchased_side", "client_order_id", "subaccount"]],
    [
      "ws_user_order",
      ["side", "is_yes", "created_time", "expiration_time", "order_group_id", "expiration_ts_ms"],
    ],
    ["ws_orderbook_delta", ["ts", "ts_ms"]],
    ["ws_orderbook_snapshot", ["yes_dollars_fp", "no_dollars_fp"]],
  ])("accepts %s without its optional or deprecated fields %j", (name, fields) => {
    const m = fixture(name);
    for (const f of fields) delete m.msg[f];
    expect(parseWsMessage(m).kind).toBe("message");
  });

  it("accepts a null created_ts_ms on user_order, as the spec allows", () => {
    const m = fixture("ws_user_order");
    m.msg.created_ts_ms = null;
    expect(toUserOrderUpdate(UserOrder.parse(m)).createdTsMs).toBeNull();
  });

  it("accepts a price level structure name it has never seen", () => {
    const m = fixture("ws_market_lifecycle_v2_price_level_structure_updated");
    m.msg.price_level_structure = "center_milli_edge_micro_cent";
    expect(parseWsMessage(m).kind).toBe("message");
  });

  it("accepts an error code outside the table so the handler still sees it", () => {
    const m = fixture("ws_error_unknown_channel");
    m.msg.code = 99;
    const message = expectMessage(parseWsMessage(m));
    expect(message.type).toBe("error");
    expect(wsErrorName(99)).toBe("Unknown error code 99");
  });

  it("accepts an ok reply without msg, as sent with skip_ticker_ack", () => {
    expect(parseWsMessage({ id: 9, sid: 4, seq: 12, type: "ok" }).kind).toBe("message");
  });
});

describe("unknown and garbage input", () => {
  it("recognises an unknown type string as unknown", () => {
    expect(parseWsMessage({ type: "ticker_v2", sid: 3, msg: {} })).toEqual({
      kind: "unknown",
      type: "ticker_v2",
      sid: 3,
    });
    expect(parseWsMessage({ type: "something_new" })).toEqual({ kind: "unknown", type: "something_new" });
  });

  it("does not pass on a sid or seq that is not a positive integer", () => {
    expect(parseWsMessage({ type: "x", sid: "3", seq: -1 })).toEqual({ kind: "unknown", type: "x" });
  });

  it.each([
    ["null", null],
    ["a number", 42],
    ["a string", "orderbook_delta"],
    ["an array", [{ type: "ticker" }]],
    ["an object without type", { sid: 1, msg: {} }],
    ["a non-string type", { type: 7 }],
    ["undefined", undefined],
  ])("returns invalid for %s", (_what, value) => {
    const r = parseWsMessage(value);
    expect(r.kind).toBe("invalid");
    expect(r).not.toHaveProperty("type");
  });

  it.each(["", "not json", "{", '{"type":"orderbook_delta",', "[1,2]", "null"])(
    "returns invalid for the text %j without throwing",
    (text) => {
      expect(parseWsText(text).kind).toBe("invalid");
    },
  );

  it("never throws, even on an object whose getters throw", () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("boom");
        },
      },
    );
    const r = parseWsMessage(hostile);
    expect(r.kind).toBe("invalid");
  });
});

describe("domain converters", () => {
  it("turns snapshot levels into integer [price, count] pairs per side", () => {
    const s = toBookSnapshot(OrderbookSnapshot.parse(fixture("ws_orderbook_snapshot")));
    expect(s).toEqual({
      ticker: "FED-23DEC-T3.00",
      marketId: "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1",
      yes: [
        [800, 30_000],
        [2200, 33_300],
      ],
      no: [
        [5400, 2000],
        [5600, 14_600],
      ],
    });
  });

  it("turns an absent snapshot side into an empty ladder", () => {
    const m = fixture("ws_orderbook_snapshot");
    delete m.msg.no_dollars_fp;
    expect(toBookSnapshot(OrderbookSnapshot.parse(m)).no).toEqual([]);
  });

  it("turns a delta into a signed integer change with its millisecond timestamp", () => {
    expect(toBookDelta(OrderbookDelta.parse(fixture("ws_orderbook_delta")))).toEqual({
      ticker: "FED-23DEC-T3.00",
      side: "yes",
      price: 9600,
      delta: -5400,
      tsMs: 1_669_149_841_000,
    });
  });

  it("falls back to the deprecated RFC3339 ts, then to null, when ts_ms is absent", () => {
    const m = fixture("ws_orderbook_delta");
    delete m.msg.ts_ms;
    expect(toBookDelta(OrderbookDelta.parse(m)).tsMs).toBe(1_669_149_841_000);
    delete m.msg.ts;
    expect(toBookDelta(OrderbookDelta.parse(m)).tsMs).toBeNull();
  });

  it("carries the client order id of a delta our own order caused", () => {
    const m = fixture("ws_orderbook_delta");
    m.msg.client_order_id = "my-order-1";
    expect(toBookDelta(OrderbookDelta.parse(m)).clientOrderId).toBe("my-order-1");
  });

  it("converts a ticker and a public trade", () => {
    expect(toTickerUpdate(Ticker.parse(fixture("ws_ticker")))).toEqual({
      ticker: "FED-23DEC-T3.00",
      lastPrice: 4800,
      yesBid: 4500,
      yesAsk: 5300,
      yesBidSize: 30_000,
      yesAskSize: 15_000,
      lastTradeSize: 2500,
      volume: 3_389_600,
      openInterest: 2_042_200,
      tsMs: 1_669_149_841_000,
    });
    expect(toPublicTrade(Trade.parse(fixture("ws_trade")))).toEqual({
      tradeId: "d91bc706-ee49-470d-82d8-11418bda6fed",
      ticker: "HIGHNY-22DEC23-B53.5",
      yesPrice: 3600,
      count: 13_600,
      takerOutcomeSide: "no",
      isBlockTrade: false,
      tsMs: 1_669_149_841_000,
    });
  });

  it("converts a fill with its fee in micro-dollars and the position after it", () => {
    expect(toFillEvent(Fill.parse(fixture("ws_fill")))).toEqual({
      tradeId: "d91bc706-ee49-470d-82d8-11418bda6fed",
      orderId: "ee587a1c-8b87-4dcf-b721-9f6f790619fa",
      clientOrderId: "my-order-1",
      ticker: "HIGHNY-22DEC23-B53.5",
      exchangeIndex: 2,
      isTaker: true,
      outcomeSide: "yes",
      bookSide: "bid",
      yesPrice: 7500,
      count: 27_800,
      fee: 10_000,
      postPosition: 50_000,
      tsMs: 1_671_899_397_000,
      subaccount: 3,
    });
  });

  it("converts a user order", () => {
    expect(toUserOrderUpdate(UserOrder.parse(fixture("ws_user_order")))).toEqual({
      orderId: "ee587a1c-8b87-4dcf-b721-9f6f790619fa",
      clientOrderId: "my-order-1",
      ticker: "FED-23DEC-T3.00",
      exchangeIndex: 2,
      status: "resting",
      outcomeSide: "yes",
      bookSide: "bid",
      yesPrice: 3500,
      fillCount: 0,
      remainingCount: 1000,
      initialCount: 1000,
      takerFillCost: 0,
      makerFillCost: 0,
      takerFees: 0,
      makerFees: 0,
      createdTsMs: 1_733_047_200_000,
      expirationTsMs: 1_733_050_800_000,
      orderGroupId: "og_123",
      subaccount: 0,
    });
  });

  it("converts a market position, money in micro-dollars", () => {
    expect(toPositionUpdate(MarketPosition.parse(fixture("ws_market_position")))).toEqual({
      ticker: "FED-23DEC-T3.00",
      position: 10_000,
      positionCost: 50_000_000,
      realizedPnl: 10_000_000,
      feesPaid: 1_000_000,
      positionFeeCost: 500_000,
      volume: 1500,
    });
  });

  it("converts a created lifecycle event with times in milliseconds", () => {
    expect(toLifecycleEvent(MarketLifecycleV2.parse(fixture("ws_market_lifecycle_v2_created")))).toEqual({
      ticker: "INXD-23SEP14-B4487",
      eventType: "created",
      exchangeIndex: 0,
      openTsMs: 1_694_635_200_000,
      closeTsMs: 1_694_721_600_000,
      priceLevelStructure: "linear_cent",
      eventTicker: "INXD-23SEP14",
      canCloseEarly: true,
    });
  });

  it("turns price_ranges of a price level structure change into a tick grid", () => {
    const e = toLifecycleEvent(
      MarketLifecycleV2.parse(fixture("ws_market_lifecycle_v2_price_level_structure_updated")),
    );
    expect(e.eventType).toBe("price_level_structure_updated");
    expect(e.priceLevelStructure).toBe("deci_cent");
    expect(e.tickGrid?.bands).toEqual([{ start: 0, end: 10_000, step: 10 }]);
    expect(e.tickGridError).toBeUndefined();
  });

  it("reports price_ranges that do not form a grid instead of throwing", () => {
    const m = fixture("ws_market_lifecycle_v2_price_level_structure_updated");
    m.msg.price_ranges = [
      { start: "0.0000", end: "0.1000", step: "0.0010" },
      { start: "0.2000", end: "1.0000", step: "0.0100" },
    ];
    const e = toLifecycleEvent(MarketLifecycleV2.parse(m));
    expect(e.tickGrid).toBeUndefined();
    expect(e.tickGridError).toContain("gap");
  });

  it("converts a determined event's settlement value to price units", () => {
    const m = {
      type: "market_lifecycle_v2",
      sid: 13,
      seq: 9,
      msg: {
        market_ticker: "INXD-23SEP14-B4487",
        event_type: "determined",
        result: "yes",
        settlement_value: "1.0000",
        determination_ts: 1694721700,
      },
    };
    expect(toLifecycleEvent(MarketLifecycleV2.parse(m))).toEqual({
      ticker: "INXD-23SEP14-B4487",
      eventType: "determined",
      result: "yes",
      settlementValue: 10_000,
      determinationTsMs: 1_694_721_700_000,
    });
  });

  it("parses an event lifecycle message", () => {
    expect(EventLifecycle.parse(fixture("ws_event_lifecycle")).msg.series_ticker).toBe("KXQUICKSETTLE");
  });
});

describe("error codes", () => {
  it("marks only channel error (10) and buffer overflow (25) as terminal", () => {
    const terminal = Object.keys(WS_ERROR_CODES)
      .map(Number)
      .filter((c) => isTerminalWsError(c));
    expect(terminal).toEqual([10, 25]);
    expect(isTerminalWsError(7)).toBe(false);
    expect(isTerminalWsError(999)).toBe(false);
  });

  it("covers codes 1 to 28 and marks 6, 16 and 17 retired", () => {
    for (let c = 1; c <= 28; c++) expect(WS_ERROR_CODES[c], String(c)).toBeDefined();
    const retired = Object.entries(WS_ERROR_CODES)
      .filter(([, v]) => v.retired)
      .map(([k]) => Number(k));
    expect(retired).toEqual([6, 16, 17]);
    expect(wsErrorName(25)).toBe("Subscription buffer overflow");
  });
});

describe("channels", () => {
  it("lists the bot's channels and the sequenced data types", () => {
    expect(BOT_CHANNELS).toEqual([
      "orderbook_delta",
      "ticker",
      "trade",
      "fill",
      "user_orders",
      "market_positions",
      "market_lifecycle_v2",
    ]);
    for (const t of [
      "orderbook_snapshot",
      "orderbook_delta",
      "trade",
      "market_lifecycle_v2",
      "event_lifecycle",
    ]) {
      expect(SEQUENCED_TYPES.has(t), t).toBe(true);
    }
    for (const t of ["ticker", "fill", "user_order", "market_position"]) {
      expect(SEQUENCED_TYPES.has(t), t).toBe(false);
    }
  });

  it("agrees with the fixtures on which data messages carry seq", () => {
    for (const name of ALL_FIXTURES) {
      const m = JSON.parse(fixtureText(name));
      if (["subscribed", "unsubscribed", "ok", "error"].includes(m.type) || UNHANDLED.has(name)) continue;
      expect(SEQUENCED_TYPES.has(m.type), name).toBe(typeof m.seq === "number");
    }
  });
});

describe("command builders (spec examples)", () => {
  it("builds subscribe for one orderbook market", () => {
    expect(subscribeCmd(1, { channels: ["orderbook_delta"], marketTicker: "CPI-22DEC-TN0.1" })).toEqual({
      id: 1,
      cmd: "subscribe",
      params: { channels: ["orderbook_delta"], market_ticker: "CPI-22DEC-TN0.1" },
    });
  });

  it("builds subscribe for several channels and markets", () => {
    expect(
      subscribeCmd(2, {
        channels: ["orderbook_delta", "ticker"],
        marketTickers: ["FED-23DEC-T3.00", "CORIVER-2024-T1030"],
      }),
    ).toEqual({
      id: 2,
      cmd: "subscribe",
      params: {
        channels: ["orderbook_delta", "ticker"],
        market_tickers: ["FED-23DEC-T3.00", "CORIVER-2024-T1030"],
      },
    });
  });

  it("builds subscribe for all fills, user orders per market, and all lifecycle events", () => {
    expect(subscribeCmd(3, { channels: ["fill"] })).toEqual({
      id: 3,
      cmd: "subscribe",
      params: { channels: ["fill"] },
    });
    expect(
      subscribeCmd(8, {
        channels: ["user_orders"],
        marketTickers: ["FED-23DEC-T3.00", "CORIVER-2024-T1030"],
      }),
    ).toEqual({
      id: 8,
      cmd: "subscribe",
      params: { channels: ["user_orders"], market_tickers: ["FED-23DEC-T3.00", "CORIVER-2024-T1030"] },
    });
    expect(subscribeCmd(5, { channels: ["market_lifecycle_v2"] })).toEqual({
      id: 5,
      cmd: "subscribe",
      params: { channels: ["market_lifecycle_v2"] },
    });
  });

  it("builds subscribe for market-data channels of one market", () => {
    expect(
      subscribeCmd(4, {
        channels: ["orderbook_delta", "ticker", "trade", "market_lifecycle_v2"],
        marketTicker: "TSLA-23DEC-T200",
      }),
    ).toEqual({
      id: 4,
      cmd: "subscribe",
      params: {
        channels: ["orderbook_delta", "ticker", "trade", "market_lifecycle_v2"],
        market_ticker: "TSLA-23DEC-T200",
      },
    });
  });

  it("builds subscribe to ticker with an initial snapshot", () => {
    expect(
      subscribeCmd(7, {
        channels: ["ticker"],
        marketTickers: ["FED-23DEC-T3.00"],
        sendInitialSnapshot: true,
      }),
    ).toEqual({
      id: 7,
      cmd: "subscribe",
      params: { channels: ["ticker"], market_tickers: ["FED-23DEC-T3.00"], send_initial_snapshot: true },
    });
  });

  it("writes use_yes_price explicitly, false included, on an orderbook subscription", () => {
    const off = subscribeCmd(9, {
      channels: ["orderbook_delta"],
      marketTickers: ["FED-23DEC-T3.00"],
      useYesPrice: false,
    });
    expect(JSON.stringify(off)).toBe(
      '{"id":9,"cmd":"subscribe","params":{"channels":["orderbook_delta"],"market_tickers":["FED-23DEC-T3.00"],"use_yes_price":false}}',
    );
    const on = subscribeCmd(10, {
      channels: ["orderbook_delta"],
      marketTickers: ["FED-23DEC-T3.00"],
      useYesPrice: true,
      skipTickerAck: true,
    });
    expect(on.params).toEqual({
      channels: ["orderbook_delta"],
      market_tickers: ["FED-23DEC-T3.00"],
      skip_ticker_ack: true,
      use_yes_price: true,
    });
  });

  it("does not alias the caller's arrays", () => {
    const tickers = ["FED-23DEC-T3.00"];
    const cmd = subscribeCmd(1, { channels: ["ticker"], marketTickers: tickers });
    tickers.push("X-1");
    expect(cmd.params.market_tickers).toEqual(["FED-23DEC-T3.00"]);
  });

  it("builds unsubscribe", () => {
    expect(unsubscribeCmd(124, [1, 2])).toEqual({ id: 124, cmd: "unsubscribe", params: { sids: [1, 2] } });
  });

  it("builds update_subscription add, delete and get_snapshot with the sids form", () => {
    expect(
      updateSubscriptionCmd(124, {
        sids: [456],
        marketTickers: ["NEW-MARKET-1", "NEW-MARKET-2"],
        action: "add_markets",
      }),
    ).toEqual({
      id: 124,
      cmd: "update_subscription",
      params: { sids: [456], market_tickers: ["NEW-MARKET-1", "NEW-MARKET-2"], action: "add_markets" },
    });
    expect(
      updateSubscriptionCmd(125, {
        sids: [456],
        marketTickers: ["MARKET-TO-REMOVE-1", "MARKET-TO-REMOVE-2"],
        action: "delete_markets",
      }),
    ).toEqual({
      id: 125,
      cmd: "update_subscription",
      params: {
        sids: [456],
        market_tickers: ["MARKET-TO-REMOVE-1", "MARKET-TO-REMOVE-2"],
        action: "delete_markets",
      },
    });
    expect(
      updateSubscriptionCmd(127, {
        sids: [456],
        marketTickers: ["MARKET-1", "MARKET-2"],
        action: "get_snapshot",
      }),
    ).toEqual({
      id: 127,
      cmd: "update_subscription",
      params: { sids: [456], market_tickers: ["MARKET-1", "MARKET-2"], action: "get_snapshot" },
    });
  });

  it("builds update_subscription with the single sid form", () => {
    expect(
      updateSubscriptionCmd(126, {
        sid: 456,
        marketTickers: ["NEW-MARKET-3", "NEW-MARKET-4"],
        action: "add_markets",
      }),
    ).toEqual({
      id: 126,
      cmd: "update_subscription",
      params: { sid: 456, market_tickers: ["NEW-MARKET-3", "NEW-MARKET-4"], action: "add_markets" },
    });
  });

  it("builds list_subscriptions without params, as the spec's example", () => {
    expect(listSubscriptionsCmd(3)).toEqual({ id: 3, cmd: "list_subscriptions" });
  });
});

describe("command builders reject bad calls", () => {
  it.each([
    ["no channels", () => subscribeCmd(1, { channels: [] })],
    ["an unknown channel", () => subscribeCmd(1, { channels: ["ticker_v2"] as unknown as WsChannel[] })],
    ["a channel twice", () => subscribeCmd(1, { channels: ["ticker", "ticker"] })],
    [
      "both ticker forms",
      () => subscribeCmd(1, { channels: ["ticker"], marketTicker: "A-1", marketTickers: ["B-2"] }),
    ],
    ["a lower-case ticker", () => subscribeCmd(1, { channels: ["ticker"], marketTicker: "fed-23dec" })],
    ["a ticker with a space", () => subscribeCmd(1, { channels: ["ticker"], marketTickers: ["FED 23DEC"] })],
    ["an empty ticker list", () => subscribeCmd(1, { channels: ["ticker"], marketTickers: [] })],
    [
      "an orderbook without markets",
      () => subscribeCmd(1, { channels: ["orderbook_delta"], useYesPrice: true }),
    ],
    ["use_yes_price off the orderbook", () => subscribeCmd(1, { channels: ["ticker"], useYesPrice: true })],
    [
      "send_initial_snapshot off the ticker",
      () => subscribeCmd(1, { channels: ["fill"], sendInitialSnapshot: true }),
    ],
    ["a negative id", () => subscribeCmd(-1, { channels: ["fill"] })],
    ["a fractional id", () => listSubscriptionsCmd(1.5)],
    ["no sids", () => unsubscribeCmd(1, [])],
    ["a zero sid", () => unsubscribeCmd(1, [0])],
    [
      "both sid and sids",
      () =>
        updateSubscriptionCmd(1, {
          sid: 1,
          sids: [1],
          marketTickers: ["A-1"],
          action: "add_markets",
        } as unknown as Parameters<typeof updateSubscriptionCmd>[1]),
    ],
    [
      "neither sid nor sids",
      () =>
        updateSubscriptionCmd(1, { marketTickers: ["A-1"], action: "add_markets" } as unknown as Parameters<
          typeof updateSubscriptionCmd
        >[1]),
    ],
    [
      "two sids",
      () =>
        updateSubscriptionCmd(1, {
          sids: [1, 2],
          marketTickers: ["A-1"],
          action: "add_markets",
        } as unknown as Parameters<typeof updateSubscriptionCmd>[1]),
    ],
    [
      "an unsupported action",
      () =>
        updateSubscriptionCmd(1, {
          sid: 1,
          marketTickers: ["A-1"],
          action: "indexlist",
        } as unknown as Parameters<typeof updateSubscriptionCmd>[1]),
    ],
    [
      "get_snapshot without tickers",
      () => updateSubscriptionCmd(1, { sid: 1, marketTickers: [], action: "get_snapshot" }),
    ],
  ])("throws WsCommandError for %s", (_what, call) => {
    expect(call).toThrow(WsCommandError);
  });
});
