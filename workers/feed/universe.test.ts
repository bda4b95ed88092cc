/**
 * Node tests of the universe pre-filter (`universe.ts`): which markets the feed watches. Each rule
 * just inside and just outside its boundary, the ranking and cap, and the markets kept whatever
 * their quotes because the account holds a position or an order there.
 */
import { describe, expect, it } from "vitest";
import type { MarketInfo } from "../../shared/domain.ts";
import { parseTickGrid } from "../../shared/kalshi/tick-grid.ts";
import { DEFAULT_FEED_CONFIG } from "./feed-config.ts";
import { favourite, selectUniverse } from "./universe.ts";

const GRID = parseTickGrid([{ start: "0.0000", end: "1.0000", step: "0.0100" }]);

function market(over: Partial<MarketInfo> = {}): MarketInfo {
  return {
    ticker: "FED-23DEC-T3.00",
    eventTicker: "FED-23DEC",
    seriesTicker: "",
    status: "active",
    openTimeMs: 0,
    closeTimeMs: 10 * 3_600_000,
    grid: GRID,
    exchangeIndex: 0,
    // YES bid 0.90, NO bid 0.09 -> YES ask 0.91
    top: { yesBid: 9_000, yesBidSize: 100_000, noBid: 900, noBidSize: 5_000 },
    volume24h: 2_000_000, // 20 000 contracts x 0.90 = $18 000
    fee: null,
    canCloseEarly: false,
    multivariate: false,
    ...over,
  };
}

describe("favourite", () => {
  it("is the side with the higher bid, priced on its own leg", () => {
    expect(favourite(market().top)).toEqual({ side: "yes", bid: 9_000, ask: 9_100 });
    expect(favourite({ yesBid: 900, yesBidSize: 1, noBid: 9_000, noBidSize: 1 })).toEqual({
      side: "no",
      bid: 9_000,
      ask: 9_100,
    });
  });
  it("is none when a ladder is empty", () => {
    expect(favourite({ yesBid: 9_000, yesBidSize: 1, noBid: null, noBidSize: 0 })).toBeNull();
  });
});

describe("selectUniverse", () => {
  const c = DEFAULT_FEED_CONFIG.universe;
  it("watches a liquid favourite priced 0.90", () => {
    expect(selectUniverse([market()], c, 0).selected).toEqual(["FED-23DEC-T3.00"]);
  });
  it.each<[string, Partial<MarketInfo>, string]>([
    ["an inactive market", { status: "inactive" }, "status inactive"],
    ["a multivariate market", { multivariate: true }, "multivariate market"],
    ["a market closing within the hour", { closeTimeMs: 3_600_000 }, "closes too soon"],
    [
      "a favourite under 0.80",
      { top: { yesBid: 7_999, yesBidSize: 100_000, noBid: 1_900, noBidSize: 100 } },
      "favourite priced below the watch floor",
    ],
    ["$4 999.20 of 24 h volume", { volume24h: 555_467 }, "24 h volume too low"],
    [
      "an empty side",
      { top: { yesBid: 9_000, yesBidSize: 100_000, noBid: null, noBidSize: 0 } },
      "one side of the book is empty",
    ],
  ])("leaves out %s", (_name, over, reason) => {
    const r = selectUniverse([market(over)], c, 0);
    expect(r.selected).toEqual([]);
    expect(r.rejected[0]?.reason).toBe(reason);
  });
  it("watches a favourite at exactly 0.80 with exactly $5 000 of volume, closing just after the window", () => {
    // 0.80 x 6 250 contracts = $5 000
    const m = market({
      top: { yesBid: 8_000, yesBidSize: 100_000, noBid: 1_900, noBidSize: 100 },
      volume24h: 625_000,
      closeTimeMs: 3_600_001,
    });
    expect(selectUniverse([m], c, 0).selected).toHaveLength(1);
  });
  it("keeps the highest-volume markets when over maxMarkets", () => {
    const ms = [market({ ticker: "A", volume24h: 2_000_000 }), market({ ticker: "B", volume24h: 3_000_000 })];
    const r = selectUniverse(ms, { ...c, maxMarkets: 1 }, 0);
    expect(r.selected).toEqual(["B"]);
    expect(r.rejected).toEqual([{ ticker: "A", reason: "over maxMarkets" }]);
  });
  it("always keeps markets the account holds, beyond the cap and whatever their quotes", () => {
    const ms = [market({ ticker: "A" }), market({ ticker: "HELD", status: "inactive" })];
    const r = selectUniverse(ms, { ...c, maxMarkets: 1 }, 0, new Set(["HELD"]));
    expect(r.selected).toEqual(["A", "HELD"]);
    expect(r.rejected).toEqual([]);
  });
});
