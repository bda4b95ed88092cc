/**
 * Fixed-point units: table tests of what the parsers accept and reject, the NaN hot-path
 * variant, the formatters, round trips, and the exactness of notional in micro-dollars.
 */
import { describe, expect, it } from "vitest";
import {
  COUNT_DECIMALS,
  centsToMoney,
  complement,
  FixedPointError,
  fixedOrNaN,
  formatCount,
  formatMoney,
  formatPrice,
  MAX_COUNT,
  MAX_MONEY,
  MONEY_DECIMALS,
  notional,
  PRICE_DECIMALS,
  PRICE_SCALE,
  parseCount,
  parseMoney,
  parsePrice,
  parseSignedCount,
} from "./units.ts";

// Strings no parser accepts, whatever the unit.
const MALFORMED = [
  "",
  "abc",
  "1e3",
  "1E3",
  "1.",
  ".5",
  "-.5",
  "-",
  "+1",
  " 1",
  "1 ",
  "0x10",
  "1,5",
  "1.2.3",
  "--1",
  "1-",
  "١",
  "NaN",
  "Infinity",
  "0.5\n",
  "12345678901234567890123456", // longer than any field Kalshi sends
];

describe("parsePrice", () => {
  const VALID: ReadonlyArray<[string, number]> = [
    ["0.5600", 5600], // Kalshi's 4-decimal response form
    ["0.56", 5600], // 2-decimal request form
    ["0.560", 5600],
    ["0.1200", 1200],
    ["0.0001", 1],
    ["0", 0],
    ["0.0000", 0],
    ["1", 10_000],
    ["1.0000", 10_000],
    ["00.5", 5000],
  ];
  it.each(VALID)("parses %j as %i", (s, units) => {
    expect(parsePrice(s)).toBe(units);
  });

  const INVALID = [
    ...MALFORMED,
    "0.56001", // finer than $0.0001
    "0.56000", // trailing zero past 4 decimals is still a wrong field
    "-0.5600", // negative
    "-0",
    "1.0001", // above $1
    "2",
  ];
  it.each(INVALID)("rejects %j with a FixedPointError naming the input", (s) => {
    expect(() => parsePrice(s)).toThrow(FixedPointError);
    expect(() => parsePrice(s)).toThrow(`price: ${JSON.stringify(s.slice(0, 32))}`);
  });

  it.each([56, null, undefined, {}, ["0.56"], true])("rejects the non-string %j", (v) => {
    expect(() => parsePrice(v)).toThrow(`price: expected a decimal string, got ${typeof v}`);
  });

  it("shortens very long inputs in the message", () => {
    expect(() => parsePrice("9".repeat(40))).toThrow(`"${"9".repeat(32)}..."`);
  });
});

describe("parseCount and parseSignedCount", () => {
  const VALID: ReadonlyArray<[string, number]> = [
    ["10.00", 1000], // Kalshi always sends 2 decimals
    ["10", 1000],
    ["10.5", 1050],
    ["0.01", 1], // minimum order size
    ["0.00", 0],
    ["100000000.00", MAX_COUNT],
  ];
  it.each(VALID)("parses %j as %i", (s, units) => {
    expect(parseCount(s)).toBe(units);
    expect(parseSignedCount(s)).toBe(units);
  });

  it.each([...MALFORMED, "1.001", "0.005", "100000000.01"])("rejects %j as a count", (s) => {
    expect(() => parseCount(s)).toThrow(FixedPointError);
    expect(() => parseSignedCount(s)).toThrow(FixedPointError);
  });

  it("rejects a negative count but accepts a negative signed count", () => {
    expect(() => parseCount("-2.50")).toThrow("non-negative decimal");
    expect(parseSignedCount("-2.50")).toBe(-250);
    expect(parseSignedCount("-100000000.00")).toBe(-MAX_COUNT);
    expect(() => parseSignedCount("-100000000.01")).toThrow(FixedPointError);
  });

  it("parses a negative zero as plain zero", () => {
    expect(Object.is(parseSignedCount("-0.00"), 0)).toBe(true);
  });

  it.each([5, null, 1n])("rejects the non-string %s", (v) => {
    expect(() => parseCount(v)).toThrow(FixedPointError);
    expect(() => parseSignedCount(v)).toThrow(FixedPointError);
  });
});

