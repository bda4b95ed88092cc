/**
 * The bot's one domain vocabulary: markets, books, intents, orders, fills, positions and round
 * trips, in integer units (price $0.0001, count 1/100 contract, money micro-dollars; see
 * `kalshi/units.ts`). Defined once here and used by the feed, the strategy, the risk gate, the
 * order path, history and the admin API alike. Wire shapes (snake_case, dollar strings) stay in
 * `shared/kalshi/`; converters there produce these types. Venue names do not appear in strategy
 * or risk code: they read only this file.
 *
 * Sides. A binary market has two contracts, YES and NO, that pay $1 together. Kalshi's order
 * book and V2 orders speak the YES leg only (`bid` = buy YES, `ask` = sell YES = buy NO at
 * 1 - price). The bot reasons per contract: an intent, an order and a position have a `side`
 * (`yes` | `no`) and prices on that side's own leg (a NO position bought at 0.90 has
 * `avgEntry` 9 000, not 1 000). The executor converts to the YES leg when it builds a request.
 */

import type { TickGrid } from "./kalshi/tick-grid.ts";
import type { CountUnits, MoneyMicros, PriceUnits } from "./kalshi/units.ts";
import { PRICE_SCALE } from "./kalshi/units.ts";

export type { CountUnits, MoneyMicros, PriceUnits, TickGrid };

// ---------------------------------------------------------------- markets and books

/** The contract a position holds or an intent trades. */
export type Side = "yes" | "no";
export type Action = "buy" | "sell";

export function otherSide(s: Side): Side {
  return s === "yes" ? "no" : "yes";
}

/** Kalshi's response statuses (`open`/`settled` are filter words, not statuses). */
export const MARKET_STATUSES = [
  "initialized",
  "active",
  "inactive",
  "closed",
  "determined",
  "disputed",
  "amended",
  "finalized",
] as const;
export type MarketStatus = (typeof MARKET_STATUSES)[number];

export const FEE_TYPES = [
  "quadratic",
  "quadratic_with_maker_fees",
  "quadratic_with_combo_maker_fees",
  "flat",
] as const;
export type FeeType = (typeof FEE_TYPES)[number];

/**
 * A series' fee parameters, with any event override already applied. The multiplier is an
 * integer in parts per million (Kalshi's `fee_multiplier` 1.0 -> 1 000 000), so fee maths stays
 * exact.
 */
export interface FeeParams {
  feeType: FeeType;
  multiplierPpm: number;
  /** Fees are waived until this time (the market's `fee_waiver_expiration_time`); null = no waiver. */
  waiverUntilMs: number | null;
}

/** Kalshi's plain fee multiplier (a JSON number such as 1 or 0.5) -> integer parts per million. */
export function multiplierToPpm(m: number): number {
  if (!Number.isFinite(m) || m < 0 || m > 1_000) throw new RangeError(`fee multiplier ${m} out of range`);
  return Math.round(m * 1_000_000);
}

/**
 * Top of the two bids-only ladders: the best YES bid on the YES leg and the best NO bid on the NO
 * leg, with the size resting there. An empty ladder has a null price and size 0.
 * Asks are implied: YES ask = 1 - best NO bid, resting in the NO bid's size.
 */
export interface TopOfBook {
  yesBid: PriceUnits | null;
  yesBidSize: CountUnits;
  noBid: PriceUnits | null;
  noBidSize: CountUnits;
}

export const EMPTY_TOP: TopOfBook = Object.freeze({ yesBid: null, yesBidSize: 0, noBid: null, noBidSize: 0 });

/** Best bid for `side` on its own leg, or null. */
export function bidOf(top: TopOfBook, side: Side): PriceUnits | null {
  return side === "yes" ? top.yesBid : top.noBid;
}

export function bidSizeOf(top: TopOfBook, side: Side): CountUnits {
  return side === "yes" ? top.yesBidSize : top.noBidSize;
}

/** Best ask for `side` on its own leg (1 - the other side's best bid), or null. */
export function askOf(top: TopOfBook, side: Side): PriceUnits | null {
  const other = side === "yes" ? top.noBid : top.yesBid;
  return other === null ? null : PRICE_SCALE - other;
}

