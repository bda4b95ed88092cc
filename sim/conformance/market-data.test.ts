/**
 * Market-data conformance for what an independent check found missing or off, each pinned to
 * Kalshi's published AsyncAPI examples (the `ws_*.json` fixtures) and REST schema: combo (KXMVE)
 * lifecycles on `multivariate_market_lifecycle` only, `exchange_index` on `created` only,
 * `event_lifecycle`, `event_fee_update` (and the fees it changes), `metadata_updated`,
 * `mve_filter`, events carrying their series, and the deprecated `action` of a fill agreeing
 * between WebSocket and REST.
 */

import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventFees, toFill, toSeriesFees } from "../../shared/kalshi/rest-schemas.ts";
import { parseMoney } from "../../shared/kalshi/units.ts";
import type { WsMessage } from "../../shared/kalshi/ws-messages.ts";
import { listSubscriptionsCmd, subscribeCmd, toLifecycleEvent } from "../../shared/kalshi/ws-messages.ts";
import type { Conformance } from "./harness.ts";
import { must, orderBody, startConformance, WsRecorder } from "./harness.ts";

let c: Conformance;
let ws: WsRecorder;
/** linear_cent, shard 0, series KXHIGHNY (quadratic, multiplier 1). */
let A: string;

beforeEach(async () => {
  c = await startConformance();
  A = (await c.control.state()).markets.find((m) => m.ticker.startsWith("KXHIGHNY-"))?.ticker as string;
  ws = await WsRecorder.openSigned(c.sim.wsUrl, c.signer, c.clock.ms);
});
afterEach(async () => {
  ws.close();
  await c.close();
});

function fixture(name: string): { type: string; msg: Record<string, unknown> } {
  return JSON.parse(
    readFileSync(new URL(`../../shared/kalshi/fixtures/${name}.json`, import.meta.url), "utf8"),
  );
}

const keys = (o: object): string[] => Object.keys(o).sort();

/** Every validated message received so far, after the server answered everything sent before. */
async function received(): Promise<WsMessage[]> {
  await ws.request(listSubscriptionsCmd(ws.id()));
  return ws.frames.flatMap((f) => (f.parsed.kind === "message" ? [f.parsed.message] : []));
}

async function subscribeLifecycles(): Promise<{ v2: number; mve: number }> {
  const id = ws.id();
  ws.send(subscribeCmd(id, { channels: ["market_lifecycle_v2", "multivariate_market_lifecycle"] }));
  const sids = { v2: 0, mve: 0 };
  for (const channel of ["market_lifecycle_v2", "multivariate_market_lifecycle"] as const) {
    const m = await ws.waitFor(
      (x) => x.type === "subscribed" && x.id === id && x.msg.channel === channel,
      `subscribed ${channel}`,
    );
    if (m.type === "subscribed") sids[channel === "market_lifecycle_v2" ? "v2" : "mve"] = m.msg.sid;
  }
  return sids;
}

