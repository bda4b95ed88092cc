/**
 * Price-time matching of an incoming YES-leg order against one book. A `bid` at YES price p
 * meets NO bids at q with p + q >= $1; an `ask` at p meets YES bids at y >= p. The best level
 * goes first, each level FIFO, and the taker trades at the maker's price (price improvement).
 * Effects (balances, events, order records) belong to the exchange, which passes hooks.
 */

import type { CountUnits, PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { Entry, Ladder, OrderBook } from "./book.ts";
import type { BookSide, SelfTradePrevention, SimOrder } from "./types.ts";

export function oppositeLadder(book: OrderBook, takerSide: BookSide): Ladder {
  return takerSide === "bid" ? book.no : book.yes;
}

/** Does a taker at YES price `yesPrice` cross a maker level priced `makerLadderPrice` on its own leg? */
export function crosses(takerSide: BookSide, yesPrice: PriceUnits, makerLadderPrice: PriceUnits): boolean {
  return takerSide === "bid" ? yesPrice + makerLadderPrice >= PRICE_SCALE : makerLadderPrice >= yesPrice;
}

/** The YES price of a trade against a maker level (the maker's price). */
export function tradeYesPrice(takerSide: BookSide, makerLadderPrice: PriceUnits): PriceUnits {
  return takerSide === "bid" ? PRICE_SCALE - makerLadderPrice : makerLadderPrice;
}

export function wouldCross(book: OrderBook, side: BookSide, yesPrice: PriceUnits): boolean {
  const best = oppositeLadder(book, side).best();
  return best !== undefined && crosses(side, yesPrice, best.price);
}

/**
 * How much a fill-or-kill could fill without touching its own user's orders the way its
 * self-trade mode forbids: with `taker_at_cross` matching stops at the first own order, with
 * `maker` own orders are skipped (they would be cancelled). Stops counting at `want`.
 */
export function fillableCount(
  book: OrderBook,
  side: BookSide,
  yesPrice: PriceUnits,
  userId: string,
  stp: SelfTradePrevention,
  want: CountUnits,
): CountUnits {
  const ladder = oppositeLadder(book, side);
  let sum = 0;
  for (let i = ladder.levels.length - 1; i >= 0 && sum < want; i--) {
    const lvl = ladder.levels[i];
    if (!lvl || !crosses(side, yesPrice, lvl.price)) break;
    for (const e of lvl.queue) {
      if (e.order.userId === userId) {
        if (stp === "taker_at_cross") return sum;
        continue;
      }
      sum += e.order.remainingCount;
      if (sum >= want) break;
    }
  }
  return sum;
}

export interface MatchHooks {
  /** trade `count` against `maker` at `yesPrice`; must shrink both orders and the book */
  fill(maker: Entry, count: CountUnits, yesPrice: PriceUnits): void;
  /** the taker met its own resting order: with `maker` STP, cancel that order */
  cancelMaker(maker: Entry): void;
}

export type MatchEnd = "no_more_liquidity" | "filled" | "self_trade";

/** Match `taker` (its `remainingCount`) against the book until filled, out of cross, or STP stops it. */
export function matchOrder(book: OrderBook, taker: SimOrder, hooks: MatchHooks): MatchEnd {
  const ladder = oppositeLadder(book, taker.side);
  while (taker.remainingCount > 0) {
    const lvl = ladder.best();
    if (!lvl || !crosses(taker.side, taker.price, lvl.price)) return "no_more_liquidity";
    const maker = lvl.queue[0];
    if (!maker) return "no_more_liquidity"; // unreachable: empty levels are dropped
    if (maker.order.userId === taker.userId) {
      if (taker.selfTradePrevention === "taker_at_cross") return "self_trade";
      hooks.cancelMaker(maker);
      continue;
    }
    const count = Math.min(taker.remainingCount, maker.order.remainingCount);
    hooks.fill(maker, count, tradeYesPrice(taker.side, lvl.price));
  }
  return "filled";
}
