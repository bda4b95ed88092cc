/**
 * The market decision: the entry intent and exit plan of a qualifying favourite, skips with
 * the failing criterion and its numbers, hold and exit for a held position, and the
 * explanation surviving a JSON round trip (the admin API serves it as is).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_RISK_CONFIG } from "../risk/config.ts";
import { DEFAULT_STRATEGY_CONFIG } from "./config.ts";
import { evaluateMarket, type MarketDecision } from "./decide.ts";
import { sizingLimitsOf } from "./sizing.ts";
import { account, book, HOUR, input, market, position, T0, top } from "./test-helpers.ts";

const CFG = DEFAULT_STRATEGY_CONFIG;
const LIMITS = sizingLimitsOf(DEFAULT_RISK_CONFIG);

function failed(d: MarketDecision): string[] {
  return d.explanation.criteria.filter((c) => !c.pass).map((c) => c.name);
}

describe("entering", () => {
  it("buys the favourite at the ask with an IOC sized by the binding cap", () => {
    const d = evaluateMarket(input({ book: book(top({ noBidSize: 50_000 })) }), account(), CFG, LIMITS);
    expect(d.verdict).toBe("enter");
    expect(d.entry).toEqual({
      ticker: "KXHIGHNY-26JUN01-T80",
      side: "yes",
      action: "buy",
      price: 9_000,
      count: 50_000,
      purpose: "entry",
      tif: "immediate_or_cancel",
      postOnly: false,
      reduceOnly: false,
      expirationMs: null,
      positionId: null,
      reason: "signal",
    });
    expect(d.exitPlan).toEqual({ takeProfit: 9_200, stop: 8_900, deadlineMs: T0 + 2 * HOUR });
    expect(d.exit).toBeNull();
    expect(d.explanation.sizing).toMatchObject({ count: 50_000, limitedBy: "ask_size" });
    expect(d.explanation.sizing?.numbers).toMatchObject({
      cap_ask_size: 50_000,
      cap_position_limit: 111_111,
    });
  });

  it("shows the expected value of the whole order", () => {
    const d = evaluateMarket(input(), account(), CFG, LIMITS);
    // 1 000 contracts x $0.001648
    expect(d.explanation.ev).toMatchObject({ ev: 1_648, orderEv: 1_648_000 });
    expect(d.explanation.confidence?.components).toHaveProperty("imbalance", 0.5);
  });

  it("buys NO when NO is the favourite", () => {
    const d = evaluateMarket(
      input({ book: book(top({ yesBid: 1_000, yesBidSize: 100_000, noBid: 8_990, noBidSize: 150_000 })) }),
      account(),
      CFG,
      LIMITS,
    );
    expect(d.entry).toMatchObject({ side: "no", action: "buy", price: 9_000 });
  });
});

describe("skipping", () => {
  it("skips at the open-position cap and says the size is zero because of it", () => {
    const d = evaluateMarket(input(), account({ openPositions: 10 }), CFG, LIMITS);
    expect(d.verdict).toBe("skip");
    expect(d.entry).toBeNull();
    expect(d.exitPlan).toBeNull();
    expect(failed(d)).toEqual(["size"]);
    expect(d.explanation.criteria.at(-1)).toEqual({
      name: "size",
      pass: false,
      value: 0,
      threshold: 100,
      detail: "0 contracts, limited by open_positions; at least 1",
    });
  });

  it("skips when less than one whole contract is offered", () => {
    const d = evaluateMarket(input({ book: book(top({ noBidSize: 99 })) }), account(), CFG, LIMITS);
    expect(d.verdict).toBe("skip");
    expect(failed(d)).toEqual(["size"]);
  });

  it("skips a stale book and still explains the rest", () => {
    const d = evaluateMarket(
      input({ book: book(top(), { fresh: false, staleReason: "reconnecting" }) }),
      account(),
      CFG,
      LIMITS,
    );
    expect(d.verdict).toBe("skip");
    expect(failed(d)).toEqual(["book_fresh"]);
    expect(d.explanation.ev?.ev).toBe(1_648);
  });

  it("skips a market without a favourite and has no prices to show", () => {
    const d = evaluateMarket(
      input({ book: book(top({ yesBid: null, yesBidSize: 0 })) }),
      account(),
      CFG,
      LIMITS,
    );
    expect(d.verdict).toBe("skip");
    expect(d.explanation.side).toBeNull();
    expect(d.explanation.prices).toBeUndefined();
    expect(d.explanation.sizing).toBeUndefined();
    expect(d.explanation.criteria.find((c) => c.name === "size")?.detail).toBe(
      "not sized: no entry price, stop or fees",
    );
  });
});

describe("a held position", () => {
  it("holds while no exit applies, and never adds to it", () => {
    const d = evaluateMarket(input({ position: position(), nowMs: T0 + HOUR }), account(), CFG, LIMITS);
    expect(d.verdict).toBe("hold");
    expect(d.entry).toBeNull();
    expect(d.exit).toBeNull();
    expect(d.explanation.exit).toBeNull();
    expect(failed(d)).toContain("no_position");
  });

  it("exits at the deadline", () => {
    const d = evaluateMarket(input({ position: position(), nowMs: T0 + 2 * HOUR }), account(), CFG, LIMITS);
    expect(d.verdict).toBe("exit");
    expect(d.exit).toEqual({ reason: "timeout" });
    expect(d.explanation.exit).toEqual({ reason: "timeout" });
  });

  it("exits when the pre-close window starts", () => {
    const d = evaluateMarket(
      input({ position: position(), market: market({ closeTimeMs: T0 + HOUR }) }),
      account(),
      CFG,
      LIMITS,
    );
    expect(d.exit).toEqual({ reason: "pre_close" });
  });

  it("exits a deactivated market", () => {
    const d = evaluateMarket(
      input({ position: position(), market: market({ status: "inactive" }) }),
      account(),
      CFG,
      LIMITS,
    );
    expect(d).toMatchObject({ verdict: "exit", exit: { reason: "deactivated" }, entry: null });
  });
});

describe("the explanation", () => {
  it("survives a JSON round trip unchanged, whatever the verdict", () => {
    const decisions = [
      evaluateMarket(input(), account(), CFG, LIMITS),
      evaluateMarket(input(), account({ openPositions: 10 }), CFG, LIMITS),
      evaluateMarket(input({ market: market({ fee: null, status: "closed" }) }), account(), CFG, LIMITS),
      evaluateMarket(input({ position: position(), nowMs: T0 + 3 * HOUR }), account(), CFG, LIMITS),
    ];
    expect(decisions.map((d) => d.verdict)).toEqual(["enter", "skip", "skip", "exit"]);
    for (const d of decisions) {
      expect(JSON.parse(JSON.stringify(d))).toEqual(d);
      expect(d.explanation).toMatchObject({ ticker: d.ticker, atMs: d.explanation.atMs, verdict: d.verdict });
    }
  });
});
