import { describe, expect, it } from "vitest";
import { SteppedClock } from "./clock.ts";
import { createExchange } from "./exchange.ts";
import { C, code, gtc, HOUR_MS, harness, ok, START_MS, T, USD } from "./test-helpers.ts";

describe("portfolio", () => {
  it("nets an opposite buy against a position and realises the P&L", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 6000, 10)));
    ok(ex.createOrder("alice", gtc("bid", 6000, 10)));
    ok(ex.createOrder("carol", gtc("bid", 7000, 4)));
    const sold = ok(ex.createOrder("alice", gtc("ask", 7000, 4)));
    expect(sold.fills[0]?.postPosition).toBe(6 * C);
    const pos = ex.positions("alice")[0];
    expect(pos).toMatchObject({ position: 6 * C, marketExposure: 6 * 600_000, realizedPnl: 4 * 100_000 });
    // fees: 10 @ 0.60 -> 0.168; 4 @ 0.70 -> 0.0588
    expect(ex.balance("alice")).toBe(1_000 * USD - 6 * USD - 168_000 + 4 * 700_000 - 58_800);
    expect(pos?.feesPaid).toBe(168_000 + 58_800);
  });

  it("settles $1 per winning contract and nothing for losing ones", () => {
    const { ex, events } = harness();
    ok(ex.createOrder("bob", gtc("ask", 6000, 10)));
    ok(ex.createOrder("alice", gtc("bid", 6000, 10)));
    const aliceBefore = ex.balance("alice");
    const bobBefore = ex.balance("bob");
    ok(ex.determineMarket(T, "yes"));
    ok(ex.settleMarket(T));
    expect(ex.market(T)).toMatchObject({ status: "finalized", result: "yes" });
    expect(ex.balance("alice")).toBe(aliceBefore + 10 * USD);
    expect(ex.balance("bob")).toBe(bobBefore);
    expect(ex.settlements("alice")[0]).toMatchObject({
      marketResult: "yes",
      yesCount: 10 * C,
      yesTotalCost: 6 * USD,
      revenue: 10 * USD,
    });
    expect(ex.settlements("bob")[0]).toMatchObject({ noCount: 10 * C, noTotalCost: 4 * USD, revenue: 0 });
    expect(ex.positions("alice")).toEqual([]);
    const kinds = events
      .filter((e) => e.kind === "lifecycle")
      .map((e) => e.kind === "lifecycle" && e.eventType);
    expect(kinds).toEqual(["close_date_updated", "determined", "settled"]);
  });

  it("keeps open interest equal to the YES contracts held", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 6000, 10)));
    ok(ex.createOrder("alice", gtc("bid", 6000, 10)));
    expect(ex.market(T)?.openInterest).toBe(10 * C);
    ok(ex.createOrder("carol", gtc("bid", 6500, 4)));
    ok(ex.createOrder("alice", gtc("ask", 6500, 4)));
    expect(ex.market(T)).toMatchObject({ openInterest: 10 * C, volume: 14 * C, lastPrice: 6500 });
  });
});

