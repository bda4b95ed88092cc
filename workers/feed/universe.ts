/**
 * The market universe filter, pure: which markets the feed subscribes to. Applies the
 * seed's entry filters (favourite side priced >= 0.85, $500 at the best bid, $10 000 of
 * 24 h volume, spread <= 2 c, room for the +2 c target at or below 0.99, open and not
 * closing within the exit window) to markets loaded over REST, optionally overriding the
 * REST quotes with live book tops. Called by the feed object on every universe refresh.
 */

import type { CountUnits, PriceUnits } from "../../shared/kalshi/units.ts";
import { complement, notional } from "../../shared/kalshi/units.ts";
import type { UniverseConfig } from "./feed-config.ts";

/** Top of the two bids-only ladders: YES bid on the YES leg, NO bid on the NO leg. */
export interface TopOfBook {
  yesBid: PriceUnits | null;
  yesBidSize: CountUnits;
  noBid: PriceUnits | null;
  noBidSize: CountUnits;
}

export interface PriceRangeUnits {
  start: PriceUnits;
  end: PriceUnits;
  step: PriceUnits;
}

/** The domain view of a Kalshi market the universe needs (converted from the wire `Market`). */
export interface MarketInfo {
  ticker: string;
  eventTicker: string;
  seriesTicker: string;
  /** response status: initialized, active, inactive, closed, determined, ... */
  status: string;
  closeTimeMs: number;
  top: TopOfBook;
  volume24h: CountUnits;
  priceLevelStructure: string;
  priceRanges: PriceRangeUnits[];
  exchangeIndex: number;
  /** The series' fee parameters when REST gave them (`GET /series/{series_ticker}`). */
  fee?: { feeType: string; feeMultiplier: number };
}

export type FavouriteSide = "yes" | "no";

export interface UniverseEntry {
  ticker: string;
  side: FavouriteSide;
  bid: PriceUnits;
  ask: PriceUnits;
}

export interface UniverseResult {
  selected: UniverseEntry[];
  rejected: { ticker: string; reason: string }[];
}

/** The favourite side with its bid, ask and bid depth; null when a ladder is empty. */
export function favourite(
  top: TopOfBook,
): { side: FavouriteSide; bid: PriceUnits; ask: PriceUnits; size: CountUnits } | null {
  if (top.yesBid === null || top.noBid === null) return null;
  // YES ask = 1 - best NO bid, NO ask = 1 - best YES bid.
  if (top.yesBid >= top.noBid) {
    return { side: "yes", bid: top.yesBid, ask: complement(top.noBid), size: top.yesBidSize };
  }
  return { side: "no", bid: top.noBid, ask: complement(top.yesBid), size: top.noBidSize };
}

/** Returns null when the market passes, else the first failed filter. */
export function rejectReason(m: MarketInfo, top: TopOfBook, c: UniverseConfig, nowMs: number): string | null {
  if (m.status !== "active") return `status ${m.status}`;
  if (m.closeTimeMs - nowMs <= c.exitWindowMs) return "closes within the exit window";
  const fav = favourite(top);
  if (fav === null) return "one side of the book is empty";
  if (fav.bid < c.minFavouritePrice) return "favourite priced below the floor";
  if (notional(fav.bid, fav.size) < c.minBestBidDepth) return "too little resting at the best bid";
  if (notional(fav.bid, m.volume24h) < c.minVolume24h) return "24 h volume too low";
  if (fav.ask - fav.bid > c.maxSpread) return "spread too wide";
  if (fav.ask + c.targetOffset > c.maxTargetPrice) return "no room for the target";
  return null;
}

/**
 * Filters and ranks markets (highest 24 h volume first, then ticker), capped at
 * `maxMarkets`. `books` supplies live tops where the feed already holds a fresh book.
 */
export function selectUniverse(
  markets: readonly MarketInfo[],
  books: ((ticker: string) => TopOfBook | undefined) | undefined,
  config: UniverseConfig,
  nowMs: number,
): UniverseResult {
  const passed: { m: MarketInfo; e: UniverseEntry }[] = [];
  const rejected: { ticker: string; reason: string }[] = [];
  for (const m of markets) {
    const top = books?.(m.ticker) ?? m.top;
    const reason = rejectReason(m, top, config, nowMs);
    if (reason !== null) {
      rejected.push({ ticker: m.ticker, reason });
      continue;
    }
    const fav = favourite(top);
    if (fav) passed.push({ m, e: { ticker: m.ticker, side: fav.side, bid: fav.bid, ask: fav.ask } });
  }
  passed.sort((a, b) => b.m.volume24h - a.m.volume24h || (a.m.ticker < b.m.ticker ? -1 : 1));
  for (const p of passed.slice(config.maxMarkets))
    rejected.push({ ticker: p.m.ticker, reason: "over maxMarkets" });
  return { selected: passed.slice(0, config.maxMarkets).map((p) => p.e), rejected };
}
