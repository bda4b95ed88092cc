/**
 * The market universe, pure: which markets the feed subscribes to. A coarse pre-filter on the
 * REST quotes of every open market (status, time to close, a favourite side near the strategy's
 * floor, enough 24 h volume), ranked by volume and capped; the strategy applies its exact entry
 * criteria to the live books of the markets kept here. Markets the account holds a position or a
 * working order in are always kept, whatever their quotes: their exits need a live book.
 * Called by the account object's universe job after each REST refresh.
 */

import type { MarketInfo, Side, TopOfBook } from "../../shared/domain.ts";
import type { PriceUnits } from "../../shared/kalshi/units.ts";
import { complement, notional } from "../../shared/kalshi/units.ts";
import type { UniverseConfig } from "./feed-config.ts";

export interface UniverseEntry {
  ticker: string;
  side: Side;
  bid: PriceUnits;
  ask: PriceUnits;
}

export interface UniverseResult {
  /** watched: selected by the filter, then the must-keep markets */
  selected: string[];
  rejected: { ticker: string; reason: string }[];
}

/** The favourite side with its bid and ask on its own leg; null when a ladder is empty. */
export function favourite(top: TopOfBook): { side: Side; bid: PriceUnits; ask: PriceUnits } | null {
  if (top.yesBid === null || top.noBid === null) return null;
  // YES ask = 1 - best NO bid, NO ask = 1 - best YES bid.
  if (top.yesBid >= top.noBid) return { side: "yes", bid: top.yesBid, ask: complement(top.noBid) };
  return { side: "no", bid: top.noBid, ask: complement(top.yesBid) };
}

/** Returns null when the market passes the pre-filter, else the first failed rule. */
export function rejectReason(m: MarketInfo, c: UniverseConfig, nowMs: number): string | null {
  if (m.status !== "active") return `status ${m.status}`;
  if (m.multivariate && !c.includeMultivariate) return "multivariate market";
  if (m.closeTimeMs - nowMs <= c.closingWithinMs) return "closes too soon";
  const fav = favourite(m.top);
  if (fav === null) return "one side of the book is empty";
  if (fav.bid < c.minFavouritePrice) return "favourite priced below the watch floor";
  if (notional(fav.bid, m.volume24h) < c.minVolume24h) return "24 h volume too low";
  return null;
}

/**
 * Filters and ranks markets (highest 24 h volume first, then ticker), capped at `maxMarkets`,
 * then adds `mustKeep` (positions and working orders) beyond the cap.
 */
export function selectUniverse(
  markets: readonly MarketInfo[],
  config: UniverseConfig,
  nowMs: number,
  mustKeep: ReadonlySet<string> = new Set(),
): UniverseResult {
  const passed: MarketInfo[] = [];
  const rejected: { ticker: string; reason: string }[] = [];
  for (const m of markets) {
    if (mustKeep.has(m.ticker)) continue;
    const reason = rejectReason(m, config, nowMs);
    if (reason === null) passed.push(m);
    else rejected.push({ ticker: m.ticker, reason });
  }
  passed.sort((a, b) => b.volume24h - a.volume24h || (a.ticker < b.ticker ? -1 : 1));
  for (const m of passed.slice(config.maxMarkets))
    rejected.push({ ticker: m.ticker, reason: "over maxMarkets" });
  const selected = passed.slice(0, config.maxMarkets).map((m) => m.ticker);
  for (const t of [...mustKeep].sort()) selected.push(t);
  return { selected, rejected };
}