describe("lifecycle channels", () => {
  it("sends a combo market's lifecycle on multivariate_market_lifecycle only, shaped like Kalshi's example", async () => {
    const sids = await subscribeLifecycles();
    const mve = await c.control.createMarket({ seriesTicker: "KXMVECROSSCATEGORY" });
    const T = mve.ticker;
    await c.control.pauseMarket(T, true);
    await c.control.pauseMarket(T, false);
    await c.control.closeMarket(T);
    await c.control.determineMarket(T, "yes");
    await c.control.settleMarket(T);
    const all = await received();

    const onMve = all.filter((m) => m.type === "multivariate_market_lifecycle");
    const onV2 = all.filter((m) => m.type === "market_lifecycle_v2");
    expect(onV2).toEqual([]);
    expect(onMve.every((m) => m.sid === sids.mve)).toBe(true);
    expect(onMve.map((m) => (m.type === "multivariate_market_lifecycle" ? m.msg.event_type : ""))).toEqual([
      "created",
      "deactivated",
      "activated",
      "close_date_updated",
      "determined",
      "settled",
    ]);
    // created: the example's keys, plus price_level_structure (which the spec allows on creation)
    const created = onMve[0] as Extract<WsMessage, { type: "multivariate_market_lifecycle" }>;
    const example = fixture("ws_multivariate_market_lifecycle_created").msg;
    expect(keys(created.msg)).toEqual([...keys(example), "price_level_structure"].sort());
    expect(keys(created.msg.additional_metadata ?? {})).toEqual(keys(example.additional_metadata as object));
    expect(toLifecycleEvent(created)).toMatchObject({ ticker: T, eventType: "created", exchangeIndex: 1 });
    // exchange_index on created only
    expect(onMve.slice(1).every((m) => !("exchange_index" in m.msg))).toBe(true);
    // the combo's new event is announced on the combo channel too
    const ev = all.find((m) => m.type === "event_lifecycle");
    expect(ev?.type === "event_lifecycle" && ev.sid).toBe(sids.mve);
  });

  it("puts exchange_index on a market's created event only, as Kalshi's spec says", async () => {
    await subscribeLifecycles();
    const N = (await c.control.createMarket({ seriesTicker: "KXBTCD" })).ticker;
    await c.control.pauseMarket(N, true);
    await c.control.pauseMarket(N, false);
    await c.control.closeMarket(N);
    const v2 = (await received()).filter(
      (m): m is Extract<WsMessage, { type: "market_lifecycle_v2" }> => m.type === "market_lifecycle_v2",
    );
    expect(v2.map((m) => [m.msg.event_type, m.msg.exchange_index])).toEqual([
      ["created", 2],
      ["deactivated", undefined],
      ["activated", undefined],
      ["close_date_updated", undefined],
    ]);
    expect(keys(v2[1]?.msg ?? {})).toEqual(["event_type", "is_deactivated", "market_ticker"]);
  });

  it("announces a new event with event_lifecycle carrying the example's keys, on market_lifecycle_v2", async () => {
    const sids = await subscribeLifecycles();
    await c.control.createMarket({ seriesTicker: "KXFED", eventTicker: "KXFED-26DEC31" });
    const ev = (await received()).find((m) => m.type === "event_lifecycle");
    expect(ev?.type).toBe("event_lifecycle");
    if (ev?.type !== "event_lifecycle") return;
    expect(ev.sid).toBe(sids.v2);
    expect(keys(ev.msg)).toEqual(keys(fixture("ws_event_lifecycle").msg));
    expect(ev.msg).toMatchObject({
      event_ticker: "KXFED-26DEC31",
      series_ticker: "KXFED",
      exchange_index: 0,
    });
  });

  it("sends metadata_updated with exactly the keys that changed, as in Kalshi's two examples", async () => {
    await subscribeLifecycles();
    await c.control.updateMarketMetadata(A, { strikeType: "between", floorStrike: 95000, capStrike: 95250 });
    await c.control.updateMarketMetadata(A, { yesSubTitle: "above $95,000" });
    const md = (await received()).flatMap((m) =>
      m.type === "market_lifecycle_v2" && m.msg.event_type === "metadata_updated" ? [m.msg] : [],
    );
    expect(md.map(keys)).toEqual([
      keys(fixture("ws_market_lifecycle_v2_metadata_updated").msg),
      keys(fixture("ws_market_lifecycle_v2_metadata_updated_subtitle").msg),
    ]);
    const market = must(await c.client.getMarket(A));
    expect(market.yes_sub_title).toBe("above $95,000");
  });
});

describe("event fee overrides", () => {
  it("announces a set and a cleared override with event_fee_update shaped like the examples, lists both changes, and charges the override", async () => {
    await subscribeLifecycles();
    const eventTicker = must(await c.client.getMarket(A)).event_ticker;
    await c.control.setEventFeeOverride(eventTicker, { feeType: "quadratic", feeMultiplier: 0.5 });

    // the event carries its series and the override; the fee in force is the override
    const event = must(await c.client.getEvent(eventTicker));
    expect(event).toMatchObject({
      series_ticker: "KXHIGHNY",
      fee_type_override: "quadratic",
      fee_multiplier_override: 0.5,
    });
    const series = toSeriesFees(must(await c.client.getSeries(event.series_ticker)));
    expect(eventFees(event, series)).toEqual({ feeType: "quadratic", feeMultiplier: 0.5 });

    // a taker buy of 4 at 0.45 pays half the quadratic fee: 0.5 x 0.07 x 4 x 0.45 x 0.55 = $0.03465 -> $0.0347
    await c.control.placeLiquidity(A, "ask", 4500, 400);
    const buy = must(
      await c.client.createOrder(
        orderBody(A, "bid", "0.4500", "4.00", { time_in_force: "immediate_or_cancel" }),
        "open",
      ),
    );
    const fill = must(await c.client.listFills({ order_id: buy.order_id })).map((f) => toFill(f));
    expect(fill.map((f) => f.ok && f.value.fee)).toEqual([34_700]);

    await c.control.setEventFeeOverride(eventTicker, null);
    const cleared = must(await c.client.getEvent(eventTicker));
    expect(cleared.fee_type_override ?? null).toBeNull();
    expect(eventFees(cleared, series)).toEqual({ feeType: "quadratic", feeMultiplier: 1 });

    const updates = (await received()).filter(
      (m): m is Extract<WsMessage, { type: "event_fee_update" }> => m.type === "event_fee_update",
    );
    expect(updates.map((u) => u.msg)).toEqual([
      { event_ticker: eventTicker, fee_type_override: "quadratic", fee_multiplier_override: 0.5 },
      { event_ticker: eventTicker, fee_type_override: null, fee_multiplier_override: null },
    ]);
    expect(keys(updates[0]?.msg ?? {})).toEqual(keys(fixture("ws_event_fee_update_set").msg));
    expect(keys(updates[1]?.msg ?? {})).toEqual(keys(fixture("ws_event_fee_update_cleared").msg));

    const changes = must(await c.client.listEventFeeChanges({ event_ticker: eventTicker }));
    expect(changes.map((x) => [x.series_ticker, x.fee_type_override, x.fee_multiplier_override])).toEqual([
      ["KXHIGHNY", null, null],
      ["KXHIGHNY", "quadratic", 0.5],
    ]);
  });
});

