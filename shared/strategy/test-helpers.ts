/**
 * Builders of domain values for the strategy and risk tests: a liquid favourite market on a
 * published tick grid, its book, positions and orders. Each builder takes overrides, so a table
 * test changes one number and leaves the rest passing. Test support only; nothing in
 * production imports it.
 */

import type { BookView, MarketInfo, Order, Position, TopOfBook } from "../domain.ts";
import { parseTickGrid, priceRangesForStructure, type TickGrid } from "../kalshi/tick-grid.ts";
import type { MarketInput } from "./signal.ts";
import type { AccountView } from "./sizing.ts";

/** 2026-06-01 14:00 UTC, a Monday. */
export const T0 = Date.UTC(2026, 5, 1, 14, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function gridOf(structure: string): TickGrid {
  const ranges = priceRangesForStructure(structure);
  if (ranges === null) throw new Error(`unknown structure ${structure}`);
  return parseTickGrid(ranges);
}

export const DECI_CENT = gridOf("deci_cent");
export const LINEAR_CENT = gridOf("linear_cent");
export const TAPERED = gridOf("tapered_deci_cent");

/**
 * The favourite the tests start from: YES bid 0.899 x 1 000 contracts ($899), YES ask 0.900
 * (NO bid 0.100) x 1 000 contracts: a 1-tick spread on a deci-cent grid.
 */
export function top(o: Partial<TopOfBook> = {}): TopOfBook {
  return { yesBid: 8_990, yesBidSize: 100_000, noBid: 1_000, noBidSize: 100_000, ...o };
}

export function market(o: Partial<MarketInfo> = {}): MarketInfo {
  return {
    ticker: "KXHIGHNY-26JUN01-T80",
    eventTicker: "KXHIGHNY-26JUN01",
    seriesTicker: "KXHIGHNY",
    status: "active",
    openTimeMs: T0 - 24 * HOUR,
    closeTimeMs: T0 + 10 * HOUR,
    grid: DECI_CENT,
    exchangeIndex: 0,
    // 20 000 contracts: $18 000 at 0.90
    volume24h: 2_000_000,
    top: top(),
    fee: { feeType: "quadratic", multiplierPpm: 1_000_000, waiverUntilMs: null },
    canCloseEarly: false,
    multivariate: false,
    ...o,
  };
}

export function book(t: TopOfBook = top(), o: Partial<BookView> = {}): BookView {
  return { ticker: "KXHIGHNY-26JUN01-T80", fresh: true, staleReason: null, confirmedAtMs: T0, top: t, ...o };
}

export function input(o: Partial<MarketInput> = {}): MarketInput {
  return {
    market: market(),
    book: book(),
    position: null,
    workingOrders: [],
    hasUnknownOrder: false,
    nowMs: T0,
    ...o,
  };
}

/** $10 000 of equity, nothing open. */
export function account(o: Partial<AccountView> = {}): AccountView {
  return {
    equity: 10_000_000_000,
    openPositions: 0,
    totalExposure: 0,
    orderGroupRoom: 1_000_000,
    ...o,
  };
}

export function position(o: Partial<Position> = {}): Position {
  return {
    positionId: "pos-1",
    ticker: "KXHIGHNY-26JUN01-T80",
    side: "yes",
    contracts: 10_000,
    cost: 90_000_000,
    fees: 630_000,
    realizedGross: 0,
    maxContracts: 10_000,
    entered: 10_000,
    enteredCost: 0,
    exited: 0,
    exitProceeds: 0,
    bestBid: 8_990,
    worstBid: 8_990,
    openedMs: T0,
    exits: { takeProfit: 9_200, stop: 8_900, deadlineMs: T0 + 2 * HOUR },
    ...o,
  };
}

export function order(o: Partial<Order> = {}): Order {
  return {
    intentId: "intent-1",
    clientOrderId: "c0ffee00-0000-4000-8000-000000000001",
    orderId: "ord-1",
    ticker: "KXHIGHNY-26JUN01-T80",
    side: "yes",
    action: "buy",
    price: 9_000,
    count: 10_000,
    purpose: "entry",
    tif: "immediate_or_cancel",
    postOnly: false,
    reduceOnly: false,
    expirationMs: null,
    positionId: null,
    exchangeIndex: 0,
    orderGroupId: null,
    state: "resting",
    ack: "accepted",
    filled: 0,
    fees: 0,
    fillCost: 0,
    createdMs: T0,
    updatedMs: T0,
    reason: "signal",
    error: null,
    ...o,
  };
}
