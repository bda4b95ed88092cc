/**
 * One market's order book: two bids-only ladders (YES bids and NO bids, each in its own leg's
 * price) in integer units, with asks derived (YES ask = 1 - best NO bid, NO ask = 1 - best YES
 * bid). Kalshi publishes only bids, so this is the whole book.
 *
 * A ladder is a pair of parallel typed arrays sorted by ascending price (best bid last), so a
 * delta is a binary search plus, rarely, a short shift near the top of book, and best bid is
 * O(1). A market costs a few hundred bytes at typical depth, which keeps 5 000 books far below
 * the 64 MB budget (see bench/feed.bench.ts).
 *
 * Pure and allocation-free on the delta path. Called by `book-store.ts`; the strategy reads books
 * through the store's views.
 */

import type { CountUnits, PriceUnits } from "../kalshi/units.ts";
import { PRICE_SCALE } from "../kalshi/units.ts";

/** Result of applying one delta: 0 applied, otherwise the reason the book can no longer be trusted. */
export const DELTA_OK = 0;
/** The delta removes more than rests at that level (or removes from an empty level). */
export const DELTA_OVER_REMOVE = 1;
export type DeltaResult = typeof DELTA_OK | typeof DELTA_OVER_REMOVE;

/** Lowest and highest price a resting bid can have: Kalshi never rests at $0 or $1. */
export const MIN_BID_PRICE = 1;
export const MAX_BID_PRICE = PRICE_SCALE - 1;

/** A price level as the strategy sees it. */
export interface Level {
  readonly price: PriceUnits;
  readonly size: CountUnits;
}

const INITIAL_CAPACITY = 8;

/** Bids of one leg, sorted ascending by price; sizes are integer hundredths of a contract (> 0). */
export class Ladder {
  prices: Uint16Array;
  sizes: Float64Array;
  n = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    this.prices = new Uint16Array(capacity);
    this.sizes = new Float64Array(capacity);
  }

  get length(): number {
    return this.n;
  }

  /** Best (highest) bid price, or -1 when the ladder is empty. */
  bestPrice(): PriceUnits {
    return this.n === 0 ? -1 : (this.prices[this.n - 1] as number);
  }

  /** Size resting at the best bid, or 0 when empty. */
  bestSize(): CountUnits {
    return this.n === 0 ? 0 : (this.sizes[this.n - 1] as number);
  }

  /** Size resting at `price` (0 when no level). */
  sizeAt(price: PriceUnits): CountUnits {
    const i = this.indexOf(price);
    return i >= 0 ? (this.sizes[i] as number) : 0;
  }

  /** Sum of sizes over all levels. */
  totalSize(): CountUnits {
    let t = 0;
    for (let i = 0; i < this.n; i++) t += this.sizes[i] as number;
    return t;
  }

  /** Index of `price`, or `-(insertion point) - 1` when absent. */
  indexOf(price: PriceUnits): number {
    const prices = this.prices;
    let lo = 0;
    let hi = this.n - 1;
    // Most deltas land at or near the top of book: check the best level first.
    if (hi >= 0 && prices[hi] === price) return hi;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = prices[mid] as number;
      if (v < price) lo = mid + 1;
      else if (v > price) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  /**
   * Adds a signed `delta` to the level at `price`; removes the level when it reaches zero.
   * A delta that would leave a negative size is refused (book untouched) with DELTA_OVER_REMOVE.
   */
  apply(price: PriceUnits, delta: CountUnits): DeltaResult {
    const i = this.indexOf(price);
    if (i >= 0) {
      const next = (this.sizes[i] as number) + delta;
      if (next > 0) this.sizes[i] = next;
      else if (next === 0) this.removeAt(i);
      else return DELTA_OVER_REMOVE;
      return DELTA_OK;
    }
    if (delta < 0) return DELTA_OVER_REMOVE;
    if (delta > 0) this.insertAt(-i - 1, price, delta);
    return DELTA_OK;
  }

  /** Replaces the ladder with `levels` (any order; the caller guarantees distinct prices, sizes > 0). */
  replace(levels: ReadonlyArray<Level>): void {
    this.n = 0;
    if (levels.length > this.prices.length) this.grow(levels.length);
    for (const l of levels) {
      this.prices[this.n] = l.price;
      this.sizes[this.n] = l.size;
      this.n++;
    }
    this.sortLevels();
  }

  clear(): void {
    this.n = 0;
  }

  /** Empties the ladder and gives its arrays back to the initial capacity (the book is being dropped). */
  release(): void {
    this.n = 0;
    if (this.prices.length > INITIAL_CAPACITY) {
      this.prices = new Uint16Array(INITIAL_CAPACITY);
      this.sizes = new Float64Array(INITIAL_CAPACITY);
    }
  }

  /** Levels best first, at most `max` of them. */
  levels(max = Number.POSITIVE_INFINITY): Level[] {
    const out: Level[] = [];
    for (let i = this.n - 1; i >= 0 && out.length < max; i--) {
      out.push({ price: this.prices[i] as number, size: this.sizes[i] as number });
    }
    return out;
  }

  private insertAt(at: number, price: PriceUnits, size: CountUnits): void {
    if (this.n === this.prices.length) this.grow(this.n * 2);
    if (at < this.n) {
      this.prices.copyWithin(at + 1, at, this.n);
      this.sizes.copyWithin(at + 1, at, this.n);
    }
    this.prices[at] = price;
    this.sizes[at] = size;
    this.n++;
  }

  private removeAt(at: number): void {
    this.prices.copyWithin(at, at + 1, this.n);
    this.sizes.copyWithin(at, at + 1, this.n);
    this.n--;
  }

  private grow(capacity: number): void {
    const prices = new Uint16Array(Math.max(capacity, INITIAL_CAPACITY));
    const sizes = new Float64Array(prices.length);
    prices.set(this.prices.subarray(0, this.n));
    sizes.set(this.sizes.subarray(0, this.n));
    this.prices = prices;
    this.sizes = sizes;
  }

  private sortLevels(): void {
    // Insertion sort: snapshots are small and usually already sorted (ascending or descending).
    const p = this.prices;
    const s = this.sizes;
    for (let i = 1; i < this.n; i++) {
      const pi = p[i] as number;
      const si = s[i] as number;
      let j = i - 1;
      while (j >= 0 && (p[j] as number) > pi) {
        p[j + 1] = p[j] as number;
        s[j + 1] = s[j] as number;
        j--;
      }
      p[j + 1] = pi;
      s[j + 1] = si;
    }
  }
}