/** Size resting at the best ask of `side` (= at the other side's best bid). */
export function askSizeOf(top: TopOfBook, side: Side): CountUnits {
  return side === "yes" ? top.noBidSize : top.yesBidSize;
}

/** What the strategy, risk and executor know about a market, from REST and lifecycle events. */
export interface MarketInfo {
  ticker: string;
  eventTicker: string;
  /** From the event (`GET /events/{event_ticker}` or `event_lifecycle`), never guessed from the ticker. */
  seriesTicker: string;
  status: MarketStatus;
  openTimeMs: number;
  closeTimeMs: number;
  /** The market's tick grid (`price_ranges`), parsed once. */
  grid: TickGrid;
  /** Shard the market lives on; every order for it carries this. */
  exchangeIndex: number;
  /** 24 h volume in contracts. */
  volume24h: CountUnits;
  /** REST quote at load time (the live book supersedes it). */
  top: TopOfBook;
  /** Null until the series (and event override) is known: no entry without fees. */
  fee: FeeParams | null;
  canCloseEarly: boolean;
  /** Multivariate (combo) market, `KXMVE*`: its lifecycle is on another channel. */
  multivariate: boolean;
}

/** Why a book cannot be traded on. */
export type StaleReason =
  | "no_snapshot"
  | "gap"
  | "over_remove"
  | "off_grid"
  | "bad_frame"
  | "sid_mismatch"
  | "disconnected"
  | "unsubscribed"
  | "subscription_error"
  | "reconnecting"
  | "aged";

/** One market's live book as the strategy sees it. */
export interface BookView {
  ticker: string;
  /** A snapshot on the current socket, nothing untrustworthy since, and confirmed recently. */
  fresh: boolean;
  staleReason: StaleReason | null;
  /** Last moment the book was known current (its own update or an in-order frame on its sid); 0 = never. */
  confirmedAtMs: number;
  top: TopOfBook;
}

// ---------------------------------------------------------------- intents and orders

/** Why an order exists. */
export type Purpose = "entry" | "take_profit" | "stop" | "exit" | "manual";
export const PURPOSES: readonly Purpose[] = ["entry", "take_profit", "stop", "exit", "manual"];

/** Purposes that reduce an open position (paced ahead of entries, never denied by entry limits). */
export function isExitPurpose(p: Purpose): boolean {
  return p === "take_profit" || p === "stop" || p === "exit";
}

export type TimeInForce = "immediate_or_cancel" | "good_till_canceled" | "fill_or_kill";

/** A decision to trade, before the journal gives it an id. Prices on `side`'s own leg. */
export interface Intent {
  ticker: string;
  side: Side;
  action: Action;
  /** Limit price on `side`'s leg, on the market's grid. */
  price: PriceUnits;
  count: CountUnits;
  purpose: Purpose;
  tif: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  /** Good-till-time: resting orders only (Unix ms; sent as seconds). */
  expirationMs: number | null;
  /** The position this order opens or protects; null for a manual order outside any position. */
  positionId: string | null;
  /** A short machine-readable reason (`signal`, `stop_hit`, `timeout`, ...). */
  reason: string;
}

/**
 * An order's life. `pending` = journaled, not yet known to the exchange (in flight, or its answer
 * was lost: see `ack`). The last four are terminal.
 */
export type OrderState =
  | "pending"
  | "resting"
  | "partially_filled"
  | "filled"
  | "cancelled"
  | "expired"
  | "rejected";

export const TERMINAL_STATES: ReadonlySet<OrderState> = new Set([
  "filled",
  "cancelled",
  "expired",
  "rejected",
]);

/**
 * What the exchange said to the create request: nothing yet (`unsent` before the request
 * left or while it is in flight), `accepted`, `rejected` (only on its explicit answer) or
 * `unknown` (timeout, 5xx, 429, lost answer): the order may exist.
 */
export type Ack = "unsent" | "accepted" | "rejected" | "unknown";

