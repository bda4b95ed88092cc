/**
 * The risk gate: every check just inside and just outside its limit, exits allowed in every
 * trading state but never larger than the position, entries refused by state, blocks, market,
 * book, slippage and the exposure limits, with the stable codes and the numbers reported.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Intent, Position, TradingState } from "../domain.ts";
import { book, LINEAR_CENT, market, order, position, T0, top } from "../strategy/test-helpers.ts";
import { checkIntent, DENY_CODES, type RiskContext, type RiskVerdict } from "./check.ts";
import { DEFAULT_RISK_CONFIG, RiskConfig } from "./config.ts";

const LIMITS = DEFAULT_RISK_CONFIG;
const TICKER = "KXHIGHNY-26JUN01-T80";

function ctx(o: Partial<RiskContext> = {}): RiskContext {
  return {
    tradingState: "active",
    entriesBlockedBy: [],
    market: market(),
    book: book(),
    positions: [],
    workingOrders: [],
    equity: 10_000_000_000, // $10 000: $1 000 per position, $3 000 in all
    nowMs: T0,
    ...o,
  };
}

/** Buy 100 YES at the 0.90 ask. */
function entry(o: Partial<Intent> = {}): Intent {
  return {
    ticker: TICKER,
    side: "yes",
    action: "buy",
    price: 9_000,
    count: 10_000,
    purpose: "entry",
    tif: "immediate_or_cancel",
    postOnly: false,
    reduceOnly: false,
    expirationMs: null,
    positionId: null,
    reason: "signal",
    ...o,
  };
}

/** Sell 100 YES out of the held position at 0.89. */
function exit(o: Partial<Intent> = {}): Intent {
  return entry({
    action: "sell",
    price: 8_900,
    purpose: "stop",
    reason: "stop_hit",
    positionId: "pos-1",
    ...o,
  });
}

const held = (o: Partial<Position> = {}) => [position(o)];

function codeOf(v: RiskVerdict): string | null {
  return v.ok ? null : v.code;
}

describe("stable codes", () => {
  it("keeps the published list of denial codes", () => {
    expect(DENY_CODES).toEqual([
      "market_mismatch",
      "invalid_count",
      "count_over_max",
      "price_outside_band",
      "price_off_grid",
      "expiration_with_ioc",
      "expiration_past",
      "exit_without_position",
      "exit_wrong_side",
      "exit_must_sell",
      "exit_exceeds_position",
      "entry_must_buy",
      "trading_halted",
      "trading_reducing",
      "entries_blocked",
      "market_not_active",
      "book_stale",
      "no_ask",
      "slippage",
      "no_equity",
      "position_limit",
      "total_exposure",
      "open_positions",
    ]);
  });
});

describe("every intent", () => {
  const big = held({ contracts: 2_000_000, cost: 18_000_000_000 });
  // [case, intent, context, expected code or null]
  const CASES: [string, Intent, RiskContext, string | null][] = [
    ["another market's intent", exit({ ticker: "KXOTHER-1" }), ctx({ positions: held() }), "market_mismatch"],
    ["zero contracts", exit({ count: 0 }), ctx({ positions: held() }), "invalid_count"],
    ["a negative count", exit({ count: -100 }), ctx({ positions: held() }), "invalid_count"],
    ["a fractional count unit", exit({ count: 1.5 }), ctx({ positions: held() }), "invalid_count"],
    ["exactly the largest order", exit({ count: 1_000_000 }), ctx({ positions: big }), null],
    [
      "an entry one unit over the largest order",
      entry({ count: 1_000_001 }),
      ctx({ positions: big }),
      "count_over_max",
    ],
    [
      "an exit over the largest order, within the position (exits are bounded by the position)",
      exit({ count: 1_500_000 }),
      ctx({ positions: big }),
      null,
    ],
    ["price at the $0.01 floor", exit({ price: 100 }), ctx({ positions: held() }), null],
    ["price one tick under the floor", exit({ price: 90 }), ctx({ positions: held() }), "price_outside_band"],
    ["price at the $0.99 ceiling", exit({ price: 9_900 }), ctx({ positions: held() }), null],
    [
      "price one tick over the ceiling",
      exit({ price: 9_910 }),
      ctx({ positions: held() }),
      "price_outside_band",
    ],
    [
      "a whole-cent price on a whole-cent grid",
      exit({ price: 8_900 }),
      ctx({ positions: held(), market: market({ grid: LINEAR_CENT }) }),
      null,
    ],
    [
      "a half-cent price on a whole-cent grid",
      exit({ price: 8_950 }),
      ctx({ positions: held(), market: market({ grid: LINEAR_CENT }) }),
      "price_off_grid",
    ],
    [
      "a resting take-profit expiring 1 ms from now",
      exit({
        purpose: "take_profit",
        tif: "good_till_canceled",
        postOnly: true,
        price: 9_200,
        expirationMs: T0 + 1,
      }),
      ctx({ positions: held() }),
      null,
    ],
    [
      "a resting take-profit expiring now",
      exit({
        purpose: "take_profit",
        tif: "good_till_canceled",
        postOnly: true,
        price: 9_200,
        expirationMs: T0,
      }),
      ctx({ positions: held() }),
      "expiration_past",
    ],
    [
      "an immediate-or-cancel with an expiration",
      exit({ expirationMs: T0 + 60_000 }),
      ctx({ positions: held() }),
      "expiration_with_ioc",
    ],
  ];
  it.each(CASES)("%s", (_case, intent, c, code) => {
    expect(codeOf(checkIntent(intent, c, LIMITS))).toBe(code);
  });

  it("reports the numbers of a band denial", () => {
    expect(checkIntent(exit({ price: 90 }), ctx({ positions: held() }), LIMITS)).toEqual({
      ok: false,
      code: "price_outside_band",
      message: "price 90 is outside the band 100-9900",
      numbers: { price: 90, min: 100, max: 9_900 },
    });
  });
});