describe("parseMoney", () => {
  const VALID: ReadonlyArray<[string, number]> = [
    ["1.250000", 1_250_000],
    ["-1.25", -1_250_000], // P&L can be negative
    ["0.000000", 0],
    ["0.000001", 1],
    ["0.5600", 560_000],
    ["1000000000", MAX_MONEY],
    ["-1000000000.000000", -MAX_MONEY],
  ];
  it.each(VALID)("parses %j as %i", (s, micros) => {
    expect(parseMoney(s)).toBe(micros);
  });

  it.each([...MALFORMED, "0.0000001", "1000000000.000001", "-1000000000.000001"])("rejects %j", (s) => {
    expect(() => parseMoney(s)).toThrow(FixedPointError);
  });

  // Regression: MAX_MONEY was $1 trillion (1e18 micros, past 2^53) and these parsed to
  // silently rounded integers such as 12345678901234568.
  it.each(["12345678901.234567", "9007199254.740993", "-98765432109.876543"])(
    "rejects %j rather than return a rounded value",
    (s) => {
      expect(() => parseMoney(s)).toThrow(FixedPointError);
    },
  );

  it("keeps every accepted value a safe integer", () => {
    expect(Number.isSafeInteger(MAX_MONEY)).toBe(true);
    expect(parseMoney("999999999.999999")).toBe(999_999_999_999_999);
  });
});

describe("fixedOrNaN (hot path)", () => {
  // [input, decimals, signed, max, expected]
  const CASES: ReadonlyArray<[string, number, boolean, number, number]> = [
    ["0.5600", PRICE_DECIMALS, false, PRICE_SCALE, 5600],
    ["0.56001", PRICE_DECIMALS, false, PRICE_SCALE, Number.NaN],
    ["1.0001", PRICE_DECIMALS, false, PRICE_SCALE, Number.NaN],
    ["-2.50", COUNT_DECIMALS, true, MAX_COUNT, -250],
    ["-2.50", COUNT_DECIMALS, false, MAX_COUNT, Number.NaN],
    ["3", COUNT_DECIMALS, false, MAX_COUNT, 300],
    ["-1.5", MONEY_DECIMALS, true, MAX_MONEY, -1_500_000],
    ["7", 0, false, 10, 7], // zero decimals: integers only
    ["7.0", 0, false, 10, Number.NaN],
    ["11", 0, false, 10, Number.NaN],
  ];
  it.each(CASES)("reads %j (decimals %i, signed %s, max %i) as %d", (s, decimals, signed, max, expected) => {
    expect(fixedOrNaN(s, decimals, signed, max)).toBe(expected);
  });

  it.each(MALFORMED)("returns NaN for %j instead of throwing", (s) => {
    expect(fixedOrNaN(s, MONEY_DECIMALS, true, MAX_MONEY)).toBeNaN();
  });

  it("agrees with the throwing parsers on every valid input", () => {
    for (const s of ["0.0001", "0.5", "0.9999", "1"])
      expect(fixedOrNaN(s, 4, false, PRICE_SCALE)).toBe(parsePrice(s));
    for (const s of ["-0.01", "12.34", "5"])
      expect(fixedOrNaN(s, 2, true, MAX_COUNT)).toBe(parseSignedCount(s));
  });
});

