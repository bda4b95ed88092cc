/**
 * Kalshi fee predictions: hand-computed worked examples (Kalshi's own P = 0.50 example, the
 * favourite prices the strategy trades, multipliers, rounding to $0.0001), fee types, waivers,
 * the unknown flat fee, bad input, and properties of the rounding. The simulator's fee maths
 * is checked to agree where the formula is the same.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fillFee } from "../sim/exchange/fees.ts";
import type { FeeParams, FeeType } from "./domain.ts";
import { type FeeQuote, feeFor, feeWaived, flatFee, makerFee, takerFee } from "./fees.ts";

const NOW = Date.UTC(2026, 5, 1);

function params(feeType: FeeType, multiplierPpm = 1_000_000, waiverUntilMs: number | null = null): FeeParams {
  return { feeType, multiplierPpm, waiverUntilMs };
}

function fee(q: FeeQuote): number {
  if (!q.ok) throw new Error(`expected a fee, got ${q.reason}: ${q.message}`);
  return q.fee;
}

// [what, fee type, multiplier ppm, price units, count units, role, expected micro-dollars]
// Working in dollars in each name; micro-dollars = dollars x 10^6, rounded up to 100.
const WORKED: [string, FeeType, number, number, number, "taker" | "maker", number][] = [
  ["P=0.50, 1 contract: 0.07 x 0.25 = $0.0175", "quadratic", 1_000_000, 5000, 100, "taker", 17_500],
  ["P=0.50, 100 contracts: $1.75", "quadratic", 1_000_000, 5000, 10_000, "taker", 1_750_000],
  [
    "maker P=0.50, 100 contracts: 0.0175 x 100 x 0.25 = $0.4375",
    "quadratic_with_maker_fees",
    1_000_000,
    5000,
    10_000,
    "maker",
    437_500,
  ],
  ["P=0.90, 1 contract: 0.07 x 0.9 x 0.1 = $0.0063", "quadratic", 1_000_000, 9000, 100, "taker", 6_300],
  ["P=0.90, 10 contracts: $0.063", "quadratic", 1_000_000, 9000, 1_000, "taker", 63_000],
  [
    "maker P=0.90, 1 contract: 0.0175 x 0.09 = $0.001575 -> $0.0016",
    "quadratic_with_maker_fees",
    1_000_000,
    9000,
    100,
    "maker",
    1_600,
  ],
  [
    "P=0.89, 1 contract: 0.07 x 0.89 x 0.11 = $0.006853 -> $0.0069",
    "quadratic",
    1_000_000,
    8900,
    100,
    "taker",
    6_900,
  ],
  ["multiplier 0.5, P=0.50, 100: 0.5 x 1.75 = $0.875", "quadratic", 500_000, 5000, 10_000, "taker", 875_000],
  ["multiplier 2, P=0.50, 100: 2 x 1.75 = $3.50", "quadratic", 2_000_000, 5000, 10_000, "taker", 3_500_000],
  [
    "multiplier 2, P=0.90, 1 contract: 2 x 0.0063 = $0.0126",
    "quadratic_with_maker_fees",
    2_000_000,
    9000,
    100,
    "taker",
    12_600,
  ],
  [
    "combo maker P=0.50, 100: 0.5 x 0.07 x 100 x 0.25 = $0.875",
    "quadratic_with_combo_maker_fees",
    1_000_000,
    5000,
    10_000,
    "maker",
    875_000,
  ],
  [
    "combo taker is the plain taker rate: $1.75",
    "quadratic_with_combo_maker_fees",
    1_000_000,
    5000,
    10_000,
    "taker",
    1_750_000,
  ],
  ["taker-only series charge makers nothing", "quadratic", 1_000_000, 5000, 10_000, "maker", 0],
  [
    "rounding: P=0.56, 10: 0.07 x 10 x 0.2464 = $0.17248 -> $0.1725",
    "quadratic",
    1_000_000,
    5600,
    1_000,
    "taker",
    172_500,
  ],
  [
    "rounding: P=0.01, 1: 0.07 x 0.0099 = $0.000693 -> $0.0007",
    "quadratic",
    1_000_000,
    100,
    100,
    "taker",
    700,
  ],
  ["rounding: 0.01 contract at 0.95: $0.00003325 -> $0.0001", "quadratic", 1_000_000, 9500, 1, "taker", 100],
  ["no rounding when exact: 4 at 0.50 = $0.07", "quadratic", 1_000_000, 5000, 400, "taker", 70_000],
  [
    "just under an exact multiple rounds up to it: 4 at 0.5001 = $0.0699999972 -> $0.07",
    "quadratic",
    1_000_000,
    5001,
    400,
    "taker",
    70_000,
  ],
  [
    "just over a multiple rounds up a step: 0.5 x 4 at 0.50 = $0.035; x 1.000001 -> $0.0351",
    "quadratic",
    500_001,
    5000,
    400,
    "taker",
    35_100,
  ],
  ["price $0 costs nothing (P(1-P) = 0)", "quadratic", 1_000_000, 0, 10_000, "taker", 0],
  ["price $1 costs nothing (P(1-P) = 0)", "quadratic", 1_000_000, 10_000, 10_000, "taker", 0],
  ["zero contracts cost nothing", "quadratic", 1_000_000, 5000, 0, "taker", 0],
  ["multiplier 0 waives the series", "quadratic", 0, 5000, 10_000, "taker", 0],
];

describe("takerFee and makerFee on worked examples", () => {
  it.each(WORKED)("%s", (_what, type, ppm, price, count, role, want) => {
    const q =
      role === "taker"
        ? takerFee(params(type, ppm), price, count, NOW)
        : makerFee(params(type, ppm), price, count, NOW);
    expect(fee(q)).toBe(want);
    expect(fee(feeFor(role, params(type, ppm), price, count, NOW))).toBe(want);
  });

  it("is the same on either leg of a trade", () => {
    const p = params("quadratic_with_maker_fees");
    expect(fee(takerFee(p, 2300, 1234, NOW))).toBe(fee(takerFee(p, 7700, 1234, NOW)));
    expect(fee(makerFee(p, 2300, 1234, NOW))).toBe(fee(makerFee(p, 7700, 1234, NOW)));
  });

  it("stays exact where the product overflows a double: 1e6 contracts at 0.50 = $17 500", () => {
    expect(fee(takerFee(params("quadratic"), 5000, 100_000_000, NOW))).toBe(17_500_000_000);
  });
});

describe("fee waivers", () => {
  // [what, now relative to the waiver's end, expected taker fee for 1 contract at 0.90]
  const CASES: [string, number, number][] = [
    ["waived one millisecond before the waiver ends", -1, 0],
    ["charged from the moment the waiver ends", 0, 6_300],
    ["charged after the waiver ends", 1, 6_300],
  ];
  it.each(CASES)("%s", (_what, offset, want) => {
    const end = NOW + 60_000;
    const p = params("quadratic", 1_000_000, end);
    expect(feeWaived(p, end + offset)).toBe(want === 0);
    expect(fee(takerFee(p, 9000, 100, end + offset))).toBe(want);
  });

  it("waives maker fees and flat fees too", () => {
    expect(fee(makerFee(params("quadratic_with_maker_fees", 1_000_000, NOW + 1), 9000, 100, NOW))).toBe(0);
    expect(fee(takerFee(params("flat", 1_000_000, NOW + 1), 9000, 100, NOW))).toBe(0);
  });
});

describe("flat series", () => {
  it("reports the fee as unknown for takers and makers", () => {
    for (const q of [takerFee(params("flat"), 9000, 100, NOW), makerFee(params("flat"), 9000, 100, NOW)]) {
      expect(q.ok).toBe(false);
      if (!q.ok) expect(q.reason).toBe("flat_fee_unknown");
    }
  });

  it("prices a configured flat fee per contract, prorated and rounded up to $0.0001", () => {
    expect(fee(flatFee(10_000, 100))).toBe(10_000); // $0.01 x 1
    expect(fee(flatFee(10_000, 1_250))).toBe(125_000); // $0.01 x 12.5
    expect(fee(flatFee(10_050, 1))).toBe(200); // $0.01005 x 0.01 = $0.0001005 -> $0.0002
    expect(fee(flatFee(0, 1_000))).toBe(0);
  });

  it("refuses a negative or fractional flat fee and a bad count", () => {
    expect(flatFee(-1, 100).ok).toBe(false);
    expect(flatFee(1.5, 100).ok).toBe(false);
    expect(flatFee(10_000, -1).ok).toBe(false);
  });
});

describe("bad input", () => {
  // [what, price, count, multiplier ppm, reason]
  const BAD: [string, number, number, number, string][] = [
    ["a negative price", -1, 100, 1_000_000, "invalid_price"],
    ["a price above $1", 10_001, 100, 1_000_000, "invalid_price"],
    ["a fractional price unit", 5000.5, 100, 1_000_000, "invalid_price"],
    ["a negative count", 5000, -100, 1_000_000, "invalid_count"],
    ["a fractional count unit", 5000, 1.5, 1_000_000, "invalid_count"],
    ["a NaN count", 5000, Number.NaN, 1_000_000, "invalid_count"],
    ["a negative multiplier", 5000, 100, -1, "invalid_multiplier"],
    ["a fractional multiplier ppm", 5000, 100, 0.5, "invalid_multiplier"],
  ];
  it.each(BAD)("refuses %s with a reason", (_what, price, count, ppm, reason) => {
    const q = takerFee(params("quadratic", ppm), price, count, NOW);
    expect(q.ok).toBe(false);
    if (!q.ok) {
      expect(q.reason).toBe(reason);
      expect(q.message.length).toBeGreaterThan(0);
    }
  });
});

describe("properties", () => {
  const price = fc.integer({ min: 0, max: 10_000 });
  const count = fc.integer({ min: 0, max: 10_000_000 });
  const ppm = fc.integer({ min: 0, max: 5_000_000 });
  const type = fc.constantFrom<FeeType>(
    "quadratic",
    "quadratic_with_maker_fees",
    "quadratic_with_combo_maker_fees",
  );

  it("rounds the exact taker fee up to the next $0.0001, by less than $0.0001", () => {
    fc.assert(
      fc.property(price, count, ppm, (p, c, m) => {
        const f = fee(takerFee(params("quadratic", m), p, c, NOW));
        const exact = BigInt(m) * 7n * BigInt(c) * BigInt(p) * BigInt(10_000 - p); // x 1e-12 micros
        expect(f % 100).toBe(0);
        expect(BigInt(f) * 1_000_000_000_000n >= exact).toBe(true);
        expect(BigInt(f - 100) * 1_000_000_000_000n < exact).toBe(true);
      }),
    );
  });

  it("never charges a maker more than a taker", () => {
    fc.assert(
      fc.property(type, price, count, ppm, (t, p, c, m) => {
        expect(fee(makerFee(params(t, m), p, c, NOW))).toBeLessThanOrEqual(
          fee(takerFee(params(t, m), p, c, NOW)),
        );
      }),
    );
  });

  it("agrees with the simulator's fee maths on every quadratic fee type", () => {
    fc.assert(
      fc.property(type, price, count, ppm, fc.boolean(), (t, p, c, m, isTaker) => {
        const ours = isTaker ? takerFee(params(t, m), p, c, NOW) : makerFee(params(t, m), p, c, NOW);
        expect(fee(ours)).toBe(fillFee(t, m, p, c, isTaker));
      }),
    );
  });
});