describe("market lifecycle", () => {
  it("pauses trading: new orders rejected, cancels allowed, cancel_order_on_pause orders pulled", () => {
    const { ex, events } = harness();
    const keep = ok(ex.createOrder("alice", gtc("bid", 4000, 1))).order;
    const pulled = ok(ex.createOrder("alice", gtc("bid", 3900, 1, { cancelOrderOnPause: true }))).order;
    ok(ex.setTradingPaused(T, true));
    expect(ex.market(T)?.status).toBe("inactive");
    expect(ex.order("alice", pulled.orderId)?.status).toBe("canceled");
    expect(ex.order("alice", keep.orderId)?.status).toBe("resting");
    expect(code(ex.createOrder("alice", gtc("bid", 4000, 1)))).toBe("market_inactive");
    expect(ok(ex.cancelOrder("alice", keep.orderId)).reducedBy).toBe(C);
    expect(events.some((e) => e.kind === "lifecycle" && e.eventType === "deactivated")).toBe(true);
  });

  it("pauses the whole exchange: creates and amends refused, cancels allowed, only cancel_order_on_pause orders pulled, nothing cancelled on resume", () => {
    const { ex } = harness();
    const keep = ok(ex.createOrder("alice", gtc("bid", 4000, 1))).order;
    const pulled = ok(ex.createOrder("alice", gtc("bid", 3900, 1, { cancelOrderOnPause: true }))).order;
    const other = ok(ex.createOrder("bob", gtc("bid", 3800, 2, { cancelOrderOnPause: true }))).order;
    ok(ex.setExchangePaused(true));
    expect(ex.exchangePaused()).toBe(true);
    expect(ex.order("alice", pulled.orderId)).toMatchObject({
      status: "canceled",
      lastUpdateReason: "HaltCancel",
    });
    expect(ex.order("bob", other.orderId)?.status).toBe("canceled");
    expect(ex.order("alice", keep.orderId)?.status).toBe("resting");
    expect(code(ex.createOrder("alice", gtc("bid", 4000, 1)))).toBe("trading_is_paused");
    expect(
      code(ex.amendOrder("alice", keep.orderId, { ticker: T, side: "bid", price: 4100, count: C })),
    ).toBe("trading_is_paused");
    ok(ex.setExchangePaused(false));
    expect(ex.order("alice", keep.orderId)?.status).toBe("resting");
    expect(code(ex.createOrder("alice", gtc("bid", 4000, 1)))).toBe("ok");
  });

  it("cancels every resting order when a paused market is activated again", () => {
    const { ex, events } = harness();
    const o = ok(ex.createOrder("alice", gtc("bid", 4000, 1))).order;
    ok(ex.setTradingPaused(T, true));
    ok(ex.setTradingPaused(T, false));
    expect(ex.market(T)?.status).toBe("active");
    expect(ex.order("alice", o.orderId)?.status).toBe("canceled");
    expect(ex.book(T)).toEqual({ yesBids: [], noBids: [] });
    expect(events.some((e) => e.kind === "lifecycle" && e.eventType === "activated")).toBe(true);
  });

  it("closes at close time: resting orders CloseCancel, then every order operation is market_inactive", () => {
    const { ex } = harness();
    const o = ok(ex.createOrder("alice", gtc("bid", 4000, 1))).order;
    ex.step(HOUR_MS - 1);
    expect(ex.market(T)?.status).toBe("active");
    ex.step(1);
    expect(ex.market(T)?.status).toBe("closed");
    expect(ex.order("alice", o.orderId)).toMatchObject({
      status: "canceled",
      lastUpdateReason: "CloseCancel",
    });
    expect(code(ex.createOrder("alice", gtc("bid", 4000, 1)))).toBe("market_inactive");
    expect(code(ex.cancelOrder("alice", o.orderId))).toBe("market_inactive");
  });

  it("rejects orders at close time even before anything steps the exchange", () => {
    const { ex, clock } = harness();
    clock.advance(HOUR_MS);
    expect(code(ex.createOrder("alice", gtc("bid", 4000, 1)))).toBe("market_inactive");
  });

  it("determines at expected expiration and settles after the timer when auto-settling", () => {
    const clock = new SteppedClock(START_MS);
    const ex = createExchange({ seed: 3, markets: 0, clock, participants: false, users: [] });
    const m = ok(ex.createMarket({ closeTimeMs: START_MS + 60_000, eventualOutcome: "no" }));
    ex.step(60_000);
    expect(ex.market(m.ticker)?.status).toBe("closed");
    ex.advanceTo(m.expectedExpirationTimeMs);
    expect(ex.market(m.ticker)).toMatchObject({ status: "determined", result: "no" });
    ex.step(m.settlementTimerSeconds * 1000);
    expect(ex.market(m.ticker)?.status).toBe("finalized");
  });

  it("changes the price level structure, announcing it and accepting the new ticks", () => {
    const { ex, events } = harness();
    expect(code(ex.createOrder("alice", gtc("bid", 5550, 1)))).toBe("invalid_price");
    const m = ok(ex.setPriceLevelStructure(T, "deci_cent"));
    expect(m.priceRanges).toEqual([{ start: 0, end: 10_000, step: 10 }]);
    expect(events.at(-1)).toMatchObject({
      kind: "lifecycle",
      eventType: "price_level_structure_updated",
      ticker: T,
    });
    expect(code(ex.createOrder("alice", gtc("bid", 5550, 1)))).toBe("ok");
    expect(code(ex.setPriceLevelStructure(T, "banded_centi_cent"))).toBe("invalid_parameters");
  });

  it("announces a created market", () => {
    const { ex, events } = harness();
    const m = ok(
      ex.createMarket({ seriesTicker: "KXBTCD", priceLevelStructure: "center_centi_edge_centi_cent" }),
    );
    expect(m).toMatchObject({ status: "active", exchangeIndex: 2 });
    expect(events.at(-1)).toMatchObject({ kind: "lifecycle", eventType: "created", ticker: m.ticker });
  });
});

