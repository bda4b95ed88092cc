/**
 * Tick grids: every published price_level_structure (Kalshi's fixed-point migration guide), on/off-grid checks,
 * snapping both ways at band edges, buy/sell snaps that never cross the limit, and the
 * validation of malformed price_ranges.
 */
import { describe, expect, it } from "vitest";
import {
  isOnGrid,
  nextTickAbove,
  nextTickBelow,
  PRICE_LEVEL_STRUCTURES,
  type PriceRange,
  parseTickGrid,
  priceRangesForStructure,
  safeParseTickGrid,
  snapForBuy,
  snapForSell,
  snapPrice,
  type TickGrid,
  TickGridError,
  tickSizeAt,
  tradablePrice,
} from "./tick-grid.ts";
import { parsePrice } from "./units.ts";

function gridOf(name: string): TickGrid {
  const ranges = priceRangesForStructure(name);
  if (ranges === null) throw new Error(`no ranges for ${name}`);
  return parseTickGrid(ranges);
}

/** Dollar string -> units, so the tables read like Kalshi prices. */
const $ = (s: string): number => parsePrice(s);

describe("parseTickGrid on Kalshi's published examples", () => {
  it("parses the price_level_structure_updated example from the AsyncAPI spec", () => {
    // Kalshi's AsyncAPI spec, market_lifecycle_v2 example "priceLevelStructureUpdated" (deci_cent)
    const grid = parseTickGrid([{ start: "0.0000", end: "1.0000", step: "0.0010" }]);
    expect(grid.bands).toEqual([{ start: 0, end: 10_000, step: 10 }]);
    expect(grid.min).toBe(0);
    expect(grid.max).toBe(10_000);
  });

  it("parses the tapered_deci_cent bands as the fixed-point migration guide lists them", () => {
    const grid = parseTickGrid([
      { start: "0.00", end: "0.10", step: "0.001" },
      { start: "0.10", end: "0.90", step: "0.01" },
      { start: "0.90", end: "1.00", step: "0.001" },
    ]);
    expect(grid.bands).toEqual([
      { start: 0, end: 1000, step: 10 },
      { start: 1000, end: 9000, step: 100 },
      { start: 9000, end: 10_000, step: 10 },
    ]);
  });

  it("sorts bands that arrive out of order", () => {
    const grid = parseTickGrid([
      { start: "0.9000", end: "1.0000", step: "0.0010" },
      { start: "0.0000", end: "0.1000", step: "0.0010" },
      { start: "0.1000", end: "0.9000", step: "0.0100" },
    ]);
    expect(grid.bands.map((b) => b.start)).toEqual([0, 1000, 9000]);
  });

  it("returns a frozen grid that callers cannot corrupt", () => {
    const grid = gridOf("linear_cent");
    expect(Object.isFrozen(grid)).toBe(true);
    expect(Object.isFrozen(grid.bands)).toBe(true);
    expect(Object.isFrozen(grid.bands[0])).toBe(true);
  });
});

