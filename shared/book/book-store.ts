/**
 * All the order books of one feed connection, their sequence state and their staleness.
 *
 * - Markets are interned by ticker in an open-addressing table, so the fast path finds a market
 *   from a ticker's position in the frame text without allocating a string.
 * - `seq` is tracked per `sid` (Kalshi's WebSocket docs: sequence numbers): the first message on a sid sets it, then each
 *   must be exactly the next. Anything else (a jump, a repeat, a step back) is a gap: every book of
 *   that sid goes stale and a `get_snapshot` is requested for all of them.
 * - A book is stale until a snapshot arrives, and again after anything that makes it untrustworthy
 *   (gap, a delta removing more than rests, an off-grid level, a bad frame about it, a
 *   disconnect). Stale books are never patched: deltas to them are dropped until a fresh snapshot.
 * - Age: a book is confirmed by every in-sequence message on its sid (one sid's seq covers all its
 *   markets, so continuity proves nothing was missed) and by its own updates.
 *
 * Pure: the clock is passed in (`nowMs`) and nothing is sent; the Durable Object drains
 * `drainEffects()` and acts (send `update_subscription`/`get_snapshot`, resubscribe, alert).
 * Written to by `frame-handler.ts`; read by the strategy through `view` / `isFresh`.
 */

import type { StaleReason } from "../domain.ts";
import { isOnGrid, type TickGrid } from "../kalshi/tick-grid.ts";
import type { CountUnits, PriceUnits } from "../kalshi/units.ts";
import { PRICE_SCALE } from "../kalshi/units.ts";
import { hashTicker } from "./fast-json.ts";
import type { ParsedSnapshot } from "./frame-parse.ts";
import type { BookSide, LadderTops, Level } from "./order-book.ts";
import { DELTA_OK, OrderBook } from "./order-book.ts";

/** Why a book cannot be used (one vocabulary: shared/domain.ts). */
export type { StaleReason };

/** Is this YES-leg price on the market's tick grid? (adapt `isOnGrid(grid, p)` from tick-grid.ts) */
export type GridCheck = (yesPrice: PriceUnits) => boolean;

/** Any price in [0.0001, 0.9999]: the grid used until the market's own grid is known. */
export const ANY_PRICE: GridCheck = () => true;

/** The check for a market's validated `price_ranges` (tick-grid.ts). */
export function gridCheck(grid: TickGrid): GridCheck {
  return (p) => isOnGrid(grid, p);
}

export interface BookStoreOptions {
  /**
   * The subscription was made with `use_yes_price: true` (the bot always sets it), so NO-side
   * levels arrive on the YES scale. False: NO-side levels arrive as NO-leg prices. Default true.
   */
  readonly useYesPrice?: boolean;
  /** Grid of a market when it is first seen; `ANY_PRICE` when undefined. */
  readonly gridFor?: (ticker: string) => GridCheck | undefined;
  /** A stale book's snapshot is asked for again only after this long. Default 5 000 ms. */
  readonly resnapshotAfterMs?: number;
}

/** Things the Durable Object must do; the store never does them itself. */
export type FeedEffect =
  /** Send `update_subscription { sid, action: "get_snapshot", market_tickers }`. */
  | { readonly type: "get_snapshot"; readonly sid: number; readonly tickers: string[] }
  /** The sequence on `sid` broke (already handled by the get_snapshot requests; for logs/alerts). */
  | { readonly type: "sid_gap"; readonly sid: number; readonly expected: number; readonly received: number }
  /** A terminal subscription error (codes 10, 25): resubscribe the channel. */
  | { readonly type: "resubscribe"; readonly sid: number; readonly code: number };

interface SidState {
  readonly sid: number;
  lastSeq: number;
  lastMsgMs: number;
  /** the last message was the first on the sid or exactly the next seq */
  inSequence: boolean;
}

/** The sequence state of one sid, for the feed (e.g. to tell whether a reply arrived in order). */
export interface SidSeq {
  readonly lastSeq: number;
  readonly lastMsgMs: number;
  readonly inSequence: boolean;
}