describe("scenario hooks", () => {
  it("places and pulls a participant's liquidity, and trades a user's order through", () => {
    const { ex } = harness();
    ok(ex.placeLiquidity(T, "ask", 5500, 5 * C, "whale"));
    ok(ex.placeLiquidity(T, "ask", 5600, 5 * C));
    expect(ex.book(T)?.noBids).toEqual([
      [4400, 5 * C],
      [4500, 5 * C],
    ]);
    expect(ex.pullLiquidity(T, "ask", 5600)).toBe(1);
    const mine = ok(ex.createOrder("alice", gtc("bid", 5000, 3))).order;
    const trades = ok(ex.tradeThrough(T, "ask", 5000));
    expect(trades.map((t) => [t.yesPrice, t.count, t.takerSide])).toEqual([[5000, 3 * C, "ask"]]);
    expect(ex.order("alice", mine.orderId)?.status).toBe("executed");
    expect(ex.fills("alice")[0]).toMatchObject({ isTaker: false, count: 3 * C, yesPrice: 5000 });
  });
});

describe("events, fee overrides and metadata", () => {
  it("charges an event's fee override on its markets' fills, and the series' fee again once cleared", () => {
    const { ex, events } = harness();
    const eventTicker = ex.market(T)?.eventTicker as string;
    const makerFee = () => {
      const o = ok(ex.createOrder("bob", gtc("ask", 5000, 10))).order;
      ok(ex.createOrder("alice", gtc("bid", 5000, 10, { timeInForce: "immediate_or_cancel" })));
      return ex.fills("bob").find((f) => f.orderId === o.orderId)?.fee;
    };
    // KXHIGHNY is quadratic: makers pay nothing
    expect(makerFee()).toBe(0);
    ok(ex.setEventFeeOverride(eventTicker, "quadratic_with_maker_fees", 2_000_000));
    // maker: 2 x 0.0175 x 10 x 0.5 x 0.5 = $0.0875
    expect(makerFee()).toBe(87_500);
    ok(ex.setEventFeeOverride(eventTicker, null, null));
    expect(makerFee()).toBe(0);
    expect(events.filter((e) => e.kind === "event_fee_update")).toHaveLength(2);
    expect(ex.eventFeeChanges().map((c) => [c.feeTypeOverride, c.feeMultiplierOverridePpm])).toEqual([
      ["quadratic_with_maker_fees", 2_000_000],
      [null, null],
    ]);
  });

  it("refuses an override that sets only one of fee type and multiplier, or names no event", () => {
    const { ex } = harness();
    const eventTicker = ex.market(T)?.eventTicker as string;
    expect(code(ex.setEventFeeOverride(eventTicker, "quadratic", null))).toBe("invalid_parameters");
    expect(code(ex.setEventFeeOverride("NO-SUCH-EVENT", null, null))).toBe("not_found");
  });

  it("announces a new event once with event_lifecycle, not when a market joins an existing event", () => {
    const { ex, events } = harness();
    ok(ex.createMarket({ seriesTicker: "KXFED", eventTicker: "KXFED-X", ticker: "KXFED-X-1" }));
    ok(ex.createMarket({ seriesTicker: "KXFED", eventTicker: "KXFED-X", ticker: "KXFED-X-2" }));
    expect(events.filter((e) => e.kind === "event_lifecycle")).toEqual([
      { kind: "event_lifecycle", eventTicker: "KXFED-X", tsMs: START_MS },
    ]);
    // an event belongs to one series
    expect(code(ex.createMarket({ seriesTicker: "KXBTCD", eventTicker: "KXFED-X" }))).toBe(
      "invalid_parameters",
    );
  });

  it("updates a market's subtitle and strike, announcing only what changed; combo markets refuse it", () => {
    const { ex, events } = harness();
    ok(ex.updateMarketMetadata(T, { yesSubTitle: "above 60", floorStrike: 60 }));
    ok(ex.updateMarketMetadata(T, { yesSubTitle: "above 60", capStrike: 70 }));
    expect(ex.market(T)).toMatchObject({ yesSubTitle: "above 60", floorStrike: 60, capStrike: 70 });
    const md = events.flatMap((e) =>
      e.kind === "lifecycle" && e.eventType === "metadata_updated" ? [e.metadata] : [],
    );
    expect(md).toEqual([{ yesSubTitle: "above 60", floorStrike: 60 }, { capStrike: 70 }]);
    expect(code(ex.updateMarketMetadata(T, { capStrike: 70 }))).toBe("invalid_parameters");
    const combo = ok(ex.createMarket({ seriesTicker: "KXMVECROSSCATEGORY" }));
    expect(code(ex.updateMarketMetadata(combo.ticker, { yesSubTitle: "x" }))).toBe("invalid_parameters");
    expect(code(ex.setPriceLevelStructure(combo.ticker, "deci_cent"))).toBe("invalid_parameters");
  });
});
