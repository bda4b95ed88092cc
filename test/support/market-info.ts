/**
 * A market the feed watches, as the universe job hands it over: active, open for hours, a
 * whole-cent grid, a quoted top, the standard quadratic fee. Shared by the market-data tests.
 */
import type { MarketInfo } from "../../shared/domain.ts";
import { parseTickGrid } from "../../shared/kalshi/tick-grid.ts";

export function watchedMarket(ticker: string, eventTicker = "FED-23DEC", seriesTicker = "FED"): MarketInfo {
  return {
    ticker,
    eventTicker,
    seriesTicker,
    status: "active",
    openTimeMs: 0,
    closeTimeMs: 10 * 3_600_000,
    grid: parseTickGrid([{ start: "0.0000", end: "1.0000", step: "0.0100" }]),
    exchangeIndex: 0,
    volume24h: 2_000_000,
    top: { yesBid: 9_000, yesBidSize: 100_000, noBid: 900, noBidSize: 5_000 },
    fee: { feeType: "quadratic", multiplierPpm: 1_000_000, waiverUntilMs: null },
    canCloseEarly: false,
    multivariate: false,
  };
}
