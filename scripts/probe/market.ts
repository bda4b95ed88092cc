/**
 * Which market the order checks use, pure. An order check must rest far from the market and be
 * cancelled at once, so the market must be active, on the default shard (collateral lives per
 * shard), open for a while yet, not a combo, and have a tick grid; a bid at its lowest tradable
 * price must sit below the best ask. Markets with an ask are preferred (the post-only check needs
 * one to cross), then the quietest (fewest contracts traded in 24 h), so the quiet-subscription
 * check sees few frames. Called by `context.ts` with one page of `GET /markets`.
 */
import type { Market } from "../../shared/kalshi/rest-schemas.ts";
import { Market as MarketSchema } from "../../shared/kalshi/rest-schemas.ts";
import type { TickGrid } from "../../shared/kalshi/tick-grid.ts";
import { safeParseTickGrid, snapForBuy, snapForSell } from "../../shared/kalshi/tick-grid.ts";
import type { PriceUnits } from "../../shared/kalshi/units.ts";
import {
  COUNT_DECIMALS,
  fixedOrNaN,
  MAX_COUNT,
  PRICE_DECIMALS,
  PRICE_SCALE,
} from "../../shared/kalshi/units.ts";

/** A market must stay open at least this long after the probe picks it. */
export const MIN_TIME_TO_CLOSE_MS = 60 * 60_000;

/** Asks at least this far above the resting bid make a market "far from the market" for the probe. */
export const FAR_FROM_MARKET = 500; // $0.05

export interface Candidate {
  market: Market;
  grid: TickGrid;
  restingBid: PriceUnits;
  topPrice: PriceUnits;
  /** best YES ask as the market listing shows it; null when there is none */
  listedAsk: PriceUnits | null;
  /** false only when the market says so (`fractional_trading_enabled: false`) */
  fractional: boolean;
}

function priceOrNull(s: string | undefined): PriceUnits | null {
  if (s === undefined) return null;
  const p = fixedOrNaN(s, PRICE_DECIMALS, false, PRICE_SCALE);
  return Number.isNaN(p) || p <= 0 || p >= PRICE_SCALE ? null : p;
}

function countOf(s: string | undefined): number {
  if (s === undefined) return 0;
  const c = fixedOrNaN(s, COUNT_DECIMALS, false, MAX_COUNT);
  return Number.isNaN(c) ? 0 : c;
}

/** Candidates from one raw `GET /markets` page, best first; markets that do not fit are left out. */
export function rankCandidates(rawMarkets: readonly unknown[], nowMs: number): Candidate[] {
  const out: (Candidate & { tier: number; volume: number })[] = [];
  for (const raw of rawMarkets) {
    const parsed = MarketSchema.safeParse(raw);
    if (!parsed.success) continue;
    const m = parsed.data;
    if (m.status !== "active") continue;
    if ((m.exchange_index ?? 0) !== 0) continue;
    if (m.mve_collection_ticker) continue;
    const closeMs = Date.parse(m.close_time);
    if (!(closeMs - nowMs >= MIN_TIME_TO_CLOSE_MS)) continue;
    const grid = safeParseTickGrid(m.price_ranges);
    if (!grid.ok) continue;
    const restingBid = snapForSell(grid.grid, 1);
    const topPrice = snapForBuy(grid.grid, PRICE_SCALE - 1);
    if (restingBid === null || topPrice === null || restingBid >= topPrice) continue;
    const listedAsk = priceOrNull(m.yes_ask_dollars);
    if (listedAsk !== null && listedAsk <= restingBid) continue;
    const tier = listedAsk === null ? 2 : listedAsk - restingBid >= FAR_FROM_MARKET ? 0 : 1;
    const flag = (raw as { fractional_trading_enabled?: unknown }).fractional_trading_enabled;
    out.push({
      market: m,
      grid: grid.grid,
      restingBid,
      topPrice,
      listedAsk,
      fractional: flag !== false,
      tier,
      volume: countOf(m.volume_24h_fp ?? m.volume_fp),
    });
  }
  out.sort(
    (a, b) => a.tier - b.tier || a.volume - b.volume || a.market.ticker.localeCompare(b.market.ticker),
  );
  return out.map(({ tier: _t, volume: _v, ...c }) => c);
}

/** Best YES bid and best YES ask (1 - best NO bid) of a REST order book; null for an empty side. */
export function bookTop(book: {
  yes_dollars: readonly (readonly [string, string])[];
  no_dollars: readonly (readonly [string, string])[];
}): {
  bestBid: PriceUnits | null;
  bestAsk: PriceUnits | null;
} {
  const best = (levels: readonly (readonly [string, string])[]): PriceUnits | null => {
    let top: PriceUnits | null = null;
    // Kalshi's docs disagree on the order of levels: take the highest price with a positive size.
    for (const [p, c] of levels) {
      const price = priceOrNull(p);
      if (price === null || countOf(c) <= 0) continue;
      if (top === null || price > top) top = price;
    }
    return top;
  };
  const noBid = best(book.no_dollars);
  return { bestBid: best(book.yes_dollars), bestAsk: noBid === null ? null : PRICE_SCALE - noBid };
}
