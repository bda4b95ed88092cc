/**
 * The entry signal: every criterion just inside and just outside its threshold, the reported
 * values and explanation text of failed criteria, the favourite on either side, grid snapping
 * of the entry, take-profit and stop, and the hand-computed confidence and expected value.
 */
import { describe, expect, it } from "vitest";
import type { MarketInfo, TopOfBook } from "../domain.ts";
import { DEFAULT_STRATEGY_CONFIG, StrategyConfig } from "./config.ts";
import {
  CRITERIA,
  type Criterion,
  type CriterionName,
  entrySignal,
  favouriteSide,
  type Signal,
} from "./signal.ts";
import {
  book,
  HOUR,
  input,
  LINEAR_CENT,
  MINUTE,
  market,
  order,
  position,
  T0,
  TAPERED,
  top,
} from "./test-helpers.ts";

const CFG = DEFAULT_STRATEGY_CONFIG;

function crit(s: Signal, name: CriterionName): Criterion {
  const c = s.criteria.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no criterion ${name}`);
  return c;
}

const withTop = (t: Partial<TopOfBook>) => input({ book: book(top(t)) });
const withMarket = (m: Partial<MarketInfo>) => input({ market: market(m) });

describe("the starting favourite", () => {
  it("passes every criterion: YES at 0.900, 1-tick spread, $899 at the bid, $18 000 of volume", () => {
    const s = entrySignal(input(), CFG);
    expect(s.criteria.filter((c) => !c.pass)).toEqual([]);
    expect(s.pass).toBe(true);
    expect(s.side).toBe("yes");
    expect(s.prices).toMatchObject({ bid: 8_990, ask: 9_000, entry: 9_000, takeProfit: 9_200, stop: 8_900 });
  });

  it("reports every criterion in order", () => {
    expect(entrySignal(input(), CFG).criteria.map((c) => c.name)).toEqual([...CRITERIA]);
  });
});

// [criterion, case, input, config overrides, pass, value]
type Row = [CriterionName, string, ReturnType<typeof input>, unknown, boolean, Criterion["value"]];
const ROWS: Row[] = [
  [
    "favourite_price",
    "ask exactly at the 0.85 floor",
    withTop({ yesBid: 8_490, noBid: 1_500 }),
    {},
    true,
    8_500,
  ],
  [
    "favourite_price",
    "ask one tick below the floor",
    withTop({ yesBid: 8_480, noBid: 1_510 }),
    {},
    false,
    8_490,
  ],
  [
    "best_bid_depth",
    "exactly $500 at the bid (625 contracts at 0.80)",
    withTop({ yesBid: 8_000, yesBidSize: 62_500, noBid: 1_900 }),
    {},
    true,
    500_000_000,
  ],
  [
    "best_bid_depth",
    "0.01 contract short of $500",
    withTop({ yesBid: 8_000, yesBidSize: 62_499, noBid: 1_900 }),
    {},
    false,
    499_992_000,
  ],
  [
    "volume_24h",
    "exactly $10 000 of volume at the ask 0.80",
    input({ market: market({ volume24h: 1_250_000 }), book: book(top({ yesBid: 7_990, noBid: 2_000 })) }),
    {},
    true,
    10_000_000_000,
  ],
  [
    "volume_24h",
    "0.01 contract short of $10 000",
    input({ market: market({ volume24h: 1_249_999 }), book: book(top({ yesBid: 7_990, noBid: 2_000 })) }),
    {},
    false,
    9_999_992_000,
  ],
  ["spread", "spread exactly 0.02", withTop({ yesBid: 8_800 }), {}, true, 200],
  ["spread", "spread 0.021", withTop({ yesBid: 8_790 }), {}, false, 210],
  [
    "take_profit_room",
    "ask 0.97: take-profit exactly 0.99",
    withTop({ yesBid: 9_690, noBid: 300 }),
    {},
    true,
    9_900,
  ],
  [
    "take_profit_room",
    "ask 0.971: take-profit 0.991",
    withTop({ yesBid: 9_700, noBid: 290 }),
    {},
    false,
    9_910,
  ],
  ["stop_room", "bid one tick above the 0.89 stop", withTop({ yesBid: 8_910 }), {}, true, 8_910],
  ["stop_room", "bid at the 0.89 stop", withTop({ yesBid: 8_900 }), {}, false, 8_900],
  [
    "pre_close_window",
    "closes 1 ms after the window starts",
    withMarket({ closeTimeMs: T0 + HOUR + 1 }),
    {},
    true,
    HOUR + 1,
  ],
  [
    "pre_close_window",
    "closes exactly one window away",
    withMarket({ closeTimeMs: T0 + HOUR }),
    {},
    false,
    HOUR,
  ],
  ["market_active", "active", input(), {}, true, "active"],
  ["market_active", "paused (inactive)", withMarket({ status: "inactive" }), {}, false, "inactive"],
  ["market_active", "closed", withMarket({ status: "closed" }), {}, false, "closed"],
  ["multivariate_allowed", "plain market", input(), {}, true, false],
  ["multivariate_allowed", "multivariate, not allowed", withMarket({ multivariate: true }), {}, false, true],
  [
    "multivariate_allowed",
    "multivariate, allowed by config",
    withMarket({ multivariate: true }),
    { entry: { allowMultivariate: true } },
    true,
    true,
  ],
  ["fees_known", "quadratic series", input(), {}, true, "quadratic"],
  ["fees_known", "fee parameters not loaded", withMarket({ fee: null }), {}, false, null],
  [
    "fees_known",
    "flat series without a configured flat fee",
    withMarket({ fee: { feeType: "flat", multiplierPpm: 1_000_000, waiverUntilMs: null } }),
    {},
    false,
    "flat",
  ],
  [
    "fees_known",
    "flat series with a configured flat fee",
    withMarket({ fee: { feeType: "flat", multiplierPpm: 1_000_000, waiverUntilMs: null } }),
    { fees: { flatFeePerContract: 10_000 } },
    true,
    "flat",
  ],
  ["book_fresh", "fresh book", input(), {}, true, true],
  [
    "book_fresh",
    "stale book",
    input({ book: book(top(), { fresh: false, staleReason: "gap" }) }),
    {},
    false,
    false,
  ],
  ["no_position", "flat", input(), {}, true, 0],
  ["no_position", "holding 100 contracts", input({ position: position() }), {}, false, 10_000],
  [
    "no_working_order",
    "a filled order does not count",
    input({ workingOrders: [order({ state: "filled", filled: 10_000 })] }),
    {},
    true,
    0,
  ],
  ["no_working_order", "a resting order", input({ workingOrders: [order()] }), {}, false, 1],
  ["no_unknown_order", "none", input(), {}, true, false],
  ["no_unknown_order", "flagged by the order path", input({ hasUnknownOrder: true }), {}, false, true],
  [
    "no_unknown_order",
    "an order whose create answer was lost",
    input({ workingOrders: [order({ state: "pending", ack: "unknown", orderId: null })] }),
    {},
    false,
    true,
  ],
  // EV of the starting favourite is 1 648 micro-dollars per contract (see the EV test below)
  [
    "expected_value",
    "EV just above the minimum",
    input(),
    { edge: { minEvPerContract: 1_647 } },
    true,
    1_648,
  ],
  ["expected_value", "EV equal to the minimum", input(), { edge: { minEvPerContract: 1_648 } }, false, 1_648],
];

describe("each criterion at its threshold", () => {
  it.each(ROWS)("%s: %s", (name, _case, inp, overrides, pass, value) => {
    const s = entrySignal(inp, StrategyConfig.parse(overrides));
    const c = crit(s, name);
    expect(c.pass).toBe(pass);
    expect(c.value).toBe(value);
    if (!pass) expect(s.pass).toBe(false);
  });

  it("confidence: passes at exactly the minimum and fails just above it", () => {
    const score = entrySignal(input(), CFG).confidence?.score ?? Number.NaN;
    const at = entrySignal(input(), StrategyConfig.parse({ edge: { minConfidence: score } }));
    const above = entrySignal(input(), StrategyConfig.parse({ edge: { minConfidence: score + 1e-9 } }));
    expect(crit(at, "confidence").pass).toBe(true);
    expect(crit(above, "confidence").pass).toBe(false);
    expect(crit(above, "confidence").value).toBe(score);
  });
});

describe("explanations of failed criteria", () => {
  // [criterion, input, the detail text]
  const TEXTS: [CriterionName, ReturnType<typeof input>, string][] = [
    ["favourite_price", withTop({ yesBid: 8_480, noBid: 1_510 }), "YES ask 0.8490 is below the floor 0.8500"],
    [
      "best_bid_depth",
      withTop({ yesBid: 8_000, yesBidSize: 62_499, noBid: 1_900 }),
      "$499.99 resting at the best bid 0.8000 (624.99 contracts); need $500.00",
    ],
    [
      "volume_24h",
      withMarket({ volume24h: 1_000_000 }),
      "10000 contracts in 24 h = $9000.00 at 0.9000; need $10000.00",
    ],
    ["spread", withTop({ yesBid: 8_790 }), "ask 0.9000 - bid 0.8790 = 0.0210; at most 0.0200"],
    [
      "take_profit_room",
      withTop({ yesBid: 9_700, noBid: 290 }),
      "take-profit 0.9910 for entry 0.9710; at most 0.9900",
    ],
    [
      "stop_room",
      withTop({ yesBid: 8_900 }),
      "bid 0.8900 must be above the stop 0.8900, or the stop fires at once",
    ],
    [
      "pre_close_window",
      withMarket({ closeTimeMs: T0 + 30 * MINUTE }),
      "closes in 30 min; no entry within 60 min of close",
    ],
    ["market_active", withMarket({ status: "inactive" }), "market is inactive, not active"],
    ["multivariate_allowed", withMarket({ multivariate: true }), "multivariate markets are not traded"],
    ["fees_known", withMarket({ fee: null }), "the series' fee parameters are not loaded yet"],
    ["book_fresh", input({ book: book(top(), { fresh: false, staleReason: "gap" }) }), "book is stale (gap)"],
    ["no_position", input({ position: position() }), "already holding 100 contracts YES"],
    ["no_working_order", input({ workingOrders: [order()] }), "1 order(s) still working in this market"],
    ["no_unknown_order", input({ hasUnknownOrder: true }), "an order in this market has an unknown outcome"],
  ];
  it.each(TEXTS)("%s says why", (name, inp, text) => {
    const c = crit(entrySignal(inp, CFG), name);
    expect(c.pass).toBe(false);
    expect(c.detail).toBe(text);
  });

  it("names the flat-fee gap and the config that closes it", () => {
    const s = entrySignal(
      withMarket({ fee: { feeType: "flat", multiplierPpm: 1_000_000, waiverUntilMs: null } }),
      CFG,
    );
    expect(crit(s, "fees_known").detail).toContain("flatFeePerContract");
    expect(s.ev).toBeNull();
    expect(crit(s, "expected_value")).toMatchObject({ pass: false, value: null });
  });

  it("evaluates every criterion even when the first ones fail", () => {
    const s = entrySignal(
      input({
        market: market({ status: "inactive", fee: null }),
        book: book(top(), { fresh: false, staleReason: "gap" }),
      }),
      CFG,
    );
    expect(s.criteria.map((c) => c.name)).toEqual([...CRITERIA]);
    expect(s.criteria.filter((c) => !c.pass).map((c) => c.name)).toEqual([
      "market_active",
      "fees_known",
      "book_fresh",
      "expected_value",
    ]);
    expect(crit(s, "best_bid_depth")).toMatchObject({ pass: true, value: 899_000_000 });
  });

  it("reports an empty ladder as no favourite on every book criterion", () => {
    const s = entrySignal(withTop({ noBid: null, noBidSize: 0 }), CFG);
    expect(s.side).toBeNull();
    for (const name of ["favourite_price", "best_bid_depth", "spread", "stop_room"] as const) {
      expect(crit(s, name)).toMatchObject({
        pass: false,
        value: null,
        detail: "one side of the book is empty: no favourite",
      });
    }
  });
});

describe("the favourite side", () => {
  it("is the side with the higher best bid, YES on a tie, none with an empty ladder", () => {
    expect(favouriteSide(top({ yesBid: 8_990, noBid: 1_000 }))).toBe("yes");
    expect(favouriteSide(top({ yesBid: 1_000, noBid: 8_990 }))).toBe("no");
    expect(favouriteSide(top({ yesBid: 5_000, noBid: 5_000 }))).toBe("yes");
    expect(favouriteSide(top({ yesBid: null }))).toBeNull();
  });

  it("buys NO on its own leg: NO ask = 1 - YES bid, depth from the NO bids", () => {
    const s = entrySignal(
      withTop({ yesBid: 1_000, yesBidSize: 40_000, noBid: 8_990, noBidSize: 70_000 }),
      CFG,
    );
    expect(s.side).toBe("no");
    expect(s.prices).toMatchObject({
      bid: 8_990,
      ask: 9_000,
      bidSize: 70_000,
      askSize: 40_000,
      entry: 9_000,
    });
    expect(crit(s, "best_bid_depth").value).toBe(8_990 * 70_000);
    expect(s.confidence?.components.imbalance).toBeCloseTo(70 / 110, 12);
  });
});

describe("grid snapping", () => {
  it("buys at the ask and never above it when entry slippage is off the grid", () => {
    const s = entrySignal(input(), StrategyConfig.parse({ entry: { entrySlippage: 15 } }));
    expect(s.prices?.entry).toBe(9_010); // 0.9000 + 0.0015 snapped down to the 0.001 grid
  });

  it("snaps the take-profit up and the stop up on a tapered grid", () => {
    // YES ask 0.905 (NO bid 0.095, fine band); stop 0.895 is in the whole-cent band -> 0.90
    const s = entrySignal(
      input({ market: market({ grid: TAPERED }), book: book(top({ yesBid: 9_040, noBid: 950 })) }),
      CFG,
    );
    expect(s.prices).toMatchObject({ entry: 9_050, takeProfit: 9_250, stop: 9_000 });
  });

  it("rejects a 1-cent spread on a whole-cent grid: the 1-cent stop would fire at once", () => {
    const s = entrySignal(
      input({ market: market({ grid: LINEAR_CENT }), book: book(top({ yesBid: 8_900 })) }),
      CFG,
    );
    expect(s.prices).toMatchObject({ entry: 9_000, stop: 8_900 });
    expect(crit(s, "stop_room").pass).toBe(false);
  });

  it("uses relative offsets in relative mode: +2 % and -1 % of 0.90", () => {
    const s = entrySignal(input(), StrategyConfig.parse({ exits: { mode: "relative" } }));
    expect(s.prices).toMatchObject({ entry: 9_000, takeProfit: 9_180, stop: 8_910 });
  });
});

describe("confidence and expected value (hand-computed)", () => {
  it("scores the starting favourite from its named components", () => {
    const c = entrySignal(input(), CFG).confidence;
    // imbalance 1000/(1000+1000); stop room (0.899-0.89)/(0.90-0.89); depth $899/$2000;
    // volume $18000/$50000; favourite (0.90-0.85)/(0.97-0.85); time to close 9 h left / 2 h hold -> 1
    expect(c?.components).toEqual({
      imbalance: 0.5,
      spread: expect.closeTo(0.9, 12),
      depth: 0.4495,
      volume: 0.36,
      favourite: expect.closeTo(5 / 12, 12),
      timeToClose: 1,
    });
    // 0.35 x 0.5 + 0.2 x 0.9 + 0.15 x 0.4495 + 0.1 x 0.36 + 0.1 x 5/12 + 0.1 x 1 = 0.6000917
    expect(c?.score).toBeCloseTo(0.6000917, 6);
  });

  it("prices one contract after fees: p x (gain - fees) - (1 - p) x (loss + fees)", () => {
    const ev = entrySignal(input(), CFG).ev;
    // p = 1/3 + (0.9 - 1/3) x 0.6000917 = 0.6733853
    // win: $0.02 - entry fee at 0.90 $0.0063 - maker fee (none on quadratic) = $0.0137
    // loss: $0.01 + $0.0063 + stop fee at 0.89 $0.006853 -> $0.0069 = $0.0232
    // EV = 0.6733853 x 13 700 - 0.3266147 x 23 200 = 1 647.9 micro-dollars
    expect(ev).toMatchObject({
      gain: 20_000,
      loss: 10_000,
      entryFee: 6_300,
      takeProfitFee: 0,
      stopFee: 6_900,
      winNet: 13_700,
      lossNet: 23_200,
      ev: 1_648,
    });
    expect(ev?.pWin).toBeCloseTo(0.6733853, 6);
    expect(ev?.breakEvenPWin).toBeCloseTo(23_200 / 36_900, 12);
  });

  it("charges the maker fee on the take-profit where the series has maker fees", () => {
    const s = entrySignal(
      withMarket({
        fee: { feeType: "quadratic_with_maker_fees", multiplierPpm: 1_000_000, waiverUntilMs: null },
      }),
      CFG,
    );
    // maker at 0.92: 0.0175 x 0.92 x 0.08 = $0.001288 -> $0.0013
    expect(s.ev).toMatchObject({ takeProfitFee: 1_300, winNet: 12_400 });
    // 0.67338527 x 12 400 - 0.32661473 x 23 200 = 772.52 -> 773
    expect(s.ev?.ev).toBe(773);
  });

  it("prices exits at the hold deadline, so a waiver that ends before it does not hide the exit fees", () => {
    const waived = { feeType: "quadratic" as const, multiplierPpm: 1_000_000, waiverUntilMs: T0 + HOUR };
    const s = entrySignal(withMarket({ fee: waived }), CFG);
    expect(s.fees).toEqual({ entry: 0, takeProfit: 0, stop: 6_900 });
  });

  it("is negative for a driftless price: p(win) 1/3 cannot pay a +2/-1 bracket", () => {
    const s = entrySignal(input(), StrategyConfig.parse({ edge: { pWinAtOne: 1 / 3 } }));
    expect(s.ev?.ev).toBeLessThan(0);
    expect(crit(s, "expected_value").pass).toBe(false);
  });

  it("rejects a thin market that scrapes every hard filter", () => {
    // $500.00 at the bid against 1 500 offered (imbalance 0.29), $10 000 of volume
    const thin = input({
      market: market({ volume24h: 1_111_112 }),
      book: book(top({ yesBid: 8_990, yesBidSize: 55_618, noBid: 1_000, noBidSize: 135_000 })),
    });
    const s = entrySignal(thin, CFG);
    for (const name of ["best_bid_depth", "volume_24h", "spread", "stop_room"] as const)
      expect(crit(s, name).pass).toBe(true);
    expect(crit(s, "expected_value").pass).toBe(false);
    expect(crit(s, "confidence").pass).toBe(false);
  });

  it("rejects a half-cent spread with a balanced book but takes it with bid-side pressure", () => {
    const wide = entrySignal(withTop({ yesBid: 8_950 }), CFG);
    expect(crit(wide, "expected_value").pass).toBe(false);
    const pressed = entrySignal(withTop({ yesBid: 8_950, yesBidSize: 200_000, noBidSize: 100_000 }), CFG);
    expect(crit(pressed, "expected_value").pass).toBe(true);
  });
});