describe("exits", () => {
  const STATES: TradingState[] = ["active", "reducing", "halted"];
  it.each(STATES)(
    "are allowed while %s, even with entries blocked, a stale book and a paused market",
    (state) => {
      const c = ctx({
        tradingState: state,
        entriesBlockedBy: ["feed_loss"],
        positions: held(),
        book: book(top(), { fresh: false, staleReason: "disconnected" }),
        market: market({ status: "inactive" }),
      });
      expect(checkIntent(exit(), c, LIMITS)).toEqual({ ok: true });
    },
  );

  // [case, intent, context, expected code or null]
  const CASES: [string, Intent, RiskContext, string | null][] = [
    ["without a position", exit(), ctx(), "exit_without_position"],
    ["of the other side", exit({ side: "no" }), ctx({ positions: held() }), "exit_wrong_side"],
    ["that buys", exit({ action: "buy" }), ctx({ positions: held() }), "exit_must_sell"],
    ["of exactly the position", exit({ count: 10_000 }), ctx({ positions: held() }), null],
    [
      "of one unit more than the position",
      exit({ count: 10_001 }),
      ctx({ positions: held() }),
      "exit_exceeds_position",
    ],
    [
      "while the take-profit still rests on the whole position",
      exit({ count: 100 }),
      ctx({
        positions: held(),
        workingOrders: [order({ action: "sell", purpose: "take_profit", price: 9_200 })],
      }),
      "exit_exceeds_position",
    ],
    [
      "of the part the partly filled take-profit does not cover",
      exit({ count: 4_000 }),
      ctx({
        positions: held({ contracts: 6_000 }),
        workingOrders: [
          order({
            action: "sell",
            purpose: "take_profit",
            price: 9_200,
            state: "partially_filled",
            filled: 8_000,
          }),
        ],
      }),
      null,
    ],
    [
      "after the take-profit was cancelled",
      exit(),
      ctx({
        positions: held(),
        workingOrders: [order({ action: "sell", purpose: "take_profit", state: "cancelled" })],
      }),
      null,
    ],
  ];
  it.each(CASES)("%s", (_case, intent, c, code) => {
    expect(codeOf(checkIntent(intent, c, LIMITS))).toBe(code);
  });

  it("never lets exits add up past the position", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.record({ count: fc.integer({ min: 1, max: 50_000 }), filled: fc.nat({ max: 50_000 }) }), {
          maxLength: 3,
        }),
        fc.integer({ min: 1, max: 200_000 }),
        (contracts, working, count) => {
          const orders = working.map((w, i) =>
            order({
              intentId: `x${i}`,
              action: "sell",
              purpose: "exit",
              count: w.count,
              filled: Math.min(w.filled, w.count),
              state: "resting",
            }),
          );
          const v = checkIntent(
            exit({ count }),
            ctx({ positions: held({ contracts }), workingOrders: orders }),
            LIMITS,
          );
          const open = orders.reduce((s, o) => s + (o.count - o.filled), 0);
          expect(v.ok).toBe(count + open <= contracts);
        },
      ),
    );
  });
});