describe("priceRangesForStructure", () => {
  it.each(PRICE_LEVEL_STRUCTURES)("%s parses into a grid covering $0 to $1", (name) => {
    const grid = gridOf(name);
    expect(grid.min).toBe(0);
    expect(grid.max).toBe(10_000);
  });

  it.each(PRICE_LEVEL_STRUCTURES)("%s accepts every whole-cent price from $0.01 to $0.99", (name) => {
    const grid = gridOf(name);
    for (let cents = 1; cents <= 99; cents++) {
      expect(tradablePrice(grid, cents * 100), `${name} ${cents}c`).toBe(true);
    }
  });

  // Expected step at a price in each region: [below the low edge, center, above the high edge].
  const STEPS: ReadonlyArray<[string, number, number, number]> = [
    ["linear_cent", 100, 100, 100],
    ["deci_cent", 10, 10, 10],
    ["tapered_deci_cent", 10, 100, 10],
    ["center_whole_edge_half_cent", 50, 100, 50],
    ["center_whole_edge_quint_cent", 20, 100, 20],
    ["center_half_edge_half_cent", 50, 50, 50],
    ["center_half_edge_quint_cent", 20, 50, 20],
    ["center_half_edge_deci_cent", 10, 50, 10],
    ["center_quint_edge_quint_cent", 20, 20, 20],
    ["center_quint_edge_deci_cent", 10, 20, 10],
    ["center_centi_edge_centi_cent", 1, 1, 1],
  ];
  it.each(STEPS)("%s ticks %i at $0.05, %i at $0.50 and %i at $0.95", (name, low, mid, high) => {
    const grid = gridOf(name);
    expect(tickSizeAt(grid, $("0.05"))).toBe(low);
    expect(tickSizeAt(grid, $("0.50"))).toBe(mid);
    expect(tickSizeAt(grid, $("0.95"))).toBe(high);
  });

  it("center_deci_edge_centi_cent ticks $0.0001 below $0.01 and above $0.99, $0.001 between", () => {
    const grid = gridOf("center_deci_edge_centi_cent");
    expect(grid.bands).toEqual([
      { start: 0, end: 100, step: 1 },
      { start: 100, end: 9900, step: 10 },
      { start: 9900, end: 10_000, step: 1 },
    ]);
    expect(isOnGrid(grid, $("0.0099"))).toBe(true);
    expect(isOnGrid(grid, $("0.0101"))).toBe(false);
    expect(isOnGrid(grid, $("0.0110"))).toBe(true);
    expect(isOnGrid(grid, $("0.9901"))).toBe(true);
    expect(isOnGrid(grid, $("0.9899"))).toBe(false);
  });

  it("puts the tapered edges at $0.10 and $0.90", () => {
    expect(priceRangesForStructure("tapered_deci_cent")).toEqual([
      { start: "0.0000", end: "0.1000", step: "0.0010" },
      { start: "0.1000", end: "0.9000", step: "0.0100" },
      { start: "0.9000", end: "1.0000", step: "0.0010" },
    ]);
  });

  it("returns null for names outside the published table", () => {
    expect(priceRangesForStructure("banded_centi_cent")).toBeNull();
    expect(priceRangesForStructure("")).toBeNull();
    expect(priceRangesForStructure("toString")).toBeNull();
    expect(priceRangesForStructure("LINEAR_CENT")).toBeNull();
  });
});

