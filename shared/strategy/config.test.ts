/**
 * The strategy configuration: the defaults are the seed bot's numbers, partial documents fill
 * in the rest, and bad documents fail with an error naming the field.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_STRATEGY_CONFIG, StrategyConfig } from "./config.ts";

describe("defaults", () => {
  it("are the seed bot's rules", () => {
    expect(DEFAULT_STRATEGY_CONFIG).toEqual({
      entry: {
        favouriteFloor: 8_500,
        minBestBidMoney: 500_000_000,
        minVolume24hMoney: 10_000_000_000,
        maxSpread: 200,
        allowMultivariate: false,
        entrySlippage: 0,
      },
      exits: {
        mode: "points",
        takeProfitPoints: 200,
        stopPoints: 100,
        takeProfitPct: 2,
        stopPct: 1,
        maxTakeProfitPrice: 9_900,
        holdTimeoutMs: 7_200_000,
        preCloseWindowMs: 3_600_000,
      },
      exitOrders: { initialSlippage: 0, slippageStep: 100, maxSlippage: 500, maxAttempts: 5 },
      sizing: { riskPerTradePct: 1, wholeContracts: true, minCount: 100 },
      edge: {
        minConfidence: 0.5,
        minEvPerContract: 0,
        pWinAtZero: 1 / 3,
        pWinAtOne: 0.9,
        weights: { imbalance: 0.35, spread: 0.2, depth: 0.15, volume: 0.1, favourite: 0.1, timeToClose: 0.1 },
        depthFullMoney: 2_000_000_000,
        volumeFullMoney: 50_000_000_000,
        expectedStopSlippage: 0,
      },
      fees: { flatFeePerContract: null, takeProfitRole: "maker" },
    });
  });

  it("fills in what a partial document leaves out", () => {
    const c = StrategyConfig.parse({ exits: { stopPoints: 150 }, edge: { weights: { imbalance: 1 } } });
    expect(c.exits.stopPoints).toBe(150);
    expect(c.exits.takeProfitPoints).toBe(200);
    expect(c.edge.weights).toMatchObject({ imbalance: 1, spread: 0.2 });
    expect(c.entry).toEqual(DEFAULT_STRATEGY_CONFIG.entry);
  });
});

describe("bad documents", () => {
  // [case, document, the path the error names]
  const BAD: [string, unknown, string][] = [
    ["a fractional price", { entry: { favouriteFloor: 8_500.5 } }, "entry.favouriteFloor"],
    ["a price above $1", { exits: { maxTakeProfitPrice: 10_001 } }, "exits.maxTakeProfitPrice"],
    ["a zero stop", { exits: { stopPoints: 0 } }, "exits.stopPoints"],
    ["an unknown mode", { exits: { mode: "percent" } }, "exits.mode"],
    ["a misspelt field", { entry: { favoriteFloor: 9_000 } }, "entry"],
    ["p(win) above 1", { edge: { pWinAtOne: 1.2 } }, "edge.pWinAtOne"],
    ["p(win) falling with confidence", { edge: { pWinAtZero: 0.6, pWinAtOne: 0.5 } }, "edge.pWinAtOne"],
    [
      "all weights zero",
      { edge: { weights: { imbalance: 0, spread: 0, depth: 0, volume: 0, favourite: 0, timeToClose: 0 } } },
      "edge.weights",
    ],
    ["a floor at the take-profit cap", { entry: { favouriteFloor: 9_900 } }, "entry.favouriteFloor"],
    [
      "a first exit deeper than the widest",
      { exitOrders: { initialSlippage: 600 } },
      "exitOrders.initialSlippage",
    ],
    ["a negative flat fee", { fees: { flatFeePerContract: -1 } }, "fees.flatFeePerContract"],
    ["zero risk per trade", { sizing: { riskPerTradePct: 0 } }, "sizing.riskPerTradePct"],
  ];
  it.each(BAD)("rejects %s, naming the field", (_case, doc, path) => {
    const r = StrategyConfig.safeParse(doc);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues.map((i) => i.path.join("."))).toContain(path);
  });
});