describe("entries", () => {
  const others = (n: number, cost = 100_000_000) =>
    Array.from({ length: n }, (_, i) => position({ positionId: `p${i}`, ticker: `KXOTHER-${i}`, cost }));
  // [case, intent, context, limits, expected code or null]
  const CASES: [string, Intent, RiskContext, RiskConfig, string | null][] = [
    ["a plain entry", entry(), ctx(), LIMITS, null],
    ["a sell", entry({ action: "sell" }), ctx(), LIMITS, "entry_must_buy"],
    ["while halted", entry(), ctx({ tradingState: "halted" }), LIMITS, "trading_halted"],
    ["while reducing", entry(), ctx({ tradingState: "reducing" }), LIMITS, "trading_reducing"],
    ["while the feed is lost", entry(), ctx({ entriesBlockedBy: ["feed_loss"] }), LIMITS, "entries_blocked"],
    [
      "in a paused market",
      entry(),
      ctx({ market: market({ status: "inactive" }) }),
      LIMITS,
      "market_not_active",
    ],
    [
      "on a stale book",
      entry(),
      ctx({ book: book(top(), { fresh: false, staleReason: "gap" }) }),
      LIMITS,
      "book_stale",
    ],
    [
      "on another market's book",
      entry(),
      ctx({ book: book(top(), { ticker: "KXOTHER-1" }) }),
      LIMITS,
      "book_stale",
    ],
    [
      "with nothing offered",
      entry(),
      ctx({ book: book(top({ noBid: null, noBidSize: 0 })) }),
      LIMITS,
      "no_ask",
    ],
    ["one tick above the ask with no slippage allowed", entry({ price: 9_010 }), ctx(), LIMITS, "slippage"],
    [
      "one tick above the ask within 0.001 allowed",
      entry({ price: 9_010 }),
      ctx(),
      RiskConfig.parse({ maxEntrySlippage: 10 }),
      null,
    ],
    [
      "two ticks above the ask with 0.001 allowed",
      entry({ price: 9_020 }),
      ctx(),
      RiskConfig.parse({ maxEntrySlippage: 10 }),
      "slippage",
    ],
    ["below the ask", entry({ price: 8_990 }), ctx(), LIMITS, null],
    ["with no equity", entry(), ctx({ equity: 0 }), LIMITS, "no_equity"],
    ["exactly under the $1 000 position limit", entry({ count: 111_111 }), ctx(), LIMITS, null],
    ["just over the $1 000 position limit", entry({ count: 111_112 }), ctx(), LIMITS, "position_limit"],
    [
      "just over it with $500 already held there",
      entry({ count: 55_556 }),
      ctx({ positions: held({ cost: 500_000_000 }) }),
      LIMITS,
      "position_limit",
    ],
    [
      "just over it with a $500 unknown entry order there",
      entry({ count: 55_556 }),
      ctx({ workingOrders: [order({ price: 10_000, count: 50_000, state: "pending", ack: "unknown" })] }),
      LIMITS,
      "position_limit",
    ],
    [
      "exactly under the $3 000 total with $2 500 elsewhere",
      entry({ count: 55_555 }),
      ctx({ positions: others(5, 500_000_000) }),
      LIMITS,
      null,
    ],
    [
      "just over the $3 000 total with $2 500 elsewhere",
      entry({ count: 55_556 }),
      ctx({ positions: others(5, 500_000_000) }),
      LIMITS,
      "total_exposure",
    ],
    ["a tenth market", entry(), ctx({ positions: others(9) }), LIMITS, null],
    ["an eleventh market", entry(), ctx({ positions: others(10) }), LIMITS, "open_positions"],
    [
      "an eleventh market counting a working entry elsewhere",
      entry(),
      ctx({ positions: others(9), workingOrders: [order({ ticker: "KXELSE-1" })] }),
      LIMITS,
      "open_positions",
    ],
    [
      "adding to a market already open when ten are open",
      entry({ count: 100 }),
      ctx({ positions: [...others(9), position()] }),
      LIMITS,
      null,
    ],
  ];
  it.each(CASES)("%s", (_case, intent, c, limits, code) => {
    expect(codeOf(checkIntent(intent, c, limits))).toBe(code);
  });

  it("says what blocks entries and the numbers of an exposure denial", () => {
    const blocked = checkIntent(entry(), ctx({ entriesBlockedBy: ["feed_loss", "reconciliation"] }), LIMITS);
    expect(blocked).toMatchObject({ ok: false, message: "entries are blocked by feed_loss, reconciliation" });
    const over = checkIntent(entry({ count: 111_112 }), ctx(), LIMITS);
    expect(over).toMatchObject({
      code: "position_limit",
      numbers: { inMarket: 0, adding: 1_000_008_000, limit: 1_000_000_000, equity: 10_000_000_000 },
    });
  });
});