describe("formatters", () => {
  const PRICES: ReadonlyArray<[number, string]> = [
    [5600, "0.5600"],
    [1, "0.0001"],
    [0, "0.0000"],
    [10_000, "1.0000"],
    [999, "0.0999"],
  ];
  it.each(PRICES)("formats price %i as %j", (p, s) => {
    expect(formatPrice(p)).toBe(s);
  });

  it.each([-1, 10_001, 0.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses to format the price %d", (p) => {
    expect(() => formatPrice(p)).toThrow(FixedPointError);
  });

  const COUNTS: ReadonlyArray<[number, string]> = [
    [1000, "10.00"],
    [1, "0.01"],
    [0, "0.00"],
    [-250, "-2.50"],
    [-5, "-0.05"],
  ];
  it.each(COUNTS)("formats count %i as %j", (c, s) => {
    expect(formatCount(c)).toBe(s);
  });

  const MONEY: ReadonlyArray<[number, string]> = [
    [1_250_000, "1.250000"],
    [-1_250_000, "-1.250000"],
    [1, "0.000001"],
    [-1, "-0.000001"],
    [0, "0.000000"],
    [MAX_MONEY, "1000000000.000000"],
  ];
  it.each(MONEY)("formats money %i as %j", (m, s) => {
    expect(formatMoney(m)).toBe(s);
  });

  it.each([0.5, Number.NaN, 2 ** 53])("refuses to format the non-safe-integer %d", (v) => {
    expect(() => formatCount(v)).toThrow(FixedPointError);
    expect(() => formatMoney(v)).toThrow(FixedPointError);
  });
});

describe("round trips", () => {
  it("formats then parses every price back to itself", () => {
    const wrong: number[] = [];
    for (let p = 0; p <= PRICE_SCALE; p++) if (parsePrice(formatPrice(p)) !== p) wrong.push(p);
    expect(wrong).toEqual([]);
  });

  it.each([0, 1, 99, 100, 12_345, -1, -250, MAX_COUNT, -MAX_COUNT])("round-trips the count %i", (c) => {
    expect(parseSignedCount(formatCount(c))).toBe(c);
  });

  it.each([0, 1, -1, 999_999, 1_000_000, 123_456_789_012, MAX_MONEY, -MAX_MONEY])(
    "round-trips the money %i",
    (m) => {
      expect(parseMoney(formatMoney(m))).toBe(m);
    },
  );

  it("keeps Kalshi's canonical strings unchanged", () => {
    expect(formatPrice(parsePrice("0.5600"))).toBe("0.5600");
    expect(formatCount(parseCount("10.00"))).toBe("10.00");
    expect(formatMoney(parseMoney("-1.250000"))).toBe("-1.250000");
  });
});

describe("notional, centsToMoney, complement", () => {
  const NOTIONALS: ReadonlyArray<[string, string, string]> = [
    ["0.5600", "10.00", "5.600000"],
    ["0.0001", "0.01", "0.000001"], // smallest price x smallest count is one micro-dollar
    ["0.3333", "3.33", "1.109889"],
    ["0.9999", "100000000.00", "99990000.000000"], // the largest count at the largest tradable price
  ];
  it.each(NOTIONALS)("prices %s x %s contracts at exactly $%s", (price, count, money) => {
    const m = notional(parsePrice(price), parseCount(count));
    expect(Number.isSafeInteger(m)).toBe(true);
    expect(formatMoney(m)).toBe(money);
  });

  it("sums 0.1 + 0.2 dollars of notional exactly, unlike floats", () => {
    const m =
      notional(parsePrice("0.1000"), parseCount("1")) + notional(parsePrice("0.2000"), parseCount("1"));
    expect(m).toBe(parseMoney("0.3"));
  });

  it.each([
    [0, 0],
    [1, 10_000],
    [-125, -1_250_000],
    [100_000_000_000, MAX_MONEY],
  ])("converts %i cents to %i micro-dollars", (cents, micros) => {
    expect(centsToMoney(cents)).toBe(micros);
  });

  it.each([0.5, Number.NaN, 100_000_000_001, -100_000_000_001])("rejects %d cents", (cents) => {
    expect(() => centsToMoney(cents)).toThrow(FixedPointError);
  });

  it.each([
    [3000, 7000],
    [0, 10_000],
    [10_000, 0],
    [1, 9999],
  ])("complements %i to %i", (p, q) => {
    expect(complement(p)).toBe(q);
    expect(complement(complement(p))).toBe(p);
  });
});