/** Per-market state. Fields are public for the hot path and tests; mutate only through the store. */
export class MarketBook {
  readonly book = new OrderBook();
  marketId = "";
  sid = 0;
  sidState: SidState | null = null;
  stale = true;
  staleReason: StaleReason = "no_snapshot";
  staleSinceMs = Number.NEGATIVE_INFINITY;
  lastChangeMs = Number.NEGATIVE_INFINITY;
  /** `ts_ms` of the last applied delta, NaN when unknown. */
  lastExchangeTsMs = Number.NaN;
  snapshotRequestedMs = Number.NEGATIVE_INFINITY;
  /** The sid the last snapshot request went to. */
  requestedSid = 0;
  readonly ticker: string;
  readonly hash: number;
  isOnGrid: GridCheck;
  /** Returned by the frame handler for frames about this market (allocated once). */
  readonly outcome: { readonly kind: "book"; readonly market: MarketBook };

  constructor(ticker: string, hash: number, isOnGrid: GridCheck) {
    this.ticker = ticker;
    this.hash = hash;
    this.isOnGrid = isOnGrid;
    this.outcome = { kind: "book", market: this };
  }
}

/** What the strategy reads. Prices are -1 and sizes 0 on an empty side. */
export interface StoreView extends LadderTops {
  readonly ticker: string;
  readonly stale: boolean;
  readonly staleReason: StaleReason | null;
  /** Time since the book was last confirmed current. */
  readonly ageMs: number;
  readonly lastChangeMs: number;
}

export interface StoreCounters {
  snapshotsApplied: number;
  deltasApplied: number;
  /** Deltas for stale books, dropped while their snapshot is awaited. */
  deltasDroppedStale: number;
  /** Deltas for markets without any snapshot. */
  deltasUnknownMarket: number;
  gaps: number;
  /** Gaps where seq repeated or went back (duplicates / replays), also counted in `gaps`. */
  seqRepeats: number;
  staleMarks: number;
  /** Tickers for which a snapshot was requested. */
  resyncRequests: number;
  /** Books dropped with `remove` (their market left the universe). */
  marketsRemoved: number;
}

const INITIAL_SLOTS = 1024;

export class BookStore {
  readonly useYesPrice: boolean;
  readonly counters: StoreCounters = {
    snapshotsApplied: 0,
    deltasApplied: 0,
    deltasDroppedStale: 0,
    deltasUnknownMarket: 0,
    gaps: 0,
    seqRepeats: 0,
    staleMarks: 0,
    resyncRequests: 0,
    marketsRemoved: 0,
  };
  private readonly gridFor: (ticker: string) => GridCheck | undefined;
  private readonly resnapshotAfterMs: number;
  private readonly markets: MarketBook[] = [];
  /** Open addressing: 0 empty, otherwise market index + 1. */
  private slots = new Int32Array(INITIAL_SLOTS);
  private readonly sids = new Map<number, SidState>();
  private lastSid: SidState | null = null;
  private readonly pending = new Map<number, Set<string>>();
  private effects: FeedEffect[] = [];

  constructor(options: BookStoreOptions = {}) {
    this.useYesPrice = options.useYesPrice ?? true;
    this.gridFor = options.gridFor ?? (() => undefined);
    this.resnapshotAfterMs = options.resnapshotAfterMs ?? 5_000;
  }

  get size(): number {
    return this.markets.length;
  }

  allMarkets(): readonly MarketBook[] {
    return this.markets;
  }

  market(ticker: string): MarketBook | undefined {
    return this.lookup(ticker, 0, ticker.length, hashTicker(ticker));
  }

