/**
 * Accounts of the simulated exchange: cash, balance held for resting buys, net positions per
 * market, fills and settlements. Positions net as on Kalshi: every order buys one leg (a bid
 * buys YES at p, an ask buys NO at 1 - p); buying the leg opposite to what you hold closes
 * contracts, and each closed YES+NO pair pays $1 back at once. Pure bookkeeping in integer
 * micro-dollars; the exchange decides when to call it.
 */

import type { CountUnits, MoneyMicros, PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { BookSide, SimFill, SimMarket, SimOrder, SimPosition, SimSettlement } from "./types.ts";

export interface PositionState {
  position: CountUnits; // + YES, - NO
  /** what was paid for the contracts held now */
  cost: MoneyMicros;
  realizedPnl: MoneyMicros;
  feesPaid: MoneyMicros;
  volume: CountUnits;
  totalTraded: MoneyMicros;
  lastUpdatedMs: number;
  exchangeIndex: number;
}

export interface Account {
  userId: string;
  cash: MoneyMicros;
  /** sum of `reserved` over this account's resting orders */
  reserved: MoneyMicros;
  /** simulated participants: no balance checks, no history kept */
  unlimited: boolean;
  positions: Map<string, PositionState>;
  fills: SimFill[];
  settlements: SimSettlement[];
  clientOrderIds: Set<string>;
  orders: Map<string, SimOrder>;
}

export function createAccount(userId: string, cash: MoneyMicros, unlimited: boolean): Account {
  return {
    userId,
    cash,
    reserved: 0,
    unlimited,
    positions: new Map(),
    fills: [],
    settlements: [],
    clientOrderIds: new Set(),
    orders: new Map(),
  };
}

/** floor(a x b / c) without losing precision past 2^53 */
export function mulDiv(a: number, b: number, c: number): number {
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

/** The price paid per contract of the leg an order buys. */
export function legPrice(side: BookSide, yesPrice: PriceUnits): PriceUnits {
  return side === "bid" ? yesPrice : PRICE_SCALE - yesPrice;
}

/** Contracts of the opposite leg a buy on `side` would close (0 if it would open or add). */
export function closable(position: CountUnits, side: BookSide): CountUnits {
  if (side === "bid") return position < 0 ? -position : 0;
  return position > 0 ? position : 0;
}

export function positionOf(acct: Account, ticker: string): CountUnits {
  return acct.positions.get(ticker)?.position ?? 0;
}

export function available(acct: Account): MoneyMicros {
  return acct.cash - acct.reserved;
}

export interface FillEffect {
  postPosition: CountUnits;
  /** change in open interest (YES contracts held) caused by this side of the trade */
  openInterestDelta: CountUnits;
}

/** Book one side of a trade: `side` bought `count` at YES price `yesPrice`, paying `fee`. */
export function applyFill(
  acct: Account,
  ticker: string,
  exchangeIndex: number,
  side: BookSide,
  yesPrice: PriceUnits,
  count: CountUnits,
  fee: MoneyMicros,
  nowMs: number,
): FillEffect {
  let st = acct.positions.get(ticker);
  if (!st) {
    st = {
      position: 0,
      cost: 0,
      realizedPnl: 0,
      feesPaid: 0,
      volume: 0,
      totalTraded: 0,
      lastUpdatedMs: nowMs,
      exchangeIndex,
    };
    acct.positions.set(ticker, st);
  }
  const before = st.position;
  const price = legPrice(side, yesPrice);
  const held = Math.abs(before);
  const closed = Math.min(count, closable(before, side));
  const removedCost = closed === 0 ? 0 : closed === held ? st.cost : mulDiv(st.cost, closed, held);
  // pay for the leg bought, get $1 back per YES+NO pair netted away
  acct.cash += closed * PRICE_SCALE - price * count - fee;
  st.realizedPnl += closed * PRICE_SCALE - price * closed - removedCost;
  st.cost += price * (count - closed) - removedCost;
  st.position = before + (side === "bid" ? count : -count);
  st.feesPaid += fee;
  st.volume += count;
  st.totalTraded += price * count;
  st.lastUpdatedMs = nowMs;
  return {
    postPosition: st.position,
    openInterestDelta: Math.max(st.position, 0) - Math.max(before, 0),
  };
}

export function positionView(ticker: string, st: PositionState): SimPosition {
  return {
    ticker,
    position: st.position,
    marketExposure: st.cost,
    totalTraded: st.totalTraded,
    realizedPnl: st.realizedPnl,
    feesPaid: st.feesPaid,
    volume: st.volume,
    lastUpdatedMs: st.lastUpdatedMs,
    exchangeIndex: st.exchangeIndex,
  };
}

/**
 * Settle `acct`'s position in a determined market: $1 per winning contract. Returns the
 * settlement record and removes the position (Kalshi lists only unsettled positions), or
 * undefined when the account never traded the market.
 */
export function settlePosition(acct: Account, market: SimMarket, nowMs: number): SimSettlement | undefined {
  const st = acct.positions.get(market.ticker);
  if (!st || market.result === "") return undefined;
  const pos = st.position;
  const won = (market.result === "yes" && pos > 0) || (market.result === "no" && pos < 0);
  const revenue = won ? Math.abs(pos) * PRICE_SCALE : 0;
  acct.cash += revenue;
  st.realizedPnl += revenue - st.cost;
  acct.positions.delete(market.ticker);
  return {
    ticker: market.ticker,
    eventTicker: market.eventTicker,
    marketResult: market.result,
    yesCount: Math.max(pos, 0),
    noCount: Math.max(-pos, 0),
    yesTotalCost: pos > 0 ? st.cost : 0,
    noTotalCost: pos < 0 ? st.cost : 0,
    revenue,
    feeCost: 0,
    settledTimeMs: nowMs,
    exchangeIndex: st.exchangeIndex,
  };
}
