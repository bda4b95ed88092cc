/**
 * Sizing: each cap binding in turn (risk budget, position limit, total exposure, open
 * positions, size at the ask, order group room, largest order), whole versus fractional
 * contracts, and properties: the count never exceeds any cap and is the largest that fits.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_RISK_CONFIG } from "../risk/config.ts";
import { DEFAULT_STRATEGY_CONFIG, SizingConfig } from "./config.ts";
import {
  type AccountView,
  type SizingInput,
  type SizingLimits,
  sizeEntry,
  sizingLimitsOf,
} from "./sizing.ts";
import { account } from "./test-helpers.ts";

const LIMITS = sizingLimitsOf(DEFAULT_RISK_CONFIG);
const WHOLE = DEFAULT_STRATEGY_CONFIG.sizing;

/** Entry 0.90, stop 0.89, fees $0.0063 + $0.0069: $0.0232 of risk per contract; 10 000 contracts offered. */
function sizing(o: Partial<SizingInput> = {}): SizingInput {
  return {
    entry: 9_000,
    stop: 8_900,
    entryFeePerContract: 6_300,
    stopFeePerContract: 6_900,
    stopSlippage: 0,
    askSize: 1_000_000,
    ...o,
  };
}

describe("the limits shared with the risk gate", () => {
  it("are the risk configuration's exposure limits and largest order", () => {
    expect(LIMITS).toEqual({
      maxPositionPct: 10,
      maxTotalExposurePct: 30,
      maxOpenPositions: 10,
      maxOrderCount: 1_000_000,
    });
  });
});

describe("which cap binds", () => {
  // [case, input, account, limits, expected count, limited by]
  const CASES: [string, SizingInput, AccountView, SizingLimits, number, string][] = [
    [
      "risk: $100 of a $10 000 account / $0.0232 per contract = 4 310.3 -> 4 310 contracts",
      sizing(),
      account(),
      { ...LIMITS, maxPositionPct: 100, maxTotalExposurePct: 100 },
      431_000,
      "risk",
    ],
    [
      "position limit: $1 000 / 0.90 = 1 111.1 -> 1 111 contracts",
      sizing(),
      account(),
      LIMITS,
      111_100,
      "position_limit",
    ],
    [
      "total exposure: $3 000 - $2 500 held = $500 / 0.90 = 555.5 -> 555 contracts",
      sizing(),
      account({ totalExposure: 2_500_000_000 }),
      LIMITS,
      55_500,
      "total_exposure",
    ],
    [
      "total exposure used up",
      sizing(),
      account({ totalExposure: 3_000_000_000 }),
      LIMITS,
      0,
      "total_exposure",
    ],
    [
      "total exposure over the limit",
      sizing(),
      account({ totalExposure: 3_500_000_000 }),
      LIMITS,
      0,
      "total_exposure",
    ],
    [
      "open positions at the cap of 10",
      sizing(),
      account({ openPositions: 10 }),
      LIMITS,
      0,
      "open_positions",
    ],
    [
      "size at the ask: 250 contracts offered",
      sizing({ askSize: 25_000 }),
      account(),
      LIMITS,
      25_000,
      "ask_size",
    ],
    [
      "order group room of 25.5 contracts -> 25",
      sizing(),
      account({ orderGroupRoom: 2_550 }),
      LIMITS,
      2_500,
      "order_group",
    ],
    [
      "largest order 50 contracts",
      sizing(),
      account(),
      { ...LIMITS, maxOrderCount: 5_000 },
      5_000,
      "max_order_count",
    ],
    ["no equity", sizing(), account({ equity: 0 }), LIMITS, 0, "risk"],
    ["negative equity", sizing(), account({ equity: -5_000_000 }), LIMITS, 0, "risk"],
  ];
  it.each(CASES)("%s", (_case, inp, acct, limits, count, limitedBy) => {
    const r = sizeEntry(inp, acct, WHOLE, limits);
    expect(r.count).toBe(count);
    expect(r.limitedBy).toBe(limitedBy);
  });

  it("does not bind on open positions one below the cap", () => {
    const r = sizeEntry(sizing(), account({ openPositions: 9 }), WHOLE, LIMITS);
    expect(r.numbers.caps.open_positions).toBeNull();
    expect(r.count).toBe(111_100);
  });

  it("reports the numbers behind each cap", () => {
    const r = sizeEntry(sizing(), account({ totalExposure: 1_000_000_000 }), WHOLE, LIMITS);
    expect(r.numbers).toEqual({
      riskBudget: 100_000_000,
      riskPerContract: 23_200,
      positionLimitMoney: 1_000_000_000,
      totalExposureLimitMoney: 3_000_000_000,
      totalExposure: 1_000_000_000,
      caps: {
        risk: 431_034,
        position_limit: 111_111,
        total_exposure: 222_222,
        open_positions: null,
        ask_size: 1_000_000,
        order_group: 1_000_000,
        max_order_count: 1_000_000,
      },
    });
  });

  it("counts the expected stop slippage as risk", () => {
    // $0.01 + $0.01 slippage + fees $0.0132 = $0.0332: $100 / $0.0332 = 3 012.0 contracts
    const r = sizeEntry(sizing({ stopSlippage: 100 }), account(), WHOLE, {
      ...LIMITS,
      maxPositionPct: 100,
      maxTotalExposurePct: 100,
    });
    expect(r.numbers.riskPerContract).toBe(33_200);
    expect(r.count).toBe(301_200);
  });

  it("sizes in hundredths of a contract when whole contracts are off", () => {
    const r = sizeEntry(sizing(), account(), SizingConfig.parse({ wholeContracts: false }), LIMITS);
    expect(r.count).toBe(111_111);
  });
});

