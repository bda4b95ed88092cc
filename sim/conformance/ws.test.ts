/**
 * WebSocket conformance: a `ws` socket opened with the bot's signed upgrade headers, driven only
 * with the bot's command builders (`subscribeCmd` for all seven bot channels with
 * `use_yes_price`, `updateSubscriptionCmd` add / delete / get_snapshot, `listSubscriptionsCmd`,
 * `unsubscribeCmd`), while orders go through the bot's REST client and lifecycle events (every
 * type the feed acts on, `created` and `price_level_structure_updated` included) through the
 * control API. Every frame received must parse with `parseWsMessage` as a known message,
 * every message type the bot uses must turn up, and `seq` must run contiguously per `sid`,
 * `ok` and `unsubscribed` replies included.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isOnGrid } from "../../shared/kalshi/tick-grid.ts";
import type { WsMessage } from "../../shared/kalshi/ws-messages.ts";
import {
  BOT_CHANNELS,
  LIFECYCLE_EVENT_TYPES,
  listSubscriptionsCmd,
  subscribeCmd,
  toBookSnapshot,
  toFillEvent,
  toLifecycleEvent,
  toPositionUpdate,
  toUserOrderUpdate,
  unsubscribeCmd,
  updateSubscriptionCmd,
} from "../../shared/kalshi/ws-messages.ts";
import type { Conformance } from "./harness.ts";
import { must, orderBody, startConformance, WsRecorder } from "./harness.ts";

let c: Conformance;
let ws: WsRecorder;
/** linear_cent, shard 0: the market we trade. */
let A: string;
/** Another market, added to and removed from the book subscription. */
let B: string;
/** A market taken through its whole lifecycle. */
let L: string;

beforeEach(async () => {
  c = await startConformance();
  const markets = (await c.control.state()).markets.map((m) => m.ticker);
  A = markets.find((t) => t.startsWith("KXHIGHNY-")) as string;
  B = markets.find((t) => t.startsWith("KXBTCD-")) as string;
  L = markets.find((t) => t !== A && t !== B) as string;
  ws = await WsRecorder.openSigned(c.sim.wsUrl, c.signer, c.clock.ms);
});
afterEach(async () => {
  ws.close();
  await c.close();
});

/** Every lifecycle event type of market_lifecycle_v2, `metadata_updated` (titles, strikes) included. */
const BOT_LIFECYCLE_EVENTS = LIFECYCLE_EVENT_TYPES;

function lifecycleType(raw: Record<string, unknown>): unknown {
  const msg = raw.msg;
  return typeof msg === "object" && msg !== null ? (msg as Record<string, unknown>).event_type : undefined;
}

type Of<T extends WsMessage["type"]> = Extract<WsMessage, { type: T }>;
const is =
  <T extends WsMessage["type"]>(type: T, f: (m: Of<T>) => boolean = () => true) =>
  (m: WsMessage): m is Of<T> =>
    m.type === type && f(m as Of<T>);

/** Subscribes the bot's channels on `A`; returns channel -> sid. */
async function subscribeAll(): Promise<Map<string, number>> {
  const id = ws.id();
  const from = ws.frames.length;
  ws.send(
    subscribeCmd(id, {
      channels: BOT_CHANNELS,
      marketTickers: [A],
      useYesPrice: true,
      sendInitialSnapshot: true,
    }),
  );
  const sids = new Map<string, number>();
  for (const channel of BOT_CHANNELS) {
    const m = await ws.waitFor(
      is("subscribed", (s) => s.id === id && s.msg.channel === channel),
      `subscribed ${channel}`,
      { from },
    );
    sids.set(channel, m.msg.sid);
  }
  return sids;
}

/** Every frame so far: list_subscriptions is answered in order, after everything sent before it. */
async function drain(): Promise<void> {
  await ws.request(listSubscriptionsCmd(ws.id()));
}

function assertEveryFrameParses(): void {
  const bad = ws.frames.filter((f) => f.parsed.kind !== "message");
  expect(
    bad.map((f) => ({ raw: f.raw, parsed: f.parsed })),
    "frames that did not parse as known messages",
  ).toEqual([]);
}

function assertSeqContiguous(): void {
  const last = new Map<number, number>();
  const gaps: string[] = [];
  for (const { raw } of ws.frames) {
    if (typeof raw.sid !== "number" || typeof raw.seq !== "number") continue;
    const prev = last.get(raw.sid) ?? 0;
    if (raw.seq !== prev + 1) gaps.push(`sid ${raw.sid}: ${prev} -> ${raw.seq} (${String(raw.type)})`);
    last.set(raw.sid, raw.seq);
  }
  expect(gaps).toEqual([]);
}

