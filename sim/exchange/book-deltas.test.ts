import { describe, expect, it } from "vitest";
import { SteppedClock } from "./clock.ts";
import { createExchange } from "./exchange.ts";
import { Rng } from "./rng.ts";
import { START_MS } from "./test-helpers.ts";
import type { BookSide, BookView, ExchangeEvent, TimeInForce } from "./types.ts";

/** What a WebSocket client does: apply each delta, dropping a level when it reaches zero. */
function replay(events: ExchangeEvent[]): Map<string, { yes: Map<number, number>; no: Map<number, number> }> {
  const books = new Map<string, { yes: Map<number, number>; no: Map<number, number> }>();
  for (const e of events) {
    if (e.kind !== "book_delta") continue;
    let b = books.get(e.ticker);
    if (!b) {
      b = { yes: new Map(), no: new Map() };
      books.set(e.ticker, b);
    }
    const side = b[e.side];
    const next = (side.get(e.price) ?? 0) + e.delta;
    if (next < 0) throw new Error(`level ${e.ticker} ${e.side} ${e.price} went negative`);
    if (next === 0) side.delete(e.price);
    else side.set(e.price, next);
  }
  return books;
}

function asView(b: { yes: Map<number, number>; no: Map<number, number> } | undefined): BookView {
  const sorted = (m: Map<number, number> | undefined) =>
    [...(m ?? new Map<number, number>()).entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([p, c]) => [p, c] as const);
  return { yesBids: sorted(b?.yes), noBids: sorted(b?.no) };
}

describe("book deltas", () => {
  it("rebuild book() exactly from an empty book after thousands of random steps and user orders", () => {
    const clock = new SteppedClock(START_MS);
    const users = ["u1", "u2", "u3"].map((userId) => ({ userId, balance: 1_000_000 * 1_000_000 }));
    const ex = createExchange({ seed: 11, markets: 24, clock, users });
    const events: ExchangeEvent[] = [];
    ex.subscribe((e) => events.push(e));
    const ledgerValue = () => {
      const l = ex.ledger();
      return l.cash + l.yesHeld * 10_000 + l.feesCollected;
    };
    const initial = ledgerValue();
    const rng = new Rng(99);
    const tickers = ex.markets().map((m) => m.ticker);
    const tifs: TimeInForce[] = ["good_till_canceled", "immediate_or_cancel", "fill_or_kill"];
    // one shard-0 order group per user with a small limit: triggers cancel orders mid-run
    const groups = new Map(
      users.map((u) => {
        const g = ex.createOrderGroup(u.userId, { contractsLimit: 2_000 });
        if (!g.ok) throw new Error(g.message);
        return [u.userId, g.value.id] as const;
      }),
    );
    for (let i = 0; i < 3000; i++) {
      ex.step(rng.int(50, 400));
      const user = rng.pick(users).userId;
      const ticker = rng.pick(tickers);
      const m = ex.market(ticker);
      if (!m) continue;
      const roll = rng.float();
      if (i % 400 === 399) for (const [u, g] of groups) ex.resetOrderGroup(u, g);
      if (roll < 0.5) {
        const side: BookSide = rng.chance(0.5) ? "bid" : "ask";
        const step = m.priceRanges[0]?.step ?? 100;
        const grouped = m.exchangeIndex === 0 && rng.chance(0.3);
        ex.createOrder(user, {
          ...(grouped ? { orderGroupId: groups.get(user) as string } : {}),
          ticker,
          side,
          price: rng.int(1, Math.floor(9999 / step)) * step,
          count: rng.int(1, 2000),
          timeInForce: rng.pick(tifs),
          selfTradePrevention: rng.chance(0.5) ? "maker" : "taker_at_cross",
          postOnly: rng.chance(0.1),
        });
      } else {
        const mine = ex.orders(user).filter((o) => o.status === "resting");
        const o = mine.length > 0 ? rng.pick(mine) : undefined;
        if (!o) continue;
        if (roll < 0.7) ex.cancelOrder(user, o.orderId);
        else if (roll < 0.85) ex.decreaseOrder(user, o.orderId, { reduceBy: 1 });
        else
          ex.amendOrder(user, o.orderId, {
            ticker: o.ticker,
            side: o.side,
            price: o.price,
            count: o.fillCount + o.remainingCount + 100,
          });
      }
      if (i === 1500) ex.setPriceLevelStructure(ticker, "deci_cent");
      if (i === 2000) ex.setTradingPaused(tickers[0] as string, true);
      if (i === 2100) ex.setTradingPaused(tickers[0] as string, false);
    }
    expect(events.filter((e) => e.kind === "book_delta").length).toBeGreaterThan(10_000);
    expect(ex.counters().fills).toBeGreaterThan(0);
    expect(events.some((e) => e.kind === "order_group" && e.eventType === "triggered")).toBe(true);
    const rebuilt = replay(events);
    for (const t of tickers) expect(asView(rebuilt.get(t))).toEqual(ex.book(t));
    // netting, settlement and fees neither create nor destroy money
    expect(ledgerValue()).toBe(initial);
    const traded = tickers.find(
      (t) => (ex.market(t)?.openInterest ?? 0) > 0 && ex.market(t)?.status === "active",
    );
    expect(traded).toBeDefined();
    expect(ex.settleMarket(traded as string).ok).toBe(true);
    expect(ledgerValue()).toBe(initial);
  });

  it("tag the user and client order id on changes to a user's own order only", () => {
    const clock = new SteppedClock(START_MS);
    const ex = createExchange({
      seed: 1,
      markets: 0,
      clock,
      participants: false,
      users: [{ userId: "u", balance: 1e9 }],
    });
    const m = ex.createMarket({ ticker: "X-1" });
    if (!m.ok) throw new Error(m.message);
    const events: ExchangeEvent[] = [];
    ex.subscribe((e) => events.push(e));
    ex.placeLiquidity("X-1", "ask", 6000, 100);
    ex.createOrder("u", {
      ticker: "X-1",
      side: "bid",
      price: 5000,
      count: 100,
      timeInForce: "good_till_canceled",
      selfTradePrevention: "maker",
      clientOrderId: "cid-1",
    });
    const deltas = events.filter((e) => e.kind === "book_delta");
    expect(deltas).toEqual([
      {
        kind: "book_delta",
        ticker: "X-1",
        marketId: m.value.marketId,
        side: "no",
        price: 4000,
        delta: 100,
        tsMs: START_MS,
      },
      {
        kind: "book_delta",
        ticker: "X-1",
        marketId: m.value.marketId,
        side: "yes",
        price: 5000,
        delta: 100,
        tsMs: START_MS,
        user: "u",
        clientOrderId: "cid-1",
      },
    ]);
  });
});