  /** Finds the market whose ticker is `text[start, end)` (hash from `hashTicker`). */
  lookup(text: string, start: number, end: number, hash: number): MarketBook | undefined {
    const slots = this.slots;
    const mask = slots.length - 1;
    const len = end - start;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = slots[i] as number;
      if (v === 0) return undefined;
      const m = this.markets[v - 1] as MarketBook;
      if (m.hash === hash && m.ticker.length === len && text.startsWith(m.ticker, start)) return m;
    }
  }

  /** The market for `ticker`, created (stale, no snapshot) if new. */
  ensureMarket(ticker: string): MarketBook {
    const hash = hashTicker(ticker);
    const found = this.lookup(ticker, 0, ticker.length, hash);
    if (found) return found;
    const m = new MarketBook(ticker, hash, this.gridFor(ticker) ?? ANY_PRICE);
    this.markets.push(m);
    if (this.markets.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.insertSlot(m, this.markets.length);
    return m;
  }

  /**
   * Forgets the book of `ticker` (its market left the universe and was unsubscribed): its slot
   * is freed by backward-shift deletion, so lookups stay tombstone-free and allocation-free, the
   * last market takes its index, its ladders are released and any queued snapshot request for it
   * is dropped. A later frame about the ticker starts a new, stale book. False when unknown.
   * Not for the hot path: called by the feed when `delete_markets` is confirmed.
   */
  remove(ticker: string): boolean {
    const hash = hashTicker(ticker);
    const slots = this.slots;
    const mask = slots.length - 1;
    let at = -1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = slots[i] as number;
      if (v === 0) return false;
      const m = this.markets[v - 1] as MarketBook;
      if (m.hash === hash && m.ticker === ticker) {
        at = i;
        break;
      }
    }
    const index = (slots[at] as number) - 1;
    const m = this.markets[index] as MarketBook;
    this.deleteSlot(at);
    const lastIndex = this.markets.length - 1;
    if (index !== lastIndex) {
      const last = this.markets[lastIndex] as MarketBook;
      this.markets[index] = last;
      for (let i = last.hash & mask; ; i = (i + 1) & mask) {
        if (slots[i] === lastIndex + 1) {
          slots[i] = index + 1;
          break;
        }
      }
    }
    this.markets.pop();
    for (const set of this.pending.values()) set.delete(ticker);
    // A caller still holding the object sees a stale, empty book that no frame will touch again.
    m.stale = true;
    m.staleReason = "unsubscribed";
    m.sid = 0;
    m.sidState = null;
    m.book.release();
    this.counters.marketsRemoved++;
    return true;
  }

  /** Installs a market's tick grid (e.g. after `price_level_structure_updated`). */
  setGrid(ticker: string, check: GridCheck): void {
    this.ensureMarket(ticker).isOnGrid = check;
  }

  /**
   * Sequence check for a message carrying `sid` and `seq`. True when in order (or the first on
   * that sid); false on a gap, after marking the sid's books stale and requesting snapshots.
   */
  checkSeq(sid: number, seq: number, nowMs: number): boolean {
    let st = this.lastSid;
    if (st === null || st.sid !== sid) {
      st = this.sids.get(sid) ?? null;
      if (st === null) {
        st = { sid, lastSeq: seq, lastMsgMs: nowMs, inSequence: true };
        this.sids.set(sid, st);
        this.lastSid = st;
        return true;
      }
      this.lastSid = st;
    }
    const expected = st.lastSeq + 1;
    st.lastSeq = seq;
    st.lastMsgMs = nowMs;
    st.inSequence = seq === expected;
    if (st.inSequence) return true;
    this.counters.gaps++;
    if (seq < expected) this.counters.seqRepeats++;
    this.effects.push({ type: "sid_gap", sid, expected, received: seq });
    for (const m of this.markets) {
      if (m.sid === sid && !m.stale) this.markStale(m, "gap", nowMs, true);
    }
    return false;
  }

  /** The sequence state of `sid`; undefined before its first message or after it ended. */
  sidSeq(sid: number): SidSeq | undefined {
    const st = this.sids.get(sid);
    return st === undefined
      ? undefined
      : { lastSeq: st.lastSeq, lastMsgMs: st.lastMsgMs, inSequence: st.inSequence };
  }

  /** Replaces a book from a validated snapshot (levels on the wire scale). */
  applySnapshot(snap: ParsedSnapshot, nowMs: number): MarketBook {
    const m = this.ensureMarket(snap.ticker);
    this.attach(m, snap.sid);
    m.marketId = snap.marketId;
    const yesScale = this.useYesPrice;
    for (const l of snap.yes) {
      if (!m.isOnGrid(l.price)) return this.offGrid(m, snap.sid, nowMs);
    }
    const no: Level[] = [];
    for (const l of snap.no) {
      const legPrice = yesScale ? PRICE_SCALE - l.price : l.price;
      if (!m.isOnGrid(PRICE_SCALE - legPrice)) return this.offGrid(m, snap.sid, nowMs);
      no.push({ price: legPrice, size: l.size });
    }
    m.book.applySnapshot(snap.yes, no);
    m.stale = false;
    m.lastChangeMs = nowMs;
    m.snapshotRequestedMs = Number.NEGATIVE_INFINITY;
    // The book is whole again: a request still queued (on any sid) is moot.
    for (const set of this.pending.values()) set.delete(m.ticker);
    this.counters.snapshotsApplied++;
    return m;
  }

  /**
   * Applies a validated delta (price on the wire scale) that arrived in sequence on `sid`.
   * Stale books are left alone; a delta the book cannot take marks it stale instead.
   * True when the book changed.
   */
  applyDelta(
    m: MarketBook,
    sid: number,
    side: BookSide,
    price: PriceUnits,
    delta: CountUnits,
    nowMs: number,
  ): boolean {
    if (m.stale) {
      this.counters.deltasDroppedStale++;
      if (m.staleReason === "no_snapshot" && m.sid === 0) this.counters.deltasUnknownMarket++;
      // Ask again if the earlier request seems lost (or was never made, e.g. after a disconnect).
      this.requestSnapshot(m, sid, nowMs);
      return false;
    }
    if (m.sid !== sid) {
      this.markStale(m, "sid_mismatch", nowMs, false);
      this.requestSnapshot(m, sid, nowMs);
      return false;
    }
    let legPrice = price;
    let yesPrice = price;
    if (side === "no") {
      if (this.useYesPrice) legPrice = PRICE_SCALE - price;
      else yesPrice = PRICE_SCALE - price;
    }
    if (!m.isOnGrid(yesPrice)) {
      this.markStale(m, "off_grid", nowMs, true);
      return false;
    }
    if (m.book.applyDelta(side, legPrice, delta) !== DELTA_OK) {
      this.markStale(m, "over_remove", nowMs, true);
      return false;
    }
    m.lastChangeMs = nowMs;
    this.counters.deltasApplied++;
    return true;
  }

  /** Marks a book stale (clearing it) and, if asked, requests a fresh snapshot on its sid. */
  markStale(m: MarketBook, reason: StaleReason, nowMs: number, requestSnapshot: boolean): void {
    if (!m.stale) {
      m.stale = true;
      m.staleSinceMs = nowMs;
      this.counters.staleMarks++;
    }
    m.staleReason = reason;
    m.book.clear();
    if (requestSnapshot && m.sid !== 0) this.requestSnapshot(m, m.sid, nowMs);
  }

  /** A frame about this ticker could not be used: the book can no longer be trusted. */
  markBad(ticker: string, sid: number, nowMs: number): void {
    // Only books we hold: a garbage frame must not create markets.
    const m = this.market(ticker);
    if (m === undefined) return;
    this.markStale(m, "bad_frame", nowMs, false);
    const onSid = sid !== 0 ? sid : m.sid;
    if (onSid !== 0) this.requestSnapshot(m, onSid, nowMs);
  }

  /** The socket closed: sids are void (they are reassigned), every book waits for a new snapshot. */
  disconnected(nowMs: number): void {
    this.sids.clear();
    this.lastSid = null;
    this.pending.clear();
    for (const m of this.markets) {
      this.markStale(m, "disconnected", nowMs, false);
      m.sid = 0;
      m.sidState = null;
      m.snapshotRequestedMs = Number.NEGATIVE_INFINITY;
      m.requestedSid = 0;
    }
  }

  /** The subscription `sid` ended (unsubscribed or a terminal error): its books go stale. */
  endSubscription(sid: number, reason: StaleReason, nowMs: number): void {
    this.sids.delete(sid);
    if (this.lastSid?.sid === sid) this.lastSid = null;
    this.pending.delete(sid);
    for (const m of this.markets) {
      if (m.sid !== sid) continue;
      this.markStale(m, reason, nowMs, false);
      m.sid = 0;
      m.sidState = null;
    }
  }

  /** Records a terminal subscription error for the DO. */
  pushEffect(effect: FeedEffect): void {
    this.effects.push(effect);
  }

  /** Anything for `drainEffects` to return? Cheap: the hot path asks after every frame. */
  hasEffects(): boolean {
    return this.effects.length > 0 || this.pending.size > 0;
  }

  /** Effects since the last call, with snapshot requests coalesced per sid. */
  drainEffects(): FeedEffect[] {
    const out = this.effects;
    this.effects = [];
    for (const [sid, tickers] of this.pending) {
      if (tickers.size > 0) out.push({ type: "get_snapshot", sid, tickers: [...tickers] });
    }
    this.pending.clear();
    return out;
  }

  /** Time since the book was last confirmed current (its own update or an in-order message on its sid). */
  ageMs(m: MarketBook, nowMs: number): number {
    const st = m.sidState;
    const sidConfirmed = st !== null && this.sids.get(m.sid) === st ? st.lastMsgMs : Number.NEGATIVE_INFINITY;
    return nowMs - Math.max(m.lastChangeMs, sidConfirmed);
  }

  /** The strategy may act on this book: it exists, is not stale and is at most `maxAgeMs` old. */
  isFresh(ticker: string, nowMs: number, maxAgeMs: number): boolean {
    const m = this.market(ticker);
    return m !== undefined && !m.stale && this.ageMs(m, nowMs) <= maxAgeMs;
  }

  view(ticker: string, nowMs: number): StoreView | undefined {
    const m = this.market(ticker);
    if (m === undefined) return undefined;
    return {
      ticker,
      ...m.book.top(),
      stale: m.stale,
      staleReason: m.stale ? m.staleReason : null,
      ageMs: this.ageMs(m, nowMs),
      lastChangeMs: m.lastChangeMs,
    };
  }

  /** Bids of one leg, best first, in that leg's own prices. */
  depth(ticker: string, side: BookSide, max?: number): Level[] {
    return this.market(ticker)?.book.ladder(side).levels(max) ?? [];
  }

  private attach(m: MarketBook, sid: number): void {
    m.sid = sid;
    m.sidState = this.sids.get(sid) ?? null;
  }

  private offGrid(m: MarketBook, sid: number, nowMs: number): MarketBook {
    this.markStale(m, "off_grid", nowMs, false);
    this.requestSnapshot(m, sid, nowMs);
    return m;
  }

  private requestSnapshot(m: MarketBook, sid: number, nowMs: number): void {
    if (m.requestedSid === sid && nowMs - m.snapshotRequestedMs < this.resnapshotAfterMs) return;
    m.snapshotRequestedMs = nowMs;
    m.requestedSid = sid;
    let set = this.pending.get(sid);
    if (set === undefined) {
      set = new Set();
      this.pending.set(sid, set);
    }
    if (!set.has(m.ticker)) {
      set.add(m.ticker);
      this.counters.resyncRequests++;
    }
  }

  private insertSlot(m: MarketBook, value: number): void {
    const mask = this.slots.length - 1;
    let i = m.hash & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = value;
  }

  /** Empties slot `at` and moves later entries of its probe run back (linear probing, no tombstones). */
  private deleteSlot(at: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let hole = at;
    for (let j = (at + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = (this.markets[(slots[j] as number) - 1] as MarketBook).hash & mask;
      // Entry j may fill the hole unless its home lies cyclically in (hole, j].
      const homeInRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!homeInRange) {
        slots[hole] = slots[j] as number;
        hole = j;
      }
    }
    slots[hole] = 0;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let k = 0; k < this.markets.length; k++) this.insertSlot(this.markets[k] as MarketBook, k + 1);
  }
}