describe("REST market data", () => {
  it("honours mve_filter: only the combo markets, or everything but them", async () => {
    const mve = (await c.control.createMarket({ seriesTicker: "KXMVECROSSCATEGORY" })).ticker;
    const all = must(await c.client.listMarkets());
    const only = must(await c.client.listMarkets({ mve_filter: "only" }));
    const exclude = must(await c.client.listMarkets({ mve_filter: "exclude" }));
    expect(only.map((m) => m.ticker)).toContain(mve);
    expect(only.every((m) => m.ticker.startsWith("KXMVE") && m.mve_collection_ticker)).toBe(true);
    expect(exclude.some((m) => m.ticker.startsWith("KXMVE"))).toBe(false);
    expect([...only, ...exclude].map((m) => m.ticker).sort()).toEqual(all.map((m) => m.ticker).sort());
    const bad = await fetch(`${c.sim.apiUrl}/markets?mve_filter=sometimes`);
    expect(bad.status).toBe(400);
  });

  it("lists combo events only under /events/multivariate, and every event names its series", async () => {
    const mve = await c.control.createMarket({ seriesTicker: "KXMVECROSSCATEGORY" });
    const plain = (await (await fetch(`${c.sim.apiUrl}/events?limit=200`)).json()) as {
      events: { event_ticker: string; series_ticker: string }[];
    };
    const combos = (await (await fetch(`${c.sim.apiUrl}/events/multivariate`)).json()) as {
      events: { event_ticker: string; series_ticker: string }[];
    };
    expect(plain.events.some((e) => e.series_ticker.startsWith("KXMVE"))).toBe(false);
    expect(combos.events.map((e) => e.event_ticker)).toContain(mve.event_ticker);
    for (const e of plain.events)
      expect(must(await c.client.getEvent(e.event_ticker)).series_ticker).toBe(e.series_ticker);
  });
});

describe("fills: the deprecated direction fields", () => {
  it("agree between the WS fill and the REST fill, for a bid as in Kalshi's example and for an ask", async () => {
    const sub = ws.id();
    ws.send(subscribeCmd(sub, { channels: ["fill"] }));
    await ws.waitFor((m) => m.type === "subscribed" && m.id === sub, "subscribed fill");
    await c.control.placeLiquidity(A, "ask", 4500, 100);
    await c.control.placeLiquidity(A, "bid", 4000, 100);
    const bid = must(
      await c.client.createOrder(
        orderBody(A, "bid", "0.4500", "1.00", { time_in_force: "immediate_or_cancel" }),
        "open",
      ),
    );
    const ask = must(
      await c.client.createOrder(
        orderBody(A, "ask", "0.4000", "1.00", { time_in_force: "immediate_or_cancel" }),
        "open",
      ),
    );
    const fills = (await received()).filter(
      (m): m is Extract<WsMessage, { type: "fill" }> => m.type === "fill",
    );
    const pick = (f: {
      side?: string;
      action?: string;
      purchased_side?: string;
      outcome_side: string;
      book_side: string;
    }) => ({
      side: f.side,
      action: f.action,
      purchased_side: f.purchased_side,
      outcome_side: f.outcome_side,
      book_side: f.book_side,
    });
    const wsBid = fills.find((f) => f.msg.order_id === bid.order_id)?.msg;
    const wsAsk = fills.find((f) => f.msg.order_id === ask.order_id)?.msg;
    // the bid matches Kalshi's fill example field for field
    expect(pick(wsBid ?? { outcome_side: "", book_side: "" })).toEqual(pick(fixture("ws_fill").msg as never));
    // an ask is (buy, no) in the legacy vocabulary (Kalshi's order-direction table), never (sell, no)
    expect(pick(wsAsk ?? { outcome_side: "", book_side: "" })).toEqual({
      side: "no",
      action: "buy",
      purchased_side: "no",
      outcome_side: "no",
      book_side: "ask",
    });
    for (const [id, w] of [
      [bid.order_id, wsBid],
      [ask.order_id, wsAsk],
    ] as const) {
      const rest = must(await c.client.listFills({ order_id: id }))[0];
      expect([rest?.side, rest?.action, rest?.outcome_side, rest?.book_side]).toEqual([
        w?.side,
        w?.action,
        w?.outcome_side,
        w?.book_side,
      ]);
      expect(parseMoney(rest?.fee_cost)).toBe(parseMoney(w?.fee_cost));
    }
  });
});
