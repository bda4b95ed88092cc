/**
 * The risk configuration: the defaults are the seed bot's limits, and bad documents (a price
 * band reaching $0 or $1, a position limit above the total, an unknown time zone, a misspelt
 * field) fail with an error naming the field.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_RISK_CONFIG, RiskConfig } from "./config.ts";

describe("defaults", () => {
  it("are the seed bot's limits and breakers", () => {
    expect(DEFAULT_RISK_CONFIG).toEqual({
      priceBand: { min: 100, max: 9_900 },
      maxOrderCount: 1_000_000,
      maxEntrySlippage: 0,
      exposure: { maxPositionPct: 10, maxTotalExposurePct: 30, maxOpenPositions: 10 },
      breakers: {
        dailyLossPct: 5,
        consecutiveLosses: 5,
        apiErrorRate: { threshold: 0.1, windowMs: 300_000, minRequests: 20 },
        feedLossMs: 15_000,
        actions: { dailyLoss: "halted", consecutiveLosses: "reducing", apiErrorRate: "reducing" },
        dailyLossClearsAtDayStart: false,
      },
      tradingDayTimeZone: "America/New_York",
    });
  });
});

describe("bad documents", () => {
  // [case, document, the path the error names]
  const BAD: [string, unknown, string][] = [
    ["a band reaching $0", { priceBand: { min: 0 } }, "priceBand"],
    ["a band reaching $1", { priceBand: { max: 10_000 } }, "priceBand"],
    ["an inverted band", { priceBand: { min: 5_000, max: 4_000 } }, "priceBand"],
    ["a position limit above the total", { exposure: { maxPositionPct: 40 } }, "exposure.maxPositionPct"],
    ["an unknown time zone", { tradingDayTimeZone: "Mars/Olympus_Mons" }, "tradingDayTimeZone"],
    [
      "an error rate above 1",
      { breakers: { apiErrorRate: { threshold: 1.5 } } },
      "breakers.apiErrorRate.threshold",
    ],
    [
      "a breaker setting active",
      { breakers: { actions: { dailyLoss: "active" } } },
      "breakers.actions.dailyLoss",
    ],
    ["a misspelt field", { breakers: { dailyLossPercent: 3 } }, "breakers"],
    ["zero losses in a row", { breakers: { consecutiveLosses: 0 } }, "breakers.consecutiveLosses"],
  ];
  it.each(BAD)("rejects %s, naming the field", (_case, doc, path) => {
    const r = RiskConfig.safeParse(doc);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues.map((i) => i.path.join("."))).toContain(path);
  });
});
