/**
 * Puts the exchange core (`sim/exchange/exchange.ts`) behind the servers' `ExchangePort`.
 * The server's clock owns time: the core gets a clock that reads it, and `step` just runs the
 * core's due work (`tick`) at that time. The core keeps its own request log and counters,
 * surfaced through the port's optional inspection hooks.
 */

import type { SimClock as CoreClock } from "../exchange/clock.ts";
import type { Exchange } from "../exchange/exchange.ts";
import { createExchange } from "../exchange/exchange.ts";
import type { ExchangePort } from "./exchange-port.ts";

export interface CoreExchangeOptions {
  seed: number;
  markets: number;
  /** the server clock's time */
  nowMs: () => number;
  participants?: boolean;
  autoSettle?: boolean;
  /** favourites' news jumps: 1 default, 0 none (ExchangeOptions.volatility) */
  volatility?: number;
}

/** A core clock that only reads the server's clock; the server advances time. */
function readOnlyClock(nowMs: () => number): CoreClock {
  return { now: nowMs, advance: () => {}, advanceTo: () => {} };
}

export function adaptExchange(ex: Exchange): ExchangePort {
  return {
    series: () => ex.series(),
    events: () => ex.events(),
    markets: () => ex.markets(),
    market: (t) => ex.market(t),
    book: (t) => ex.book(t),
    trades: () => ex.trades(),
    ensureUser: (u) => ex.ensureUser(u),
    createOrder: (u, input) => ex.createOrder(u, input),
    batchCreateOrders: (u, inputs) => ex.batchCreateOrders(u, inputs),
    cancelOrder: (u, id) => ex.cancelOrder(u, id),
    batchCancelOrders: (u, ids) => ex.batchCancelOrders(u, ids),
    cancelAll: (u, sub) => ex.cancelAll(u, sub),
    amendOrder: (u, id, input) => ex.amendOrder(u, id, input),
    decreaseOrder: (u, id, input) => ex.decreaseOrder(u, id, input),
    orders: (u) => ex.orders(u),
    fills: (u) => ex.fills(u),
    positions: (u) => ex.positions(u),
    balance: (u) => ex.balance(u),
    settlements: (u) => ex.settlements(u),
    createOrderGroup: (u, input) => ex.createOrderGroup(u, input),
    orderGroup: (u, id) => ex.orderGroup(u, id),
    orderGroups: (u, sub) => ex.orderGroups(u, sub),
    resetOrderGroup: (u, id) => ex.resetOrderGroup(u, id),
    triggerOrderGroup: (u, id) => ex.triggerOrderGroup(u, id),
    updateOrderGroupLimit: (u, id, limit) => ex.updateOrderGroupLimit(u, id, limit),
    deleteOrderGroup: (u, id) => ex.deleteOrderGroup(u, id),
    allOrderGroups: () => ex.allOrderGroups(),
    exchangePaused: () => ex.exchangePaused(),
    setExchangePaused: (paused) => ex.setExchangePaused(paused),
    step: () => ex.tick(),
    onEvent: (l) => ex.subscribe(l),
    placeLiquidity: (t, side, price, count) => ex.placeLiquidity(t, side, price, count),
    pullLiquidity: (t, side, price) => ex.pullLiquidity(t, side, price),
    movePrice: (t, p) => ex.movePrice(t, p),
    tradeThrough: (t, side, p) => ex.tradeThrough(t, side, p),
    setTradingPaused: (t, paused) => ex.setTradingPaused(t, paused),
    closeMarket: (t) => ex.closeMarket(t),
    determineMarket: (t, r) => ex.determineMarket(t, r),
    settleMarket: (t) => ex.settleMarket(t),
    createMarket: (input) => ex.createMarket(input),
    setPriceLevelStructure: (t, structure) => ex.setPriceLevelStructure(t, structure),
    setEventFeeOverride: (e, type, ppm) => ex.setEventFeeOverride(e, type, ppm),
    eventFeeChanges: () => ex.eventFeeChanges(),
    updateMarketMetadata: (t, update) => ex.updateMarketMetadata(t, update),
    inspect: () => ({ users: ex.users(), requests: ex.requests(), counters: ex.counters() }),
  };
}

export function createCoreExchange(opts: CoreExchangeOptions): ExchangePort {
  const ex = createExchange({
    seed: opts.seed,
    markets: opts.markets,
    clock: readOnlyClock(opts.nowMs),
    ...(opts.participants !== undefined ? { participants: opts.participants } : {}),
    ...(opts.autoSettle !== undefined ? { autoSettle: opts.autoSettle } : {}),
    ...(opts.volatility !== undefined ? { volatility: opts.volatility } : {}),
  });
  return adaptExchange(ex);
}
