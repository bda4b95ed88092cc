/**
 * One market's order book as Kalshi shows it: two bids-only ladders, YES bids at YES-leg
 * prices and NO bids at NO-leg prices. A `bid` order rests on the YES ladder at its price; an
 * `ask` at YES price p rests on the NO ladder at 1 - p. Each level keeps a FIFO queue of
 * resting entries (price-time priority). Every change to a level's size goes through
 * `add`/`reduce`/`remove`, which report it to `onDelta`, so the exchange's `book_delta` events
 * cannot drift from `view()`.
 */

import type { CountUnits, MoneyMicros, PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { BookSide, BookView, Level, OutcomeSide, SimOrder } from "./types.ts";

/** A resting order inside the book, with what the exchange needs beside the public record. */
export interface Entry {
  order: SimOrder;
  ladder: OutcomeSide;
  ladderPrice: PriceUnits;
  /** balance held for this order's remaining count (cost of the opening part + max fee) */
  reserved: MoneyMicros;
  /** a registered user (not a simulated participant): gets private events */
  isUser: boolean;
}

export interface BookLevel {
  price: PriceUnits;
  total: CountUnits;
  queue: Entry[];
}

export type DeltaListener = (side: OutcomeSide, price: PriceUnits, delta: CountUnits, cause: Entry) => void;

export function ladderOf(side: BookSide): OutcomeSide {
  return side === "bid" ? "yes" : "no";
}

/** The price of a YES-leg order on its own ladder. */
export function ladderPriceOf(side: BookSide, yesPrice: PriceUnits): PriceUnits {
  return side === "bid" ? yesPrice : PRICE_SCALE - yesPrice;
}

export class Ladder {
  /** ascending by price; the best bid is last */
  readonly levels: BookLevel[] = [];

  best(): BookLevel | undefined {
    return this.levels[this.levels.length - 1];
  }

  find(price: PriceUnits): BookLevel | undefined {
    const i = this.indexOf(price);
    const lvl = this.levels[i];
    return lvl && lvl.price === price ? lvl : undefined;
  }

  /** index of the first level with price >= `price` */
  indexOf(price: PriceUnits): number {
    let lo = 0;
    let hi = this.levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.levels[mid] as BookLevel).price < price) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  levelFor(price: PriceUnits): BookLevel {
    const i = this.indexOf(price);
    const existing = this.levels[i];
    if (existing && existing.price === price) return existing;
    const lvl: BookLevel = { price, total: 0, queue: [] };
    this.levels.splice(i, 0, lvl);
    return lvl;
  }

  drop(lvl: BookLevel): void {
    const i = this.indexOf(lvl.price);
    if (this.levels[i] === lvl) this.levels.splice(i, 1);
  }

  view(): Level[] {
    return this.levels.map((l) => [l.price, l.total] as const);
  }

  /** total resting count at prices >= `price` */
  depthAtOrAbove(price: PriceUnits): CountUnits {
    let sum = 0;
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const l = this.levels[i] as BookLevel;
      if (l.price < price) break;
      sum += l.total;
    }
    return sum;
  }
}

export class OrderBook {
  readonly yes = new Ladder();
  readonly no = new Ladder();
  private readonly onDelta: DeltaListener;

  constructor(onDelta: DeltaListener) {
    this.onDelta = onDelta;
  }

  ladder(side: OutcomeSide): Ladder {
    return side === "yes" ? this.yes : this.no;
  }

  view(): BookView {
    return { yesBids: this.yes.view(), noBids: this.no.view() };
  }

  /** Rest `entry` (its order's `remainingCount`) at the back of its level's queue. */
  add(entry: Entry): void {
    const count = entry.order.remainingCount;
    if (count <= 0) return;
    const lvl = this.ladder(entry.ladder).levelFor(entry.ladderPrice);
    lvl.queue.push(entry);
    lvl.total += count;
    this.onDelta(entry.ladder, entry.ladderPrice, count, entry);
  }

  /**
   * Take `by` off a resting entry in place (fills, decreases: keeps its queue position). The
   * caller updates the order's counts; the entry leaves the queue when it has nothing left.
   */
  reduce(entry: Entry, by: CountUnits, leavesBook: boolean): void {
    const ladder = this.ladder(entry.ladder);
    const lvl = ladder.find(entry.ladderPrice);
    if (!lvl || by <= 0) return;
    lvl.total -= by;
    if (leavesBook) {
      const i = lvl.queue.indexOf(entry);
      if (i >= 0) lvl.queue.splice(i, 1);
    }
    if (lvl.queue.length === 0) ladder.drop(lvl);
    this.onDelta(entry.ladder, entry.ladderPrice, -by, entry);
  }

  /** Remove an entry whole (cancel, amend to a new price); `count` is what it had resting. */
  remove(entry: Entry, count: CountUnits): void {
    this.reduce(entry, count, true);
  }
}
