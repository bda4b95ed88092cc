import { describe, expect, it } from "vitest";
import { fillFee, maxFee } from "./fees.ts";
import type { FeeType } from "./types.ts";

// [fee type, multiplier ppm, YES price units, count units, taker?, expected micro-dollars, hand working]
const TABLE: [FeeType, number, number, number, boolean, number, string][] = [
  ["quadratic", 1_000_000, 5000, 100, true, 17_500, "0.07 x 1 x 0.25 = 0.0175 (the fee schedule's example)"],
  ["quadratic", 1_000_000, 5000, 10_000, true, 1_750_000, "100 contracts at 0.50 = 1.75"],
  [
    "quadratic_with_maker_fees",
    1_000_000,
    5000,
    10_000,
    false,
    437_500,
    "maker 0.0175 x 100 x 0.25 = 0.4375",
  ],
  ["quadratic", 1_000_000, 5000, 10_000, false, 0, "taker-only series charge makers nothing"],
  ["quadratic", 1_000_000, 5600, 1_000, true, 172_500, "0.07 x 10 x 0.56 x 0.44 = 0.17248 -> 0.1725"],
  ["quadratic", 1_000_000, 100, 100, true, 700, "0.07 x 0.01 x 0.99 = 0.000693 -> 0.0007"],
  ["quadratic", 500_000, 3000, 700, true, 51_500, "0.5 x 0.07 x 7 x 0.21 = 0.05145 -> 0.0515"],
  ["quadratic", 1_500_000, 500, 333, true, 16_700, "1.5 x 0.07 x 3.33 x 0.0475 = 0.016608 -> 0.0167"],
  [
    "quadratic_with_combo_maker_fees",
    1_000_000,
    5000,
    10_000,
    false,
    875_000,
    "combo maker 0.035 x 100 x 0.25",
  ],
  ["quadratic_with_maker_fees", 1_000_000, 1, 100, true, 100, "centi-cent price: 0.0000069993 -> 0.0001"],
  ["quadratic", 1_000_000, 5000, 400, true, 70_000, "exactly 0.07, no rounding"],
  ["quadratic", 1_000_000, 9500, 1, true, 100, "0.01 contract: 0.07 x 0.01 x 0.0475 -> 0.0001"],
  ["flat", 1_000_000, 5000, 100, true, 10_000, "simulator assumption: $0.01 per contract, takers"],
];

describe("fillFee", () => {
  it.each(TABLE)("%s M=%i p=%i c=%i taker=%s -> %i micros (%s)", (type, ppm, price, count, taker, want) => {
    expect(fillFee(type, ppm, price, count, taker)).toBe(want);
  });

  it("is the same on either leg of a trade (P(1-P) is symmetric)", () => {
    expect(fillFee("quadratic", 1_000_000, 2300, 1234, true)).toBe(
      fillFee("quadratic", 1_000_000, 7700, 1234, true),
    );
  });

  it("stays exact for counts whose product overflows a double", () => {
    // 1e6 contracts at 0.50: 0.07 x 1e6 x 0.25 = 17 500 dollars
    expect(fillFee("quadratic", 1_000_000, 5000, 100_000_000, true)).toBe(17_500 * 1_000_000);
  });
});

describe("maxFee", () => {
  it("uses the limit price below 0.50 and 0.50 above it (where P(1-P) peaks)", () => {
    expect(maxFee("quadratic", 1_000_000, 3000, 100)).toBe(fillFee("quadratic", 1_000_000, 3000, 100, true));
    expect(maxFee("quadratic", 1_000_000, 9000, 100)).toBe(17_500);
  });
});
