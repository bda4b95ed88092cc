/**
 * The simulated crowd that makes the books move: per market a few market makers quote a bid
 * and an ask around a fair value, and a noise trader now and then takes liquidity. The fair
 * value random-walks (seeded) and drifts toward the market's hidden outcome as close
 * approaches, so favourites firm up and losers fade. On top of that walk, favourites get news:
 * now and then a jump of 2.5 to 4 c up or down (`stepShock`), which fades with a one-minute
 * half-life, so within a minute or two a favourite moves by a few cents both ways while
 * staying in the bot's entry band. Pure planning: these functions say what the participants
 * want; the exchange places and cancels the orders (and the makers' stale quotes crossing fresh
 * ones are how participants trade with each other, and trade through a level after a jump).
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

/** A favourite's news shock fades with this half-life. */
export const SHOCK_HALF_LIFE_MS = 60_000;
/** Mean time between news jumps at volatility 1 (exponential intervals; volatility divides it). */
export const JUMP_MEAN_INTERVAL_MS = 30_000;
/** A jump moves the quotes' centre by this much, up or down. */
export const JUMP_MIN: PriceUnits = 250;
export const JUMP_MAX: PriceUnits = 400;
/**
 * Where jumps keep a favourite's quotes: bid at least 0.85 and ask at most 0.97 (room for a +2 c
 * target at or below 0.99) after the makers' half-spread and snapping to any grid.
 */
export const FAVOURITE_BAND = { lo: 8_800, hi: 9_550 } as const;

/** Where the makers quote around: the walked fair value plus the news shock. */
export function quoteCentre(profile: MarketProfile): number {
  return profile.fair + profile.shock;
}

function jumpInterval(rng: Rng, volatility: number): number {
  return Math.max(2_000, Math.round((-Math.log(1 - rng.float()) * JUMP_MEAN_INTERVAL_MS) / volatility));
}

/**
 * A favourite's news over `dtMs`: the shock fades, and when a jump is due the centre moves by
 * 2.5 to 4 c, up or down at random but turned back (then clamped) if it would leave
 * `FAVOURITE_BAND` (a market already outside the band is not pulled into it). `volatility` scales
 * how often jumps come; 0 turns them off. Other kinds of market get no shock.
 */
export function stepShock(
  profile: MarketProfile,
  nowMs: number,
  dtMs: number,
  rng: Rng,
  volatility: number,
): void {
  if (profile.kind !== "favourite" || volatility <= 0) {
    profile.shock = 0;
    return;
  }
  if (dtMs > 0) profile.shock *= 0.5 ** (dtMs / SHOCK_HALF_LIFE_MS);
  const lo = Math.min(profile.fair, FAVOURITE_BAND.lo);
  const hi = Math.max(profile.fair, FAVOURITE_BAND.hi);
  if (profile.nextJumpMs === 0) profile.nextJumpMs = nowMs + jumpInterval(rng, volatility);
  if (nowMs >= profile.nextJumpMs) {
    const size = rng.int(JUMP_MIN, JUMP_MAX);
    const dir = rng.chance(0.5) ? 1 : -1;
    let target = quoteCentre(profile) + dir * size;
    if (target < lo || target > hi) target = quoteCentre(profile) - dir * size;
    profile.shock = Math.min(hi, Math.max(lo, target)) - profile.fair;
    profile.nextJumpMs = nowMs + jumpInterval(rng, volatility);
  }
  // the fair value walks too: keep the centre inside the band
  profile.shock = Math.min(hi, Math.max(lo, quoteCentre(profile))) - profile.fair;
}

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
    let bid = snapDown(ranges, Math.floor(quoteCentre(profile) - m.halfSpread + skew));
    let ask = snapUp(ranges, Math.ceil(quoteCentre(profile) + m.halfSpread + skew));
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
  const buyYes = rng.float() * PRICE_SCALE < quoteCentre(profile);
  const bestNo = book.no.best();
  const bestYes = book.yes.best();
  const size = (profile.makers[0]?.size ?? 100) * rng.int(1, 4);
  const count = Math.max(1, Math.floor(size / 4));
  if (buyYes && bestNo) return { side: "bid", price: PRICE_SCALE - bestNo.price, count };
  if (!buyYes && bestYes) return { side: "ask", price: bestYes.price, count };
  return undefined;
}
