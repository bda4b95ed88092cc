/**
 * The simulated crowd that makes the books move: per market a few market makers quote a bid
 * and an ask around a fair value, and a noise trader now and then takes liquidity. The fair
 * value random-walks (seeded) and drifts toward the market's hidden outcome as close
 * approaches, so favourites firm up and losers fade. Pure planning: these functions say what
 * the participants want; the exchange places and cancels the orders (and the makers' stale
 * quotes crossing fresh ones are how participants trade with each other).
 */

import type { CountUnits, PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { OrderBook } from "./book.ts";
import { maxTradeable, minTradeable, snapDown, snapUp } from "./grid.ts";
import type { Rng } from "./rng.ts";
import type { BookSide, SimMarket } from "./types.ts";
import type { MarketProfile } from "./universe.ts";

export interface Quote {
  maker: string;
  side: BookSide;
  price: PriceUnits; // YES-leg
  count: CountUnits;
}

export interface Take {
  side: BookSide;
  price: PriceUnits; // YES-leg limit
  count: CountUnits;
}

const FAIR_FLOOR = 50;
const FAIR_CEIL = PRICE_SCALE - 50;

/** Move the fair value over `dtMs`: noise plus a pull toward the outcome growing as close nears. */
export function walkFair(
  profile: MarketProfile,
  market: SimMarket,
  nowMs: number,
  dtMs: number,
  rng: Rng,
): void {
  if (dtMs <= 0) return;
  const target = market.eventualOutcome === "yes" ? PRICE_SCALE : 0;
  const left = Math.max(market.closeTimeMs - nowMs, 1);
  // share of the remaining gap to close in this step; reaches the outcome by close
  const pull = Math.min(1, dtMs / left) * 0.8;
  const noise = rng.normal() * profile.volatility * Math.sqrt(dtMs / 1000);
  const next = profile.fair + (target - profile.fair) * pull + noise;
  profile.fair = Math.min(FAIR_CEIL, Math.max(FAIR_FLOOR, next));
}

/** Each maker's bid and ask around the fair value, snapped outward to the market's grid. */
export function plannedQuotes(profile: MarketProfile, market: SimMarket, rng: Rng): Quote[] {
  const ranges = market.priceRanges;
  const lo = minTradeable(ranges);
  const hi = maxTradeable(ranges);
  const quotes: Quote[] = [];
  for (const m of profile.makers) {
    const skew = rng.normal() * m.halfSpread * 0.3;
    let bid = snapDown(ranges, Math.floor(profile.fair - m.halfSpread + skew));
    let ask = snapUp(ranges, Math.ceil(profile.fair + m.halfSpread + skew));
    if (bid >= ask) {
      bid = snapDown(ranges, ask - 1);
      if (bid >= ask) ask = snapUp(ranges, bid + 1);
    }
    if (bid >= lo && bid < ask) quotes.push({ maker: m.name, side: "bid", price: bid, count: m.size });
    if (ask <= hi && ask > bid) quotes.push({ maker: m.name, side: "ask", price: ask, count: m.size });
  }
  return quotes;
}

/** Maybe a noise trader lifts the best ask or hits the best bid for a small size. */
export function plannedTake(profile: MarketProfile, book: OrderBook, rng: Rng): Take | undefined {
  if (!rng.chance(profile.takerChance)) return undefined;
  const buyYes = rng.float() * PRICE_SCALE < profile.fair;
  const bestNo = book.no.best();
  const bestYes = book.yes.best();
  const size = (profile.makers[0]?.size ?? 100) * rng.int(1, 4);
  const count = Math.max(1, Math.floor(size / 4));
  if (buyYes && bestNo) return { side: "bid", price: PRICE_SCALE - bestNo.price, count };
  if (!buyYes && bestYes) return { side: "ask", price: bestYes.price, count };
  return undefined;
}
