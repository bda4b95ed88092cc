/**
 * The simulator's WebSocket face over real sockets: the signed upgrade, subscribe -> snapshot
 * then deltas, one seq stream per sid across markets that also advances on `ok` replies,
 * update_subscription, list_subscriptions, the documented error codes, private channels and
 * the `heartbeat` ping.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Frame, TestSim } from "./test-support.ts";
import { api, signedHeaders, startTestSim, T0, WsClient } from "./test-support.ts";

let t: TestSim;
let a: string;
let b: string;

beforeEach(async () => {
  t = await startTestSim({ pingIntervalMs: 20 });
  const active = (await t.control.state()).markets.filter((m) => m.status === "active");
  a = active[0]?.ticker as string;
  b = active[1]?.ticker as string;
});
afterEach(async () => {
  await t.close();
});

describe("upgrade", () => {
  it("refuses an unsigned upgrade with Kalshi's 401 body", async () => {
    const err = await WsClient.open(t, {}).catch((e: unknown) => e as { status: number; body: string });
    expect(err).toMatchObject({ status: 401 });
    expect(JSON.parse((err as { body: string }).body)).toMatchObject({
      error: { code: "authentication_error" },
    });
  });

  it("refuses an upgrade signed for the REST prefix instead of /trade-api/ws/v2", async () => {
    const err = await WsClient.open(t, signedHeaders("GET", "/trade-api/v2/ws/v2", T0)).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 401 });
  });

  it("pings every interval with the payload heartbeat", async () => {
    const c = await WsClient.open(t);
    const payload = await new Promise<string>((resolve) =>
      c.ws.once("ping", (d: Buffer) => resolve(d.toString())),
    );
    expect(payload).toBe("heartbeat");
    c.close();
  });
});

describe("orderbook_delta", () => {
  it("sends subscribed, then one snapshot per market, then deltas, numbered on one seq stream", async () => {
    await t.control.placeLiquidity(a, "bid", 4500, 1000);
    const c = await WsClient.open(t);
    const id = c.send("subscribe", {
      channels: ["orderbook_delta"],
      market_tickers: [a, b],
      use_yes_price: false,
    });
    expect(await c.next()).toEqual({ id, type: "subscribed", msg: { channel: "orderbook_delta", sid: 1 } });
    const s1 = await c.next();
    expect(s1).toMatchObject({
      type: "orderbook_snapshot",
      sid: 1,
      seq: 1,
      msg: { market_ticker: a, yes_dollars_fp: [["0.4500", "10.00"]] },
    });
    expect((s1.msg as Frame).no_dollars_fp).toBeUndefined(); // an empty side's key is absent
    const s2 = await c.next();
    expect(s2).toMatchObject({ type: "orderbook_snapshot", sid: 1, seq: 2, msg: { market_ticker: b } });
    expect(s2.msg).not.toHaveProperty("yes_dollars_fp");

    await t.control.placeLiquidity(b, "ask", 5800, 300); // NO bid at 0.42 on b
    await t.control.placeLiquidity(a, "bid", 4500, 200);
    const frames = await c.drain();
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatchObject({
      type: "orderbook_delta",
      sid: 1,
      seq: 3,
      msg: { market_ticker: b, side: "no", price_dollars: "0.4200", delta_fp: "3.00", ts_ms: T0 },
    });
    expect(frames[1]).toMatchObject({
      type: "orderbook_delta",
      sid: 1,
      seq: 4,
      msg: { market_ticker: a, side: "yes", price_dollars: "0.4500", delta_fp: "2.00" },
    });
    c.close();
  });

  it("reports NO levels on the YES scale when use_yes_price is set", async () => {
    await t.control.placeLiquidity(a, "ask", 5800, 300);
    const c = await WsClient.open(t);
    c.send("subscribe", { channels: ["orderbook_delta"], market_ticker: a, use_yes_price: true });
    await c.next();
    expect((await c.next()).msg).toMatchObject({ no_dollars_fp: [["0.5800", "3.00"]] });
    await t.control.placeLiquidity(a, "ask", 5900, 100);
    const [d] = await c.drain();
    expect(d).toMatchObject({ type: "orderbook_delta", msg: { side: "no", price_dollars: "0.5900" } });
    c.close();
  });

  it("advances seq on ok replies and answers add_markets, delete_markets and get_snapshot", async () => {
    const c = await WsClient.open(t);
    c.send("subscribe", { channels: ["orderbook_delta"], market_ticker: a });
    await c.next();
    expect(await c.next()).toMatchObject({ seq: 1 });
    const add = c.send("update_subscription", { sids: [1], market_tickers: [b], action: "add_markets" });
    expect(await c.next()).toEqual({ id: add, sid: 1, seq: 2, type: "ok", msg: { market_tickers: [a, b] } });
    expect(await c.next()).toMatchObject({
      type: "orderbook_snapshot",
      sid: 1,
      seq: 3,
      msg: { market_ticker: b },
    });
    const snap = c.send("update_subscription", { sid: 1, market_tickers: [a], action: "get_snapshot" });
    expect(await c.next()).toMatchObject({
      id: snap,
      type: "orderbook_snapshot",
      sid: 1,
      seq: 4,
      msg: { market_ticker: a },
    });
    const del = c.send("update_subscription", { sid: 1, market_tickers: [a], action: "delete_markets" });
    expect(await c.next()).toEqual({ id: del, sid: 1, seq: 5, type: "ok", msg: { market_tickers: [b] } });
    await t.control.placeLiquidity(a, "bid", 4000, 100); // a is no longer subscribed
    expect(await c.drain()).toEqual([]);
    const un = c.send("unsubscribe", { sids: [1] });
    expect(await c.next()).toEqual({ id: un, sid: 1, seq: 6, type: "unsubscribed" });
    c.close();
  });
});

describe("commands", () => {
  it("lists subscriptions with their channels and sids", async () => {
    const c = await WsClient.open(t);
    c.send("subscribe", { channels: ["orderbook_delta", "ticker"], market_ticker: a });
    c.send("subscribe", { channels: ["fill"] });
    const id = c.send("list_subscriptions");
    let f = await c.next();
    while (f.id !== id) f = await c.next();
    expect(f).toEqual({
      id,
      type: "ok",
      msg: [
        { channel: "orderbook_delta", sid: 1 },
        { channel: "ticker", sid: 2 },
        { channel: "fill", sid: 3 },
      ],
    });
    c.close();
  });

  it("answers bad commands with the documented error codes", async () => {
    const c = await WsClient.open(t);
    const cases: [string, Record<string, unknown> | undefined, number, string][] = [
      ["subscribe", { channels: ["ticker_v2"] }, 8, "Unknown channel name"],
      ["subscribe", undefined, 2, "Params required"],
      ["subscribe", { channels: [] }, 3, "Channels required"],
      ["subscribe", { channels: ["orderbook_delta"] }, 14, "Market Ticker required"],
      ["unsubscribe", { sids: [42] }, 7, "Unknown subscription ID"],
      ["unsubscribe", {}, 4, "Subscription IDs required"],
      [
        "update_subscription",
        { sids: [1, 2], action: "add_markets", market_tickers: [a] },
        12,
        "Exactly one subscription ID is required",
      ],
      ["update_subscription", { sid: 1, market_tickers: [a] }, 15, "Action required"],
      ["update_subscription", { sid: 1, action: "explode", market_tickers: [a] }, 13, "Unsupported action"],
      [
        "update_subscription",
        { sid: 9, action: "add_markets", market_tickers: [a] },
        7,
        "Unknown subscription ID",
      ],
      ["dance", {}, 5, "Unknown command"],
    ];
    for (const [cmd, params, code, msg] of cases) {
      const id = c.send(cmd, params);
      expect(await c.next(), `${cmd} ${JSON.stringify(params)}`).toEqual({
        id,
        type: "error",
        msg: { code, msg },
      });
    }
    c.ws.send("not json");
    expect(await c.next()).toEqual({
      id: 0,
      type: "error",
      msg: { code: 1, msg: "Unable to process message" },
    });
    c.close();
  });
});

describe("private and market channels", () => {
  it("sends user_order, fill and market_position to the order's owner, and trade and ticker to all", async () => {
    await t.control.placeLiquidity(a, "ask", 4200, 500);
    const c = await WsClient.open(t);
    c.send("subscribe", { channels: ["user_orders", "fill", "market_positions"] });
    c.send("subscribe", { channels: ["trade", "ticker"], market_ticker: a });
    await c.drain();
    const r = await api(t, "POST", "/portfolio/events/orders", {
      ticker: a,
      side: "bid",
      price: "0.4500",
      count: "2",
      time_in_force: "immediate_or_cancel",
      self_trade_prevention_type: "taker_at_cross",
      client_order_id: "ws-1",
    });
    expect(r.status).toBe(201);
    const frames = await c.drain();
    const byType = (ty: string) => frames.filter((f) => f.type === ty);
    expect(byType("fill")[0]).toMatchObject({
      type: "fill",
      sid: 2,
      msg: {
        market_ticker: a,
        client_order_id: "ws-1",
        is_taker: true,
        book_side: "bid",
        yes_price_dollars: "0.4200",
        count_fp: "2.00",
        post_position_fp: "2.00",
      },
    });
    expect(byType("fill")[0]).not.toHaveProperty("seq");
    expect(byType("user_order").at(-1)).toMatchObject({
      sid: 1,
      msg: { ticker: a, client_order_id: "ws-1", status: "executed", fill_count_fp: "2.00" },
    });
    expect(byType("market_position")[0]).toMatchObject({
      sid: 3,
      msg: { market_ticker: a, position_fp: "2.00" },
    });
    expect(byType("trade")[0]).toMatchObject({
      sid: 4,
      seq: 1,
      msg: { market_ticker: a, yes_price_dollars: "0.4200", count_fp: "2.00", taker_book_side: "bid" },
    });
    expect(byType("ticker").length).toBeGreaterThan(0);
    expect(byType("ticker")[0]).toMatchObject({ sid: 5, msg: { market_ticker: a } });
    c.close();
  });

  // regression: user_order's deprecated `side` was "yes" even for asks
  it("renders an ask's user_order with side and is_yes following outcome_side (no)", async () => {
    const c = await WsClient.open(t);
    c.send("subscribe", { channels: ["user_orders"] });
    await c.drain();
    const r = await api(t, "POST", "/portfolio/events/orders", {
      ticker: a,
      side: "ask",
      price: "0.9000",
      count: "1",
      time_in_force: "good_till_canceled",
      self_trade_prevention_type: "taker_at_cross",
      client_order_id: "ws-ask-1",
    });
    expect(r.status).toBe(201);
    const orders = (await c.drain()).filter((f) => f.type === "user_order");
    expect(orders.at(-1)).toMatchObject({
      msg: { client_order_id: "ws-ask-1", book_side: "ask", outcome_side: "no", side: "no", is_yes: false },
    });
    c.close();
  });

  // regression: subscriptions to tickers with `.` (the spec's own CPI-22DEC-TN0.1) got error 11
  it("accepts market tickers containing a dot, like Kalshi's strike tickers", async () => {
    const dotted = "KXHIGHNY-26NOV23-B45.5";
    await t.control.createMarket({
      ticker: dotted,
      eventTicker: "KXHIGHNY-26NOV23",
      seriesTicker: "KXHIGHNY",
    });
    await t.control.placeLiquidity(dotted, "bid", 3000, 100);
    const c = await WsClient.open(t);
    const id = c.send("subscribe", { channels: ["orderbook_delta"], market_ticker: dotted });
    expect(await c.next()).toMatchObject({ id, type: "subscribed" });
    expect(await c.next()).toMatchObject({
      type: "orderbook_snapshot",
      msg: { market_ticker: dotted, yes_dollars_fp: [["0.3000", "1.00"]] },
    });
    const bad = c.send("subscribe", { channels: ["ticker"], market_ticker: "kx-lower" });
    expect(await c.next()).toMatchObject({ id: bad, type: "error", msg: { code: 11 } });
    c.close();
  });

  it("announces a market created through the control API, and a new price level structure", async () => {
    const c = await WsClient.open(t);
    c.send("subscribe", { channels: ["market_lifecycle_v2"] });
    await c.drain();
    const m = await t.control.createMarket({
      priceLevelStructure: "tapered_deci_cent",
      closeTs: T0 / 1000 + 7200,
    });
    await t.control.setPriceLevelStructure(m.ticker, "deci_cent");
    const frames = (await c.drain()).filter((f) => f.type === "market_lifecycle_v2");
    expect(frames.map((f) => (f.msg as Frame).event_type)).toEqual([
      "created",
      "price_level_structure_updated",
    ]);
    expect(frames[0]).toMatchObject({
      msg: {
        market_ticker: m.ticker,
        open_ts: T0 / 1000,
        close_ts: T0 / 1000 + 7200,
        price_level_structure: "tapered_deci_cent",
        price_ranges: [
          { start: "0.0000", end: "0.1000", step: "0.0010" },
          { start: "0.1000", end: "0.9000", step: "0.0100" },
          { start: "0.9000", end: "1.0000", step: "0.0010" },
        ],
        additional_metadata: { event_ticker: m.event_ticker },
      },
    });
    expect(frames[1]).toMatchObject({
      msg: {
        market_ticker: m.ticker,
        price_level_structure: "deci_cent",
        price_ranges: [{ start: "0.0000", end: "1.0000", step: "0.0010" }],
      },
    });
    const rest = await api(t, "GET", `/markets/${m.ticker}`);
    expect(rest.body).toMatchObject({ market: { price_level_structure: "deci_cent" } });
    c.close();
  });

  it("sends market_lifecycle_v2 events for every market", async () => {
    const c = await WsClient.open(t);
    c.send("subscribe", { channels: ["market_lifecycle_v2"] });
    await c.drain();
    await t.control.determineMarket(a, "yes");
    const frames = (await c.drain()).filter((f) => f.type === "market_lifecycle_v2");
    const types = frames.map((f) => (f.msg as Frame).event_type);
    expect(types).toContain("determined");
    const det = frames.find((f) => (f.msg as Frame).event_type === "determined");
    expect(det).toMatchObject({ sid: 1, msg: { market_ticker: a, result: "yes" } });
    expect(typeof det?.seq).toBe("number");
    c.close();
  });
});