describe("isOnGrid and tradablePrice", () => {
  // [structure, price, on grid]
  const CASES: ReadonlyArray<[string, string, boolean]> = [
    ["linear_cent", "0.5600", true],
    ["linear_cent", "0.5650", false],
    ["linear_cent", "0.0010", false],
    ["deci_cent", "0.5610", true],
    ["deci_cent", "0.5615", false],
    ["tapered_deci_cent", "0.0990", true], // fine band just below the edge
    ["tapered_deci_cent", "0.1000", true], // the boundary is on both lattices
    ["tapered_deci_cent", "0.1010", false], // coarse band just above the edge
    ["tapered_deci_cent", "0.8990", false],
    ["tapered_deci_cent", "0.9000", true],
    ["tapered_deci_cent", "0.9010", true],
    ["tapered_deci_cent", "0.5500", true],
    ["tapered_deci_cent", "0.5550", false],
    ["center_whole_edge_half_cent", "0.0950", true],
    ["center_whole_edge_half_cent", "0.1050", false],
    ["center_whole_edge_quint_cent", "0.0020", true],
    ["center_whole_edge_quint_cent", "0.0030", false],
    ["center_half_edge_half_cent", "0.5050", true],
    ["center_half_edge_half_cent", "0.5020", false],
    ["center_half_edge_quint_cent", "0.9020", true],
    ["center_half_edge_quint_cent", "0.8020", false],
    ["center_half_edge_deci_cent", "0.0010", true],
    ["center_half_edge_deci_cent", "0.5010", false],
    ["center_quint_edge_quint_cent", "0.5020", true],
    ["center_quint_edge_quint_cent", "0.5010", false],
    ["center_quint_edge_deci_cent", "0.9990", true],
    ["center_quint_edge_deci_cent", "0.5030", false],
    ["center_centi_edge_centi_cent", "0.0001", true],
    ["center_centi_edge_centi_cent", "0.5678", true],
    ["center_centi_edge_centi_cent", "0.9999", true],
    ["center_deci_edge_centi_cent", "0.0001", true],
    ["center_deci_edge_centi_cent", "0.5001", false],
  ];
  it.each(CASES)("%s: %s on grid is %s", (name, price, expected) => {
    const grid = gridOf(name);
    expect(isOnGrid(grid, $(price))).toBe(expected);
    expect(tradablePrice(grid, $(price))).toBe(expected);
  });

  it("treats $0 and $1 as grid prices but never as tradable ones", () => {
    const grid = gridOf("linear_cent");
    expect(isOnGrid(grid, 0)).toBe(true);
    expect(isOnGrid(grid, 10_000)).toBe(true);
    expect(tradablePrice(grid, 0)).toBe(false);
    expect(tradablePrice(grid, 10_000)).toBe(false);
  });

  it("rejects non-integer, negative and above-$1 prices", () => {
    const grid = gridOf("center_centi_edge_centi_cent");
    for (const p of [0.5, -1, 10_001, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(isOnGrid(grid, p)).toBe(false);
      expect(tradablePrice(grid, p)).toBe(false);
    }
  });
});

describe("snapPrice", () => {
  // [structure, price, down, up]
  const CASES: ReadonlyArray<[string, string, string, string]> = [
    ["linear_cent", "0.5600", "0.5600", "0.5600"],
    ["linear_cent", "0.5601", "0.5600", "0.5700"],
    ["linear_cent", "0.5699", "0.5600", "0.5700"],
    ["linear_cent", "0.0001", "0.0000", "0.0100"],
    ["linear_cent", "0.9999", "0.9900", "1.0000"],
    ["tapered_deci_cent", "0.0995", "0.0990", "0.1000"], // fine band up to the boundary
    ["tapered_deci_cent", "0.1000", "0.1000", "0.1000"],
    ["tapered_deci_cent", "0.1001", "0.1000", "0.1100"], // coarse band from the boundary
    ["tapered_deci_cent", "0.1099", "0.1000", "0.1100"],
    ["tapered_deci_cent", "0.8999", "0.8900", "0.9000"], // coarse band up to the upper edge
    ["tapered_deci_cent", "0.9001", "0.9000", "0.9010"], // fine band above it
    ["tapered_deci_cent", "0.9995", "0.9990", "1.0000"],
    ["center_whole_edge_half_cent", "0.0999", "0.0950", "0.1000"],
    ["center_whole_edge_half_cent", "0.9049", "0.9000", "0.9050"],
    ["center_half_edge_quint_cent", "0.1030", "0.1000", "0.1050"],
    ["center_quint_edge_deci_cent", "0.5011", "0.5000", "0.5020"],
    ["center_deci_edge_centi_cent", "0.0099", "0.0099", "0.0099"],
    ["center_deci_edge_centi_cent", "0.0101", "0.0100", "0.0110"],
    ["center_deci_edge_centi_cent", "0.9899", "0.9890", "0.9900"],
    ["center_deci_edge_centi_cent", "0.9901", "0.9901", "0.9901"],
    ["center_centi_edge_centi_cent", "0.4321", "0.4321", "0.4321"],
  ];
  it.each(CASES)("%s snaps %s down to %s and up to %s", (name, price, down, up) => {
    const grid = gridOf(name);
    const down_ = snapPrice(grid, $(price), "down");
    const up_ = snapPrice(grid, $(price), "up");
    expect(down_).toBe($(down));
    expect(up_).toBe($(up));
    // Every snap lands on the grid and on the right side of the input.
    expect(isOnGrid(grid, down_ as number)).toBe(true);
    expect(isOnGrid(grid, up_ as number)).toBe(true);
  });

  it("returns the nearest grid price on the right side for every price of every structure", () => {
    for (const name of PRICE_LEVEL_STRUCTURES) {
      const grid = gridOf(name);
      const wrong: string[] = [];
      let below = 0;
      for (let p = 0; p <= 10_000; p++) {
        if (isOnGrid(grid, p)) below = p;
        if (snapPrice(grid, p, "down") !== below) wrong.push(`${name} down ${p}`);
      }
      let above = 10_000;
      for (let p = 10_000; p >= 0; p--) {
        if (isOnGrid(grid, p)) above = p;
        if (snapPrice(grid, p, "up") !== above) wrong.push(`${name} up ${p}`);
      }
      expect(wrong).toEqual([]);
    }
  });

  it("returns null outside a grid that does not span $0 to $1, and for invalid input", () => {
    const grid = parseTickGrid([{ start: "0.0500", end: "0.9500", step: "0.0100" }]);
    expect(snapPrice(grid, $("0.0400"), "down")).toBeNull();
    expect(snapPrice(grid, $("0.0400"), "up")).toBe($("0.0500"));
    expect(snapPrice(grid, $("0.9600"), "up")).toBeNull();
    expect(snapPrice(grid, $("0.9600"), "down")).toBe($("0.9500"));
    expect(snapPrice(grid, 12.5, "down")).toBeNull();
    expect(snapPrice(grid, -100, "up")).toBeNull();
    expect(snapPrice(grid, 10_100, "down")).toBeNull();
  });
});

describe("snapForBuy and snapForSell", () => {
  // [structure, limit, buy price, sell price]
  const CASES: ReadonlyArray<[string, string, string | null, string | null]> = [
    ["linear_cent", "0.5650", "0.5600", "0.5700"],
    ["linear_cent", "0.5600", "0.5600", "0.5600"],
    ["linear_cent", "0.0050", null, "0.0100"], // cannot buy below 1c on a cent grid
    ["linear_cent", "0.9950", "0.9900", null], // cannot sell above 99c on a cent grid
    ["linear_cent", "1.0000", "0.9900", null], // $1 is never a valid order price
    ["linear_cent", "0.0000", null, "0.0100"], // nor is $0
    ["tapered_deci_cent", "0.1005", "0.1000", "0.1100"],
    ["tapered_deci_cent", "0.0995", "0.0990", "0.1000"],
    ["tapered_deci_cent", "0.0005", null, "0.0010"],
    ["tapered_deci_cent", "0.9995", "0.9990", null],
    ["center_centi_edge_centi_cent", "0.0001", "0.0001", "0.0001"],
    ["center_centi_edge_centi_cent", "0.9999", "0.9999", "0.9999"],
    ["center_centi_edge_centi_cent", "1.0000", "0.9999", null],
    ["center_centi_edge_centi_cent", "0.0000", null, "0.0001"],
  ];
  it.each(CASES)("%s with limit %s buys at %s and sells at %s", (name, limit, buy, sell) => {
    const grid = gridOf(name);
    expect(snapForBuy(grid, $(limit))).toBe(buy === null ? null : $(buy));
    expect(snapForSell(grid, $(limit))).toBe(sell === null ? null : $(sell));
  });

  it("never pays more than the limit nor sells for less, and always returns a tradable price", () => {
    for (const name of PRICE_LEVEL_STRUCTURES) {
      const grid = gridOf(name);
      // Only the first tick above $0 (below $1) may have no tradable price on its side.
      const lowStep = tickSizeAt(grid, 0) ?? 0;
      const highStep = tickSizeAt(grid, 10_000) ?? 0;
      const wrong: string[] = [];
      for (let p = 0; p <= 10_000; p++) {
        const buy = snapForBuy(grid, p);
        if (buy !== null && (buy > p || !tradablePrice(grid, buy))) wrong.push(`${name} buy ${p} -> ${buy}`);
        if (buy === null && p > lowStep) wrong.push(`${name} buy ${p} -> null`);
        const sell = snapForSell(grid, p);
        if (sell !== null && (sell < p || !tradablePrice(grid, sell)))
          wrong.push(`${name} sell ${p} -> ${sell}`);
        if (sell === null && p < 10_000 - highStep) {
          wrong.push(`${name} sell ${p} -> null`);
        }
      }
      expect(wrong).toEqual([]);
    }
  });

  it("returns null for prices that are not integers in [0, 10 000]", () => {
    const grid = gridOf("deci_cent");
    expect(snapForBuy(grid, 5600.5)).toBeNull();
    expect(snapForSell(grid, 5600.5)).toBeNull();
    expect(snapForBuy(grid, 20_000)).toBeNull();
    expect(snapForSell(grid, -5)).toBeNull();
  });
});

describe("nextTickAbove and nextTickBelow", () => {
  // [structure, price, above, below]
  const CASES: ReadonlyArray<[string, string, string | null, string | null]> = [
    ["linear_cent", "0.5600", "0.5700", "0.5500"],
    ["linear_cent", "0.5650", "0.5700", "0.5600"], // off-grid input
    ["linear_cent", "0.0000", "0.0100", null],
    ["linear_cent", "1.0000", null, "0.9900"],
    ["tapered_deci_cent", "0.1000", "0.1100", "0.0990"], // the boundary steps by its neighbour band
    ["tapered_deci_cent", "0.0990", "0.1000", "0.0980"],
    ["tapered_deci_cent", "0.9000", "0.9010", "0.8900"],
    ["tapered_deci_cent", "0.8900", "0.9000", "0.8800"],
    ["center_deci_edge_centi_cent", "0.0100", "0.0110", "0.0099"],
    ["center_deci_edge_centi_cent", "0.9900", "0.9901", "0.9890"],
    ["center_centi_edge_centi_cent", "0.5000", "0.5001", "0.4999"],
    ["center_centi_edge_centi_cent", "0.9999", "1.0000", "0.9998"],
  ];
  it.each(CASES)("%s: after %s comes %s, before it %s", (name, price, above, below) => {
    const grid = gridOf(name);
    expect(nextTickAbove(grid, $(price))).toBe(above === null ? null : $(above));
    expect(nextTickBelow(grid, $(price))).toBe(below === null ? null : $(below));
  });

  it("walks every grid price of tapered_deci_cent in order, up and down", () => {
    const grid = gridOf("tapered_deci_cent");
    const up: number[] = [0];
    for (let p = nextTickAbove(grid, 0); p !== null; p = nextTickAbove(grid, p)) up.push(p);
    const down: number[] = [10_000];
    for (let p = nextTickBelow(grid, 10_000); p !== null; p = nextTickBelow(grid, p)) down.push(p);
    // 100 fine ticks to $0.10, 80 coarse to $0.90, 100 fine to $1, plus $0.
    expect(up).toHaveLength(281);
    expect(down.reverse()).toEqual(up);
    expect(up.every((p) => isOnGrid(grid, p))).toBe(true);
  });
});

describe("parseTickGrid rejects invalid price_ranges", () => {
  const band = (start: string, end: string, step: string): PriceRange => ({ start, end, step });
  // [what, ranges, message fragment]
  const CASES: ReadonlyArray<[string, readonly PriceRange[], string]> = [
    ["an empty list", [], "empty"],
    ["a zero step", [band("0.0000", "1.0000", "0.0000")], "step is zero"],
    ["an empty band", [band("0.5000", "0.5000", "0.0100")], "empty band"],
    ["a reversed band", [band("0.9000", "0.1000", "0.0100")], "empty band"],
    ["a step that does not divide the band", [band("0.0000", "1.0000", "0.0300")], "does not divide"],
    ["a step wider than the band", [band("0.0000", "0.0100", "0.0200")], "does not divide"],
    ["an end above $1", [band("0.0000", "1.0100", "0.0100")], "price_ranges[0].end"],
    ["a negative start", [band("-0.0100", "1.0000", "0.0100")], "price_ranges[0].start"],
    ["a step finer than $0.0001", [band("0.0000", "1.0000", "0.00001")], "price_ranges[0].step"],
    ["a bound in exponent form", [band("0", "1e0", "0.01")], "price_ranges[0].end"],
    ["a bound with spaces", [band(" 0.00", "1.00", "0.01")], "price_ranges[0].start"],
    [
      "overlapping bands",
      [band("0.0000", "0.2000", "0.0010"), band("0.1000", "1.0000", "0.0100")],
      "overlap",
    ],
    ["a gap between bands", [band("0.0000", "0.1000", "0.0010"), band("0.2000", "1.0000", "0.0100")], "gap"],
    [
      "a duplicated band",
      [band("0.0000", "1.0000", "0.0100"), band("0.0000", "1.0000", "0.0100")],
      "overlap",
    ],
  ];
  it.each(CASES)("rejects %s", (_what, ranges, fragment) => {
    expect(() => parseTickGrid(ranges)).toThrow(TickGridError);
    expect(() => parseTickGrid(ranges)).toThrow(fragment);
    const r = safeParseTickGrid(ranges);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });

  it("rejects input that is not an array of objects with string fields", () => {
    const bad: unknown[] = [
      null,
      "0.01",
      {},
      [null],
      [[]],
      [{ start: 0, end: 1, step: 0.01 }],
      [{ start: "0.00", end: "1.00" }],
    ];
    for (const input of bad) {
      expect(() => parseTickGrid(input as readonly PriceRange[]), JSON.stringify(input)).toThrow(
        TickGridError,
      );
    }
  });

  it("names the offending entry and value in the message", () => {
    expect(() =>
      parseTickGrid([band("0.0000", "0.1000", "0.0010"), band("0.1000", "0.9000", "0.0300")]),
    ).toThrow("price_ranges[1]: step 0.0300 does not divide the band 0.1000-0.9000");
  });

  it("accepts a band whose start is not a multiple of its step, measuring ticks from the start", () => {
    const grid = parseTickGrid([band("0.0005", "0.0105", "0.0010")]);
    expect(isOnGrid(grid, $("0.0015"))).toBe(true);
    expect(isOnGrid(grid, $("0.0010"))).toBe(false);
    expect(snapPrice(grid, $("0.0020"), "down")).toBe($("0.0015"));
  });
});