/** Which leg a ladder belongs to. */
export type BookSide = "yes" | "no";

/** Best bid and derived best ask of both legs; prices -1 and sizes 0 when the side is empty. */
export interface LadderTops {
  readonly yesBid: PriceUnits;
  readonly yesBidSize: CountUnits;
  readonly yesAsk: PriceUnits;
  readonly yesAskSize: CountUnits;
  readonly noBid: PriceUnits;
  readonly noBidSize: CountUnits;
  readonly noAsk: PriceUnits;
  readonly noAskSize: CountUnits;
}

/** The two ladders of one market. NO bids are kept in NO-leg prices whatever the feed's scale. */
export class OrderBook {
  readonly yes = new Ladder();
  readonly no = new Ladder();

  ladder(side: BookSide): Ladder {
    return side === "yes" ? this.yes : this.no;
  }

  /** Applies a delta to one leg; `legPrice` is in that leg's own price. */
  applyDelta(side: BookSide, legPrice: PriceUnits, delta: CountUnits): DeltaResult {
    return (side === "yes" ? this.yes : this.no).apply(legPrice, delta);
  }

  /** Replaces both ladders (levels already validated, NO levels in NO-leg prices). */
  applySnapshot(yes: ReadonlyArray<Level>, no: ReadonlyArray<Level>): void {
    this.yes.replace(yes);
    this.no.replace(no);
  }

  clear(): void {
    this.yes.clear();
    this.no.clear();
  }

  /** Clears both ladders and releases their grown arrays. */
  release(): void {
    this.yes.release();
    this.no.release();
  }

  top(): LadderTops {
    const yesBid = this.yes.bestPrice();
    const noBid = this.no.bestPrice();
    return {
      yesBid,
      yesBidSize: this.yes.bestSize(),
      yesAsk: noBid < 0 ? -1 : PRICE_SCALE - noBid,
      yesAskSize: this.no.bestSize(),
      noBid,
      noBidSize: this.no.bestSize(),
      noAsk: yesBid < 0 ? -1 : PRICE_SCALE - yesBid,
      noAskSize: this.yes.bestSize(),
    };
  }
}

/** Converts a NO-side price from the feed to the NO leg's own price. */
export function noLegPrice(feedPrice: PriceUnits, yesScale: boolean): PriceUnits {
  return yesScale ? PRICE_SCALE - feedPrice : feedPrice;
}