describe("properties", () => {
  const arb = fc.record({
    entry: fc.integer({ min: 100, max: 9_900 }),
    stopGap: fc.integer({ min: 1, max: 500 }),
    entryFee: fc.integer({ min: 0, max: 20_000 }),
    stopFee: fc.integer({ min: 0, max: 20_000 }),
    askSize: fc.integer({ min: 0, max: 10_000_000 }),
    equity: fc.integer({ min: -1_000_000_000, max: 1_000_000_000_000 }),
    openPositions: fc.integer({ min: 0, max: 12 }),
    exposure: fc.integer({ min: 0, max: 500_000_000_000 }),
    room: fc.integer({ min: 0, max: 10_000_000 }),
    whole: fc.boolean(),
  });

  it("never exceeds any cap, and whole-contract sizes are the largest that fit", () => {
    fc.assert(
      fc.property(arb, (a) => {
        const inp = sizing({
          entry: a.entry,
          stop: a.entry - a.stopGap,
          entryFeePerContract: a.entryFee,
          stopFeePerContract: a.stopFee,
          askSize: a.askSize,
        });
        const acct = account({
          equity: a.equity,
          openPositions: a.openPositions,
          totalExposure: a.exposure,
          orderGroupRoom: a.room,
        });
        const r = sizeEntry(inp, acct, SizingConfig.parse({ wholeContracts: a.whole }), LIMITS);
        const n = r.numbers;
        expect(r.count).toBeGreaterThanOrEqual(0);
        expect(r.count * n.riskPerContract).toBeLessThanOrEqual(Math.max(0, n.riskBudget) * 100);
        expect(r.count * a.entry).toBeLessThanOrEqual(Math.max(0, n.positionLimitMoney));
        expect(r.count * a.entry).toBeLessThanOrEqual(Math.max(0, n.totalExposureLimitMoney - a.exposure));
        expect(r.count).toBeLessThanOrEqual(a.askSize);
        expect(r.count).toBeLessThanOrEqual(a.room);
        expect(r.count).toBeLessThanOrEqual(LIMITS.maxOrderCount);
        if (a.openPositions >= LIMITS.maxOpenPositions) expect(r.count).toBe(0);
        const binding = n.caps[r.limitedBy];
        expect(binding).not.toBeNull();
        if (a.whole) {
          expect(r.count % 100).toBe(0);
          expect(r.count + 100).toBeGreaterThan(binding ?? 0);
        } else {
          expect(r.count).toBe(binding);
        }
      }),
    );
  });
});