describe("WebSocket conformance", () => {
  it("every frame of a full session parses, every bot message type appears, and seq is contiguous per sid", async () => {
    // A book on A with both sides: YES bid 0.40 x 10, and a YES ask 0.45 x 10 (a NO bid at 0.55).
    await c.control.placeLiquidity(A, "bid", 4000, 1000);
    await c.control.placeLiquidity(A, "ask", 4500, 1000);
    await c.control.placeLiquidity(B, "bid", 2000, 300);

    const sids = await subscribeAll();
    const bookSid = sids.get("orderbook_delta") as number;

    // snapshot with NO-side levels on the YES scale (use_yes_price): the NO bid at 0.55 shows as 0.45
    const snap = await ws.waitFor(
      is("orderbook_snapshot", (m) => m.msg.market_ticker === A),
      "snapshot of A",
    );
    const book = toBookSnapshot(snap);
    expect(book.yes).toEqual([[4000, 1000]]);
    expect(book.no).toEqual([[4500, 1000]]);
    await ws.waitFor(
      is("ticker", (m) => m.msg.market_ticker === A),
      "initial ticker of A",
    );

    // a taker buy through the REST client: fill, user_order, market_position, trade, delta, ticker
    const taker = orderBody(A, "bid", "0.4500", "2.00", { time_in_force: "immediate_or_cancel" });
    const created = must(await c.client.createOrder(taker, "open"));
    const fill = await ws.waitFor(
      is("fill", (m) => m.msg.order_id === created.order_id),
      "fill",
    );
    expect(toFillEvent(fill)).toMatchObject({ count: 200, yesPrice: 4500, isTaker: true });
    const restFee = must(await c.client.listFills({ order_id: created.order_id }))[0]?.fee_cost;
    expect(fill.msg.fee_cost).toBe(restFee);
    const uo = await ws.waitFor(
      is("user_order", (m) => m.msg.order_id === created.order_id && m.msg.status === "executed"),
      "user_order executed",
    );
    expect(toUserOrderUpdate(uo)).toMatchObject({ clientOrderId: taker.client_order_id, fillCount: 200 });
    const pos = await ws.waitFor(
      is("market_position", (m) => m.msg.market_ticker === A),
      "market_position",
    );
    expect(toPositionUpdate(pos).position).toBe(200);
    await ws.waitFor(
      is("trade", (m) => m.msg.market_ticker === A),
      "trade",
    );
    await ws.waitFor(
      is("orderbook_delta", (m) => m.msg.market_ticker === A && m.msg.side === "no"),
      "NO delta",
    );

    // a resting maker order: its delta names our client_order_id
    const maker = orderBody(A, "bid", "0.4100", "1.00");
    must(await c.client.createOrder(maker, "open"));
    const own = await ws.waitFor(
      is("orderbook_delta", (m) => m.msg.client_order_id === maker.client_order_id),
      "own delta",
    );
    expect([own.msg.side, own.msg.price_dollars, own.msg.delta_fp]).toEqual(["yes", "0.4100", "1.00"]);
    const resting = await ws.waitFor(
      is("user_order", (m) => m.msg.client_order_id === maker.client_order_id && m.msg.status === "resting"),
      "user_order resting",
    );
    must(await c.client.cancelOrder(resting.msg.order_id, { exchange_index: 0 }));
    await ws.waitFor(
      is("user_order", (m) => m.msg.order_id === resting.msg.order_id && m.msg.status === "canceled"),
      "user_order canceled",
    );
    await ws.waitFor(
      is(
        "orderbook_delta",
        (m) => m.msg.client_order_id === maker.client_order_id && m.msg.delta_fp === "-1.00",
      ),
      "own cancel delta",
    );

    // update_subscription: add B (ok + snapshot), snapshot A again, delete B
    const add = await ws.request(
      updateSubscriptionCmd(ws.id(), { sid: bookSid, action: "add_markets", marketTickers: [B] }),
    );
    expect(add).toMatchObject({ type: "ok", sid: bookSid, msg: { market_tickers: [A, B] } });
    await ws.waitFor(
      is("orderbook_snapshot", (m) => m.msg.market_ticker === B),
      "snapshot of B",
    );
    const snapId = ws.id();
    const again = await ws.request(
      updateSubscriptionCmd(snapId, { sids: [bookSid], action: "get_snapshot", marketTickers: [A] }),
      "orderbook_snapshot",
    );
    expect(again).toMatchObject({ type: "orderbook_snapshot", id: snapId, sid: bookSid });
    const del = await ws.request(
      updateSubscriptionCmd(ws.id(), { sid: bookSid, action: "delete_markets", marketTickers: [B] }),
    );
    expect(del).toMatchObject({ type: "ok", sid: bookSid, msg: { market_tickers: [A] } });

    // lifecycle of L through the control API: metadata, deactivated, activated, close, determined, settled
    await c.control.updateMarketMetadata(L, { yesSubTitle: "above 60" });
    await c.control.pauseMarket(L, true);
    await c.control.pauseMarket(L, false);
    await c.control.closeMarket(L);
    await c.control.determineMarket(L, "no");
    await c.control.settleMarket(L);
    for (const ev of ["deactivated", "activated", "close_date_updated", "determined", "settled"] as const) {
      await ws.waitFor(
        is("market_lifecycle_v2", (m) => m.msg.market_ticker === L && m.msg.event_type === ev),
        `lifecycle ${ev} of L`,
      );
    }
    const det = await ws.waitFor(
      is("market_lifecycle_v2", (m) => m.msg.market_ticker === L && m.msg.event_type === "determined"),
      "determined",
    );
    expect([det.msg.result, det.msg.settlement_value]).toEqual(["no", "0.0000"]);

    // a new market with a strike ticker (a `.`, as Kalshi's have), then a new tick grid for it:
    // created and price_level_structure_updated carry grids the bot can use
    const N = "KXHIGHNY-26NOV23-B45.5";
    await c.control.createMarket({ ticker: N, eventTicker: "KXHIGHNY-26NOV23", seriesTicker: "KXHIGHNY" });
    const listed = toLifecycleEvent(
      await ws.waitFor(
        is("market_lifecycle_v2", (m) => m.msg.market_ticker === N && m.msg.event_type === "created"),
        "lifecycle created of N",
      ),
    );
    expect(listed).toMatchObject({ priceLevelStructure: "linear_cent", eventTicker: "KXHIGHNY-26NOV23" });
    expect(listed.tickGridError).toBeUndefined();
    expect(listed.tickGrid && isOnGrid(listed.tickGrid, 4500)).toBe(true);
    expect(listed.tickGrid && isOnGrid(listed.tickGrid, 4550)).toBe(false);
    await c.control.setPriceLevelStructure(N, "deci_cent");
    const updated = toLifecycleEvent(
      await ws.waitFor(
        is(
          "market_lifecycle_v2",
          (m) => m.msg.market_ticker === N && m.msg.event_type === "price_level_structure_updated",
        ),
        "lifecycle price_level_structure_updated of N",
      ),
    );
    expect(updated.priceLevelStructure).toBe("deci_cent");
    expect(updated.tickGrid && isOnGrid(updated.tickGrid, 4550)).toBe(true);
    // the bot's builder and the simulator agree the dotted ticker is a ticker
    const addN = await ws.request(
      updateSubscriptionCmd(ws.id(), { sid: bookSid, action: "add_markets", marketTickers: [N] }),
    );
    expect(addN).toMatchObject({ type: "ok", sid: bookSid, msg: { market_tickers: [A, N] } });
    await ws.waitFor(
      is("orderbook_snapshot", (m) => m.msg.market_ticker === N),
      "snapshot of N",
    );
    const seenLifecycle = new Set(
      ws.frames
        .map((f) => f.raw)
        .flatMap((r) => (r.type === "market_lifecycle_v2" ? [lifecycleType(r)] : [])),
    );
    for (const ev of BOT_LIFECYCLE_EVENTS) expect(seenLifecycle.has(ev), `lifecycle ${ev} seen`).toBe(true);

    // list_subscriptions lists the seven subscriptions
    const list = await ws.request(listSubscriptionsCmd(ws.id()));
    expect(
      list.type === "ok" && Array.isArray(list.msg) ? list.msg.map((s) => s.channel).sort() : null,
    ).toEqual([...BOT_CHANNELS].sort());

    // unsubscribe every sid: one `unsubscribed` per sid
    const unId = ws.id();
    const from = ws.frames.length;
    ws.send(unsubscribeCmd(unId, [...sids.values()]));
    for (const sid of sids.values()) {
      await ws.waitFor(
        is("unsubscribed", (m) => m.id === unId && m.sid === sid),
        `unsubscribed ${sid}`,
        { from },
      );
    }
    await drain();

    assertEveryFrameParses();
    const seen = new Set(ws.frames.map((f) => f.raw.type));
    for (const type of [
      "subscribed",
      "orderbook_snapshot",
      "orderbook_delta",
      "ticker",
      "trade",
      "fill",
      "user_order",
      "market_position",
      "market_lifecycle_v2",
      "ok",
      "unsubscribed",
    ]) {
      expect(seen.has(type), `saw ${type}`).toBe(true);
    }
    assertSeqContiguous();
    // the seq check covered command replies: both ok replies on the book sid and every unsubscribed
    const numberedReplies = ws.frames
      .map((f) => f.raw)
      .filter((r) => (r.type === "ok" || r.type === "unsubscribed") && typeof r.seq === "number");
    expect(numberedReplies.filter((r) => r.type === "ok")).toHaveLength(3);
    expect(numberedReplies.filter((r) => r.type === "unsubscribed")).toHaveLength(BOT_CHANNELS.length);
  }, 15_000);

  it("answers a builder command with an error frame that parses, and the bad command leaves seq alone", async () => {
    const sids = await subscribeAll();
    const bookSid = sids.get("orderbook_delta") as number;
    // get_snapshot is for orderbook_delta only: code 13 on the ticker subscription
    const r = await ws.request(
      updateSubscriptionCmd(ws.id(), {
        sid: sids.get("ticker") as number,
        action: "get_snapshot",
        marketTickers: [A],
      }),
    );
    expect(r).toMatchObject({ type: "error", msg: { code: 13 } });
    const u = await ws.request(unsubscribeCmd(ws.id(), [999]), "unsubscribed");
    expect(u).toMatchObject({ type: "error", msg: { code: 7 } });
    await ws.request(
      updateSubscriptionCmd(ws.id(), { sid: bookSid, action: "add_markets", marketTickers: [B] }),
    );
    await drain();
    assertEveryFrameParses();
    assertSeqContiguous();
  });
});
