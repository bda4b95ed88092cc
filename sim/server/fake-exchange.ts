/**
 * A deliberately small exchange behind the `ExchangePort`, so the servers can be built and
 * tested before the real core (`sim/exchange/`) lands, and so server tests exercise plumbing
 * rather than matching rules. Price-time matching at the resting order's price, no fees, no
 * position netting in cash (buying YES costs price x count, buying NO costs (1 - price) x count).
 * Deterministic: ids come from counters, markets from the seed.
 */

import type { CountUnits, MoneyMicros, PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type {
  BookView,
  CreateOrderInput,
  CreateOrderOutcome,
  ExchangeEvent,
  Level,
  Rejection,
  Result,
  SimEvent,
  SimFill,
  SimMarket,
  SimOrder,
  SimPosition,
  SimSeries,
  SimSettlement,
} from "../exchange/types.ts";
import type { AmendInput, CancelOutcome, DecreaseInput, ExchangePort, SimTrade } from "./exchange-port.ts";

export const HOUSE_USER = "sim-house";
const START_BALANCE: MoneyMicros = 10_000 * 1_000_000; // $10,000

export interface FakeExchangeOptions {
  seed?: number;
  markets?: number;
  nowMs: number;
}

function reject(status: number, code: string, message: string, details = ""): Rejection {
  return { ok: false, status, code, message, details };
}

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).padStart(width, "0").slice(-width);
}