/** One journaled order. Prices on `side`'s leg; counts and money in integer units. */
export interface Order {
  intentId: string;
  clientOrderId: string;
  /** Kalshi's id, once known. */
  orderId: string | null;
  ticker: string;
  side: Side;
  action: Action;
  price: PriceUnits;
  count: CountUnits;
  purpose: Purpose;
  tif: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  expirationMs: number | null;
  positionId: string | null;
  exchangeIndex: number;
  orderGroupId: string | null;
  state: OrderState;
  ack: Ack;
  /** Contracts filled; never above `count`. */
  filled: CountUnits;
  /** Fees charged on its fills (`fee_cost`). */
  fees: MoneyMicros;
  /** Sum of price x count of its fills, on `side`'s leg. */
  fillCost: MoneyMicros;
  createdMs: number;
  updatedMs: number;
  reason: string;
  /** Last error or rejection, bounded text. */
  error: string | null;
}

/** Contracts still working on the book (or possibly so, while the outcome is unknown). */
export function openCount(o: Order): CountUnits {
  if (TERMINAL_STATES.has(o.state)) return 0;
  return Math.max(0, o.count - o.filled);
}

/** An unknown order: the exchange may hold it; it blocks entries in its market. */
export function isUnknown(o: Order): boolean {
  return o.state === "pending" && (o.ack === "unknown" || o.ack === "unsent");
}

/**
 * One execution of one of our orders. `yesDelta` is the signed change in YES contracts (+ for a
 * YES-leg bid, - for an ask), so a position is the sum of its fills' deltas.
 */
export interface Fill {
  fillId: string;
  orderId: string;
  ticker: string;
  /** YES-leg execution price. */
  yesPrice: PriceUnits;
  count: CountUnits;
  yesDelta: CountUnits;
  fee: MoneyMicros;
  isTaker: boolean;
  tsMs: number;
}

// ---------------------------------------------------------------- positions

/** The exits a position is kept with. Prices on the position's side. */
export interface ExitPlan {
  /** Resting sell (post-only, expiring) at this price. */
  takeProfit: PriceUnits;
  /** Synthetic: when the best bid reaches it, an immediate-or-cancel exit goes out. */
  stop: PriceUnits;
  /** Leave at the best bid after this (the hold timeout); null = no timeout. */
  deadlineMs: number | null;
}

/** An open position in one market (Kalshi nets: one side at a time). */
export interface Position {
  positionId: string;
  ticker: string;
  side: Side;
  /** Held contracts, > 0 while open. */
  contracts: CountUnits;
  /** Paid for the contracts held (price x count on `side`'s leg); avg entry = cost / contracts. */
  cost: MoneyMicros;
  /** All fees of this round trip so far. */
  fees: MoneyMicros;
  /** Realised on the contracts sold so far, before fees. */
  realizedGross: MoneyMicros;
  /** Largest contracts held during the round trip. */
  maxContracts: CountUnits;
  /** Contracts bought during the round trip, and what they cost (the average entry is their ratio). */
  entered: CountUnits;
  enteredCost: MoneyMicros;
  /** Contracts sold during the round trip (the average exit is `exitProceeds / exited`). */
  exited: CountUnits;
  /** Sum of exit proceeds (price x count) so far. */
  exitProceeds: MoneyMicros;
  /** Best and worst bid seen on `side` while open (excursions are measured against the average entry). */
  bestBid: PriceUnits;
  worstBid: PriceUnits;
  openedMs: number;
  exits: ExitPlan | null;
}

/** Average entry on `side`'s leg, in price units (rounded to the nearest unit; exact money is `cost`). */
export function avgEntry(p: Position): PriceUnits {
  return p.contracts === 0 ? 0 : Math.round(p.cost / p.contracts);
}

/** Why a round trip ended. */
export type ExitReason =
  | "take_profit"
  | "stop"
  | "timeout"
  | "pre_close"
  | "deactivated"
  | "settled"
  | "flatten"
  | "manual"
  | "external";

/** A closed round trip (entry to flat), for history and the daily report. */
export interface RoundTrip {
  positionId: string;
  ticker: string;
  side: Side;
  contracts: CountUnits;
  /** Average entry and exit on `side`'s leg (price units, rounded). */
  avgEntry: PriceUnits;
  avgExit: PriceUnits;
  openedMs: number;
  closedMs: number;
  reason: ExitReason;
  fees: MoneyMicros;
  /** Net of fees. */
  pnl: MoneyMicros;
}

// ---------------------------------------------------------------- trading state

/** `active` trades; `reducing` only exits; `halted` cancels what adds risk and keeps exits protected. */
export type TradingState = "active" | "reducing" | "halted";
