/**
 * Node tests of the email formatting (`format.ts`): money exactly from micro-dollars, exact
 * percentages, prices, counts and HTML escaping.
 */
import { describe, expect, it } from "vitest";
import {
  escapeHtml,
  formatContracts,
  formatFigure,
  formatPercent,
  formatPriceUsd,
  formatTenthsPct,
  formatUsd,
  oneLine,
  percentTenths,
} from "./format.ts";

describe("formatUsd", () => {
  it.each([
    [0, "$0.00"],
    [1_234_560_000, "$1,234.56"],
    [-1_234_560_000, "-$1,234.56"],
    [4_999, "$0.00"], // just under half a cent
    [5_000, "$0.01"], // half a cent rounds away from zero
    [-5_000, "-$0.01"],
    [-4_999, "$0.00"], // never "-$0.00"
    [1_005_000, "$1.01"], // 1.005 is not 1.00499999... here
    [100_000_000, "$100.00"],
    [999_999_995_000, "$1,000,000.00"],
    [1_000_000_000_000_000, "$1,000,000,000.00"],
    [-7, "$0.00"],
  ])("formats %i micro-dollars as %s", (micros, want) => {
    expect(formatUsd(micros)).toBe(want);
  });

  it("refuses a value that is not an integer", () => {
    expect(() => formatUsd(0.5)).toThrow(RangeError);
  });
});

describe("percentages", () => {
  it.each([
    [1, 3, "33.3%"],
    [2, 3, "66.7%"],
    [1, 2000, "0.1%"], // 0.05% rounds up
    [1, 2001, "0.0%"],
    [-1, 2000, "-0.1%"],
    [0, 7, "0.0%"],
    [5, 5, "100.0%"],
    [12_340_000, 1_000_000_000, "1.2%"],
    [1, 0, "n/a"],
  ])("%i / %i is %s", (n, d, want) => {
    expect(formatPercent(n, d)).toBe(want);
  });

  it("stays exact where a float product would pass 2^53", () => {
    // 999 999 999 999 999 * 1000 is past 2^53; the tenths must still be exact.
    expect(percentTenths(999_999_999_999_999, 1_000_000_000_000_000)).toBe(1000);
    expect(percentTenths(999_499_999_999_999, 1_000_000_000_000_000)).toBe(999);
  });

  it("formats tenths below one percent with a leading zero", () => {
    expect(formatTenthsPct(-5)).toBe("-0.5%");
    expect(formatTenthsPct(null)).toBe("n/a");
  });
});

describe("prices and counts", () => {
  it.each([
    [5600, "$0.56"],
    [5625, "$0.5625"],
    [5620, "$0.562"],
    [10_000, "$1.00"],
    [1, "$0.0001"],
  ])("formats price %i as %s", (p, want) => {
    expect(formatPriceUsd(p)).toBe(want);
  });

  it.each([
    [1000, "10"],
    [1050, "10.50"],
    [1_234_500, "12,345"],
    [1, "0.01"],
  ])("formats count %i as %s contracts", (c, want) => {
    expect(formatContracts(c)).toBe(want);
  });
});

describe("formatFigure", () => {
  it.each([
    ["dayPnlMicros", -51_000_000, ["dayPnl", "-$51.00"]],
    ["losses", 3, ["losses", "3"]],
    ["Micros", 5, ["Micros", "5"]],
    ["ratio", 0.25, ["ratio", "0.25"]],
  ])("shows %s = %d as %j", (key, value, want) => {
    expect(formatFigure(key, value)).toEqual(want);
  });
});

describe("escaping", () => {
  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });

  it("flattens control characters so a value cannot add lines to a subject", () => {
    expect(oneLine("KX\r\nBcc: x@example.com")).toBe("KX Bcc: x@example.com");
  });

  it("bounds a long line", () => {
    expect(oneLine("x".repeat(500), 10)).toBe("xxxxxxx...");
  });
});