export function createFakeExchange(opts: FakeExchangeOptions): ExchangePort {
  const seed = opts.seed ?? 1;
  const nMarkets = Math.max(1, opts.markets ?? 3);
  const listeners = new Set<(ev: ExchangeEvent) => void>();
  const series: SimSeries[] = [
    {
      ticker: "KXSIM",
      title: "Simulated series",
      category: "Simulated",
      feeType: "quadratic",
      feeMultiplierPpm: 1_000_000,
    },
  ];
  const events: SimEvent[] = [];
  const markets = new Map<string, SimMarket>();
  const orders = new Map<string, SimOrder>();
  const fills: SimFill[] = [];
  const trades: SimTrade[] = [];
  const positions = new Map<string, SimPosition>(); // key user|ticker
  const balances = new Map<string, MoneyMicros>();
  const settlements: (SimSettlement & { userId: string })[] = [];
  let nextOrder = 1;
  let nextTrade = 1;

  for (let e = 0; e < Math.ceil(nMarkets / 3); e++) {
    events.push({
      eventTicker: `KXSIM-${seed}E${e}`,
      seriesTicker: "KXSIM",
      title: `Simulated event ${e}`,
      exchangeIndex: 0,
    });
  }
  for (let i = 0; i < nMarkets; i++) {
    const ev = events[Math.floor(i / 3)] as SimEvent;
    const ticker = `${ev.eventTicker}-M${i}`;
    markets.set(ticker, {
      ticker,
      eventTicker: ev.eventTicker,
      seriesTicker: "KXSIM",
      marketId: `${hex(seed, 8)}-0000-4000-8000-${hex(i, 12)}`,
      status: "active",
      openTimeMs: opts.nowMs - 3_600_000,
      closeTimeMs: opts.nowMs + 86_400_000,
      expectedExpirationTimeMs: opts.nowMs + 90_000_000,
      priceLevelStructure: "linear_cent",
      priceRanges: [{ start: 0, end: PRICE_SCALE, step: 100 }],
      exchangeIndex: 0,
      result: "",
      eventualOutcome: i % 2 === 0 ? "yes" : "no",
      lastPrice: 5000,
      volume: 0,
      volume24h: 0,
      openInterest: 0,
      settlementTimerSeconds: 60,
      canCloseEarly: true,
      updatedTimeMs: opts.nowMs,
    });
  }

  function emit(ev: ExchangeEvent): void {
    for (const l of listeners) l(ev);
  }

  function bookDelta(o: SimOrder, delta: CountUnits, tsMs: number): void {
    const m = markets.get(o.ticker) as SimMarket;
    const side = o.side === "bid" ? "yes" : "no";
    const price = o.side === "bid" ? o.price : PRICE_SCALE - o.price;
    emit({
      kind: "book_delta",
      ticker: o.ticker,
      marketId: m.marketId,
      side,
      price,
      delta,
      tsMs,
      user: o.userId,
      clientOrderId: o.clientOrderId,
    });
  }

  function position(userId: string, ticker: string): SimPosition {
    const key = `${userId}|${ticker}`;
    let p = positions.get(key);
    if (!p) {
      p = {
        ticker,
        position: 0,
        marketExposure: 0,
        totalTraded: 0,
        realizedPnl: 0,
        feesPaid: 0,
        volume: 0,
        lastUpdatedMs: 0,
        exchangeIndex: 0,
      };
      positions.set(key, p);
    }
    return p;
  }

  function applyFill(
    o: SimOrder,
    price: PriceUnits,
    count: CountUnits,
    isTaker: boolean,
    tradeId: string,
    tsMs: number,
  ): SimFill {
    o.fillCount += count;
    o.remainingCount -= count;
    const cost = o.side === "bid" ? price * count : (PRICE_SCALE - price) * count;
    if (isTaker) o.takerFillCost += cost;
    else o.makerFillCost += cost;
    o.lastUpdateTimeMs = tsMs;
    o.lastUpdateReason = "Trade";
    if (o.remainingCount === 0) o.status = "executed";
    balances.set(o.userId, (balances.get(o.userId) ?? START_BALANCE) - cost);
    const p = position(o.userId, o.ticker);
    p.position += o.side === "bid" ? count : -count;
    p.marketExposure += cost;
    p.totalTraded += cost;
    p.volume += count;
    p.lastUpdatedMs = tsMs;
    const fill: SimFill = {
      fillId: tradeId,
      tradeId,
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      userId: o.userId,
      ticker: o.ticker,
      side: o.side,
      outcomeSide: o.side === "bid" ? "yes" : "no",
      yesPrice: price,
      count,
      isTaker,
      fee: 0,
      postPosition: p.position,
      tsMs,
      exchangeIndex: 0,
      subaccount: o.subaccount,
    };
    fills.push(fill);
    emit({ kind: "fill", user: o.userId, fill });
    emit({ kind: "order", user: o.userId, order: { ...o } });
    emit({ kind: "position", user: o.userId, ticker: o.ticker, position: { ...p } });
    return fill;
  }

  /** Matches `taker` against resting orders of the other side; returns the taker's fills. */
  function match(taker: SimOrder, tsMs: number): SimFill[] {
    const out: SimFill[] = [];
    const m = markets.get(taker.ticker) as SimMarket;
    for (;;) {
      if (taker.remainingCount === 0) break;
      let best: SimOrder | undefined;
      for (const o of orders.values()) {
        if (o.ticker !== taker.ticker || o.status !== "resting" || o.side === taker.side) continue;
        const crosses = taker.side === "bid" ? o.price <= taker.price : o.price >= taker.price;
        if (!crosses) continue;
        const better = !best || (taker.side === "bid" ? o.price < best.price : o.price > best.price);
        if (better) best = o;
      }
      if (!best) break;
      if (best.userId === taker.userId) {
        if (taker.selfTradePrevention === "taker_at_cross") {
          taker.lastUpdateReason = "SelfTradeCancel";
          taker.remainingCount = 0;
          taker.status = "canceled";
          break;
        }
        cancelResting(best, "SelfTradeCancel", tsMs);
        continue;
      }
      const count = Math.min(best.remainingCount, taker.remainingCount);
      const tradeId = `${hex(seed, 8)}-7000-4000-8000-${hex(nextTrade++, 12)}`;
      bookDelta(best, -count, tsMs);
      out.push(applyFill(taker, best.price, count, true, tradeId, tsMs));
      applyFill(best, best.price, count, false, tradeId, tsMs);
      const t: SimTrade = {
        tradeId,
        ticker: taker.ticker,
        yesPrice: best.price,
        count,
        takerSide: taker.side,
        tsMs,
      };
      trades.push(t);
      m.lastPrice = best.price;
      m.volume += count;
      m.volume24h += count;
      m.updatedTimeMs = tsMs;
      emit({ kind: "trade", ...t });
      emit({ kind: "ticker", ticker: m.ticker, marketId: m.marketId, tsMs });
    }
    return out;
  }

  function cancelResting(o: SimOrder, reason: string, tsMs: number): CountUnits {
    const reduced = o.remainingCount;
    if (reduced > 0) bookDelta(o, -reduced, tsMs);
    o.remainingCount = 0;
    o.status = "canceled";
    o.lastUpdateReason = reason;
    o.lastUpdateTimeMs = tsMs;
    emit({ kind: "order", user: o.userId, order: { ...o } });
    return reduced;
  }

  function tradeable(ticker: string): Result<SimMarket> {
    const m = markets.get(ticker);
    if (!m) return reject(404, "market_not_found", "market not found");
    if (m.status !== "active")
      return reject(400, "market_inactive", "market is not active", "MARKET_INACTIVE");
    return { ok: true, value: m };
  }

  function onGrid(m: SimMarket, price: PriceUnits): boolean {
    if (price <= 0 || price >= PRICE_SCALE) return false;
    return m.priceRanges.some((r) => price >= r.start && price <= r.end && (price - r.start) % r.step === 0);
  }

  function newOrder(userId: string, input: CreateOrderInput, nowMs: number): Result<SimOrder> {
    const mt = tradeable(input.ticker);
    if (!mt.ok) return mt;
    if (!onGrid(mt.value, input.price))
      return reject(400, "invalid_price", "price is not on the market's tick grid");
    if (input.count <= 0) return reject(400, "invalid_order_size", "count must be positive");
    const cid = input.clientOrderId ?? "";
    if (cid !== "") {
      for (const o of orders.values()) {
        if (o.userId === userId && o.clientOrderId === cid)
          return reject(409, "order_already_exists", "order already exists");
      }
    }
    const order: SimOrder = {
      orderId: `${hex(seed, 8)}-0d00-4000-8000-${hex(nextOrder++, 12)}`,
      userId,
      clientOrderId: cid,
      ticker: input.ticker,
      side: input.side,
      price: input.price,
      initialCount: input.count,
      fillCount: 0,
      remainingCount: input.count,
      status: "resting",
      timeInForce: input.timeInForce,
      selfTradePrevention: input.selfTradePrevention,
      postOnly: input.postOnly ?? false,
      reduceOnly: input.reduceOnly ?? false,
      cancelOrderOnPause: input.cancelOrderOnPause ?? false,
      takerFillCost: 0,
      makerFillCost: 0,
      takerFees: 0,
      makerFees: 0,
      createdTimeMs: nowMs,
      lastUpdateTimeMs: nowMs,
      exchangeIndex: 0,
      subaccount: input.subaccount ?? 0,
    };
    if (input.expirationTimeSec !== undefined) order.expirationTimeSec = input.expirationTimeSec;
    return { ok: true, value: order };
  }

  function submit(userId: string, input: CreateOrderInput, nowMs: number): Result<CreateOrderOutcome> {
    const r = newOrder(userId, input, nowMs);
    if (!r.ok) return r;
    const order = r.value;
    orders.set(order.orderId, order);
    const taker = match(order, nowMs);
    if (order.status === "resting") {
      if (order.timeInForce !== "good_till_canceled") {
        order.status = "canceled";
        order.remainingCount = 0;
      } else {
        bookDelta(order, order.remainingCount, nowMs);
      }
    }
    emit({ kind: "order", user: userId, order: { ...order } });
    return { ok: true, value: { order: { ...order }, fills: taker } };
  }

  function ownOrder(userId: string, orderId: string): Result<SimOrder> {
    const o = orders.get(orderId);
    if (!o || o.userId !== userId) return reject(404, "not_found", "order not found");
    return { ok: true, value: o };
  }

  function book(ticker: string): BookView | undefined {
    if (!markets.has(ticker)) return undefined;
    const yes = new Map<number, number>();
    const no = new Map<number, number>();
    for (const o of orders.values()) {
      if (o.ticker !== ticker || o.status !== "resting") continue;
      if (o.side === "bid") yes.set(o.price, (yes.get(o.price) ?? 0) + o.remainingCount);
      else no.set(PRICE_SCALE - o.price, (no.get(PRICE_SCALE - o.price) ?? 0) + o.remainingCount);
    }
    const ladder = (m: Map<number, number>): Level[] =>
      [...m.entries()]
        .filter(([, c]) => c > 0)
        .sort((a, b) => a[0] - b[0])
        .map(([p, c]) => [p, c] as const);
    return { yesBids: ladder(yes), noBids: ladder(no) };
  }

  function lifecycle(
    m: SimMarket,
    eventType: Extract<ExchangeEvent, { kind: "lifecycle" }>["eventType"],
    nowMs: number,
  ): void {
    m.updatedTimeMs = nowMs;
    emit({ kind: "lifecycle", ticker: m.ticker, eventType, tsMs: nowMs });
  }

  const port: ExchangePort = {
    series: () => series,
    events: () => events,
    markets: () => [...markets.values()],
    market: (t) => markets.get(t),
    book,
    trades: () => trades,
    ensureUser(userId) {
      if (!balances.has(userId)) balances.set(userId, START_BALANCE);
    },
    createOrder: submit,
    cancelOrder(userId, orderId, nowMs): Result<CancelOutcome> {
      const r = ownOrder(userId, orderId);
      if (!r.ok) return r;
      const o = r.value;
      const m = markets.get(o.ticker) as SimMarket;
      if (m.status === "closed" || m.status === "determined" || m.status === "finalized") {
        return reject(400, "market_inactive", "market is not active", "MARKET_INACTIVE");
      }
      if (o.status !== "resting") return reject(404, "not_found", "order is not resting");
      const reducedBy = cancelResting(o, "Canceled", nowMs);
      return { ok: true, value: { order: { ...o }, reducedBy } };
    },
    cancelAll(userId, subaccount, nowMs) {
      const out: SimOrder[] = [];
      for (const o of orders.values()) {
        if (o.userId !== userId || o.status !== "resting") continue;
        if (subaccount !== undefined && o.subaccount !== subaccount) continue;
        cancelResting(o, "Canceled", nowMs);
        out.push({ ...o });
      }
      return out;
    },
    amendOrder(userId, orderId, input: AmendInput, nowMs) {
      const r = ownOrder(userId, orderId);
      if (!r.ok) return r;
      const o = r.value;
      if (o.ticker !== input.ticker)
        return reject(400, "order_ticker_mismatch", "ticker does not match the order");
      if (o.side !== input.side) return reject(400, "order_side_mismatch", "side does not match the order");
      if (o.status !== "resting") return reject(400, "invalid_order", "order is not resting");
      const mt = tradeable(o.ticker);
      if (!mt.ok) return mt;
      if (!onGrid(mt.value, input.price))
        return reject(400, "invalid_price", "price is not on the market's tick grid");
      const remaining = input.count - o.fillCount;
      if (remaining <= 0) return reject(400, "invalid_order_size", "count must exceed the filled count");
      bookDelta(o, -o.remainingCount, nowMs);
      o.price = input.price;
      o.initialCount = input.count;
      o.remainingCount = remaining;
      o.lastUpdateReason = "Amend";
      o.lastUpdateTimeMs = nowMs;
      if (input.updatedClientOrderId) o.clientOrderId = input.updatedClientOrderId;
      const taker = match(o, nowMs);
      if (o.status === "resting") bookDelta(o, o.remainingCount, nowMs);
      emit({ kind: "order", user: userId, order: { ...o } });
      return { ok: true, value: { order: { ...o }, fills: taker } };
    },
    decreaseOrder(userId, orderId, input: DecreaseInput, nowMs) {
      const r = ownOrder(userId, orderId);
      if (!r.ok) return r;
      const o = r.value;
      if (o.status !== "resting") return reject(400, "invalid_order", "order is not resting");
      const target = input.reduceTo !== undefined ? input.reduceTo : o.remainingCount - (input.reduceBy ?? 0);
      if (target < 0 || target > o.remainingCount)
        return reject(400, "invalid_order_size", "invalid decrease");
      bookDelta(o, target - o.remainingCount, nowMs);
      o.initialCount -= o.remainingCount - target;
      o.remainingCount = target;
      if (target === 0) o.status = "canceled";
      o.lastUpdateReason = "Decrease";
      o.lastUpdateTimeMs = nowMs;
      emit({ kind: "order", user: userId, order: { ...o } });
      return { ok: true, value: { ...o } };
    },
    orders: (userId) => [...orders.values()].filter((o) => o.userId === userId).map((o) => ({ ...o })),
    fills: (userId) => fills.filter((f) => f.userId === userId),
    positions: (userId) =>
      [...positions.entries()]
        .filter(([k, p]) => k.startsWith(`${userId}|`) && p.position !== 0)
        .map(([, p]) => ({ ...p })),
    balance: (userId) => balances.get(userId) ?? START_BALANCE,
    settlements: (userId) => settlements.filter((s) => s.userId === userId),
    step(nowMs) {
      for (const o of orders.values()) {
        if (
          o.status === "resting" &&
          o.expirationTimeSec !== undefined &&
          o.expirationTimeSec * 1000 <= nowMs
        ) {
          cancelResting(o, "ExpiryCancel", nowMs);
        }
      }
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    placeLiquidity(ticker, side, price, count, nowMs) {
      const r = submit(
        HOUSE_USER,
        { ticker, side, price, count, timeInForce: "good_till_canceled", selfTradePrevention: "maker" },
        nowMs,
      );
      return r.ok ? { ok: true, value: r.value.order } : r;
    },
    pullLiquidity(ticker, side, price, nowMs) {
      let n = 0;
      for (const o of orders.values()) {
        if (o.userId !== HOUSE_USER || o.ticker !== ticker || o.status !== "resting") continue;
        if (side !== undefined && o.side !== side) continue;
        if (price !== undefined && o.price !== price) continue;
        cancelResting(o, "Canceled", nowMs);
        n++;
      }
      return n;
    },
    movePrice(ticker, yesPrice, nowMs) {
      const m = markets.get(ticker);
      if (!m) return reject(404, "market_not_found", "market not found");
      port.pullLiquidity(ticker, undefined, undefined, nowMs);
      const step = m.priceRanges[0]?.step ?? 100;
      if (yesPrice - step > 0) port.placeLiquidity(ticker, "bid", yesPrice - step, 10_000, nowMs);
      if (yesPrice + step < PRICE_SCALE) port.placeLiquidity(ticker, "ask", yesPrice + step, 10_000, nowMs);
      m.lastPrice = yesPrice;
      emit({ kind: "ticker", ticker, marketId: m.marketId, tsMs: nowMs });
      return { ok: true, value: true };
    },
    tradeThrough(ticker, side, price, nowMs) {
      const before = trades.length;
      const bv = book(ticker);
      if (!bv) return reject(404, "market_not_found", "market not found");
      const levels =
        side === "bid"
          ? bv.noBids.filter(([p]) => PRICE_SCALE - p <= price)
          : bv.yesBids.filter(([p]) => p >= price);
      const total = levels.reduce((s, [, c]) => s + c, 0);
      if (total > 0) {
        const r = submit(
          HOUSE_USER,
          {
            ticker,
            side,
            price,
            count: total,
            timeInForce: "immediate_or_cancel",
            selfTradePrevention: "maker",
          },
          nowMs,
        );
        if (!r.ok) return r;
      }
      return { ok: true, value: trades.slice(before) };
    },
    setTradingPaused(ticker, paused, nowMs) {
      const m = markets.get(ticker);
      if (!m) return reject(404, "market_not_found", "market not found");
      m.status = paused ? "inactive" : "active";
      lifecycle(m, paused ? "deactivated" : "activated", nowMs);
      return { ok: true, value: true };
    },
    closeMarket(ticker, nowMs) {
      const m = markets.get(ticker);
      if (!m) return reject(404, "market_not_found", "market not found");
      m.status = "closed";
      m.closeTimeMs = nowMs;
      for (const o of orders.values())
        if (o.ticker === ticker && o.status === "resting") cancelResting(o, "CloseCancel", nowMs);
      lifecycle(m, "close_date_updated", nowMs);
      return { ok: true, value: true };
    },
    determineMarket(ticker, result, nowMs) {
      const m = markets.get(ticker);
      if (!m) return reject(404, "market_not_found", "market not found");
      if (m.status !== "closed") port.closeMarket(ticker, nowMs);
      m.status = "determined";
      m.result = result;
      lifecycle(m, "determined", nowMs);
      return { ok: true, value: true };
    },
    settleMarket(ticker, nowMs) {
      const m = markets.get(ticker);
      if (!m) return reject(404, "market_not_found", "market not found");
      if (m.result === "") return reject(400, "invalid_order", "market is not determined");
      for (const [key, p] of positions) {
        if (p.ticker !== ticker || p.position === 0) continue;
        const userId = key.slice(0, key.indexOf("|"));
        const won = (p.position > 0 && m.result === "yes") || (p.position < 0 && m.result === "no");
        const revenue = won ? Math.abs(p.position) * PRICE_SCALE : 0;
        balances.set(userId, (balances.get(userId) ?? START_BALANCE) + revenue);
        settlements.push({
          userId,
          ticker,
          eventTicker: m.eventTicker,
          marketResult: m.result,
          yesCount: Math.max(0, p.position),
          noCount: Math.max(0, -p.position),
          yesTotalCost: p.position > 0 ? p.marketExposure : 0,
          noTotalCost: p.position < 0 ? p.marketExposure : 0,
          revenue,
          feeCost: 0,
          settledTimeMs: nowMs,
          exchangeIndex: 0,
        });
        p.position = 0;
        p.marketExposure = 0;
      }
      m.status = "finalized";
      lifecycle(m, "settled", nowMs);
      return { ok: true, value: true };
    },
  };
  return port;
}
