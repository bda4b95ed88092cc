/**
 * Node tests of the REST cross-check's sample draw and top-of-book comparison (`cross-check.ts`).
 */
import { describe, expect, it } from "vitest";
import type { TopOfBook } from "../../shared/domain.ts";
import { takeRandom, topsMatch } from "./cross-check.ts";

const TOP: TopOfBook = { yesBid: 40, yesBidSize: 10, noBid: 55, noBidSize: 5 };

describe("takeRandom", () => {
  it("removes and returns the element the random number points at", () => {
    const pool = ["A", "B", "C", "D"];
    expect(takeRandom(pool, 0.5)).toBe("C");
    expect(pool).toEqual(["A", "B", "D"]);
    expect(takeRandom(pool, 0)).toBe("A");
    expect(takeRandom(pool, 0.999)).toBe("D");
    expect(pool).toEqual(["B"]);
  });

  it("returns nothing from an empty pool", () => {
    expect(takeRandom([], 0.3)).toBeUndefined();
  });
});

describe("topsMatch", () => {
  it("matches identical tops, empty sides included", () => {
    expect(topsMatch(TOP, { ...TOP })).toBe(true);
    const empty: TopOfBook = { yesBid: null, yesBidSize: 0, noBid: null, noBidSize: 0 };
    expect(topsMatch(empty, { ...empty })).toBe(true);
  });

  it.each([
    ["yes bid", { yesBid: 41 }],
    ["yes bid size", { yesBidSize: 11 }],
    ["no bid", { noBid: null }],
    ["no bid size", { noBidSize: 6 }],
  ])("reports a mismatch when the %s differs", (_field, over) => {
    expect(topsMatch(TOP, { ...TOP, ...over })).toBe(false);
  });
});
