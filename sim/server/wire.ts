/**
 * Exchange state (integer units) -> Kalshi's wire JSON (snake_case, fixed-point strings).
 * Field names and units follow Kalshi's REST schemas and its AsyncAPI spec's examples:
 * prices `"0.5600"`, counts `"10.00"`, order money 6 decimals, position money 4 decimals,
 * and the mixed units Kalshi keeps (balance and settlement revenue in integer cents).
 */

import type { CountUnits, MoneyMicros, PriceUnits } from "../../shared/kalshi/units.ts";
import { formatCount, formatMoney, formatPrice, PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { SimOrderGroup } from "../exchange/order-groups.ts";
import type {
  BookSide,
  BookView,
  Level,
  OutcomeSide,
  PriceRange,
  SimEvent,
  SimEventFeeChange,
  SimFill,
  SimMarket,
  SimOrder,
  SimPosition,
  SimSeries,
  SimSettlement,
  SimTrade,
} from "../exchange/types.ts";
import { isMultivariate } from "../exchange/types.ts";

export type Json = Record<string, unknown>;

/** RFC3339 without milliseconds, as Kalshi prints times (`2022-11-22T20:44:01Z`). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Money with 4 decimals (positions, market notional): truncates below $0.0001. */
export function money4(m: MoneyMicros): string {
  const s = formatMoney(m);
  return s.slice(0, s.length - 2);
}

/** Integer cents, truncating toward zero (Balance.balance, Settlement.revenue). */
export function cents(m: MoneyMicros): number {
  return Math.trunc(m / 10_000);
}

export function bestBid(levels: readonly Level[]): Level | undefined {
  let best: Level | undefined;
  for (const l of levels) if (!best || l[0] > best[0]) best = l;
  return best;
}

export function levelsJson(levels: readonly Level[]): [string, string][] {
  return [...levels].sort((a, b) => a[0] - b[0]).map(([p, c]) => [formatPrice(p), formatCount(c)]);
}

/** Top of book in YES terms: bid = best YES bid, ask = 1 - best NO bid. */
export function topOfBook(book: BookView | undefined): {
  bid: PriceUnits;
  bidSize: CountUnits;
  ask: PriceUnits;
  askSize: CountUnits;
} {
  const yb = book ? bestBid(book.yesBids) : undefined;
  const nb = book ? bestBid(book.noBids) : undefined;
  return {
    bid: yb ? yb[0] : 0,
    bidSize: yb ? yb[1] : 0,
    ask: nb ? PRICE_SCALE - nb[0] : PRICE_SCALE,
    askSize: nb ? nb[1] : 0,
  };
}

/** bid = YES, ask = NO (asyncapi `outcome_side`: buy-yes and sell-no are `yes`). */
export function outcomeOf(side: BookSide): OutcomeSide {
  return side === "bid" ? "yes" : "no";
}

/** `price_ranges` as Kalshi sends them (REST Market, WS lifecycle `created` / `price_level_structure_updated`). */
export function priceRangesJson(ranges: readonly PriceRange[]): Json[] {
  return ranges.map((r) => ({
    start: formatPrice(r.start),
    end: formatPrice(r.end),
    step: formatPrice(r.step),
  }));
}

/** Counts and order money, alike in REST `Order` and WS `user_order`. */
function orderAmountsJson(o: SimOrder): Json {
  return {
    fill_count_fp: formatCount(o.fillCount),
    remaining_count_fp: formatCount(o.remainingCount),
    initial_count_fp: formatCount(o.initialCount),
    taker_fill_cost_dollars: formatMoney(o.takerFillCost),
    maker_fill_cost_dollars: formatMoney(o.makerFillCost),
    taker_fees_dollars: formatMoney(o.takerFees),
    maker_fees_dollars: formatMoney(o.makerFees),
  };
}

export function marketJson(m: SimMarket, book: BookView | undefined): Json {
  const top = topOfBook(book);
  const out: Json = {
    ticker: m.ticker,
    event_ticker: m.eventTicker,
    market_type: "binary",
    yes_sub_title: m.yesSubTitle,
    no_sub_title: "",
    created_time: rfc3339(m.openTimeMs),
    status: m.status,
    open_time: rfc3339(m.openTimeMs),
    close_time: rfc3339(m.closeTimeMs),
    expected_expiration_time: rfc3339(m.expectedExpirationTimeMs),
    latest_expiration_time: rfc3339(m.expectedExpirationTimeMs),
    expiration_time: rfc3339(m.expectedExpirationTimeMs),
    settlement_timer_seconds: m.settlementTimerSeconds,
    can_close_early: m.canCloseEarly,
    yes_bid_dollars: formatPrice(top.bid),
    yes_ask_dollars: formatPrice(top.ask),
    no_bid_dollars: formatPrice(PRICE_SCALE - top.ask),
    no_ask_dollars: formatPrice(PRICE_SCALE - top.bid),
    yes_bid_size_fp: formatCount(top.bidSize),
    yes_ask_size_fp: formatCount(top.askSize),
    last_price_dollars: formatPrice(m.lastPrice),
    previous_yes_bid_dollars: formatPrice(top.bid),
    previous_yes_ask_dollars: formatPrice(top.ask),
    previous_price_dollars: formatPrice(m.lastPrice),
    volume_fp: formatCount(m.volume),
    volume_24h_fp: formatCount(m.volume24h),
    open_interest_fp: formatCount(m.openInterest),
    notional_value_dollars: "1.0000",
    liquidity_dollars: "0.0000",
    result: m.result,
    expiration_value: "",
    price_level_structure: m.priceLevelStructure,
    price_ranges: priceRangesJson(m.priceRanges),
    exchange_index: m.exchangeIndex,
    rules_primary: "",
    rules_secondary: "",
    strike_type: m.strikeType,
    updated_time: rfc3339(m.updatedTimeMs),
    fractional_trading_enabled: true,
  };
  if (m.floorStrike !== undefined) out.floor_strike = m.floorStrike;
  if (m.capStrike !== undefined) out.cap_strike = m.capStrike;
  // a combo market names its collection (the sim's collection is its series)
  if (isMultivariate(m.seriesTicker)) out.mve_collection_ticker = m.seriesTicker;
  if (m.result !== "") out.settlement_value_dollars = m.result === "yes" ? "1.0000" : "0.0000";
  return out;
}

/** Kalshi's `EventData`; the override fields appear only while an override is set. */
export function eventJson(e: SimEvent, markets?: Json[]): Json {
  const out: Json = {
    event_ticker: e.eventTicker,
    series_ticker: e.seriesTicker,
    title: e.title,
    sub_title: e.subTitle,
    mutually_exclusive: false,
    category: "Simulated",
    collateral_return_type: e.collateralReturnType,
    available_on_brokers: true,
    last_updated_ts: rfc3339(e.lastUpdatedMs),
    exchange_index: e.exchangeIndex,
  };
  if (e.feeTypeOverride !== null && e.feeMultiplierOverridePpm !== null) {
    out.fee_type_override = e.feeTypeOverride;
    out.fee_multiplier_override = e.feeMultiplierOverridePpm / 1_000_000;
  }
  if (markets) out.markets = markets;
  return out;
}

/** One entry of `GET /events/fee_changes` (nulls: the override was cleared). */
export function feeChangeJson(c: SimEventFeeChange): Json {
  return {
    id: c.id,
    event_ticker: c.eventTicker,
    series_ticker: c.seriesTicker,
    fee_type_override: c.feeTypeOverride,
    fee_multiplier_override:
      c.feeMultiplierOverridePpm === null ? null : c.feeMultiplierOverridePpm / 1_000_000,
    scheduled_ts: rfc3339(c.scheduledMs),
  };
}

export function seriesJson(s: SimSeries): Json {
  return {
    ticker: s.ticker,
    title: s.title,
    category: s.category,
    frequency: "daily",
    tags: [],
    settlement_sources: [],
    contract_url: "",
    contract_terms_url: "",
    fee_type: s.feeType,
    fee_multiplier: s.feeMultiplierPpm / 1_000_000,
    additional_prohibitions: [],
  };
}

export function orderJson(o: SimOrder): Json {
  const out: Json = {
    order_id: o.orderId,
    user_id: o.userId,
    client_order_id: o.clientOrderId,
    ticker: o.ticker,
    side: outcomeOf(o.side),
    action: "buy",
    outcome_side: outcomeOf(o.side),
    book_side: o.side,
    type: "limit",
    status: o.status,
    yes_price_dollars: formatPrice(o.price),
    no_price_dollars: formatPrice(PRICE_SCALE - o.price),
    ...orderAmountsJson(o),
    created_time: rfc3339(o.createdTimeMs),
    last_update_time: rfc3339(o.lastUpdateTimeMs),
    self_trade_prevention_type: o.selfTradePrevention,
    cancel_order_on_pause: o.cancelOrderOnPause,
    subaccount_number: o.subaccount,
    exchange_index: o.exchangeIndex,
  };
  if (o.expirationTimeSec !== undefined) out.expiration_time = rfc3339(o.expirationTimeSec * 1000);
  if (o.lastUpdateReason !== undefined) out.last_update_reason = o.lastUpdateReason;
  if (o.orderGroupId !== undefined) out.order_group_id = o.orderGroupId;
  return out;
}

/**
 * One entry of `GET /portfolio/order_groups` (Kalshi's `OrderGroup`). `is_auto_cancel_enabled`
 * is our reading of an undocumented flag: true while the group is active (it will auto-cancel),
 * false once triggered, until a reset.
 */
export function orderGroupJson(g: SimOrderGroup): Json {
  return {
    id: g.id,
    contracts_limit_fp: formatCount(g.contractsLimit),
    is_auto_cancel_enabled: !g.triggered,
    exchange_index: g.exchangeIndex,
  };
}

/**
 * WS `user_order` msg (asyncapi `userOrderPayload`). The deprecated `side` / `is_yes` are still
 * required by the spec; its example pairs `side: "yes"` with `outcome_side: "yes"`, so both follow
 * the outcome side (an ask is `side: "no"`, `is_yes: false`).
 */
export function userOrderJson(o: SimOrder): Json {
  const outcome = outcomeOf(o.side);
  const msg: Json = {
    order_id: o.orderId,
    user_id: o.userId,
    ticker: o.ticker,
    exchange_index: o.exchangeIndex,
    status: o.status,
    side: outcome,
    is_yes: outcome === "yes",
    outcome_side: outcome,
    book_side: o.side,
    yes_price_dollars: formatPrice(o.price),
    ...orderAmountsJson(o),
    client_order_id: o.clientOrderId,
    self_trade_prevention_type: o.selfTradePrevention,
    created_time: rfc3339(o.createdTimeMs),
    created_ts_ms: o.createdTimeMs,
    last_updated_ts_ms: o.lastUpdateTimeMs,
    subaccount_number: o.subaccount,
  };
  if (o.orderGroupId !== undefined) msg.order_group_id = o.orderGroupId;
  if (o.expirationTimeSec !== undefined) {
    msg.expiration_time = rfc3339(o.expirationTimeSec * 1000);
    msg.expiration_ts_ms = o.expirationTimeSec * 1000;
  }
  if (o.lastUpdateReason !== undefined) msg.last_update_reason = o.lastUpdateReason;
  return msg;
}

export function fillJson(f: SimFill): Json {
  return {
    fill_id: f.fillId,
    trade_id: f.tradeId,
    order_id: f.orderId,
    ticker: f.ticker,
    market_ticker: f.ticker,
    side: f.outcomeSide,
    action: "buy",
    outcome_side: f.outcomeSide,
    book_side: f.side,
    count_fp: formatCount(f.count),
    yes_price_dollars: formatPrice(f.yesPrice),
    no_price_dollars: formatPrice(PRICE_SCALE - f.yesPrice),
    is_taker: f.isTaker,
    fee_cost: formatMoney(f.fee),
    created_time: rfc3339(f.tsMs),
    ts: Math.floor(f.tsMs / 1000),
    subaccount_number: f.subaccount,
    exchange_index: f.exchangeIndex,
  };
}

export function positionJson(p: SimPosition): Json {
  return {
    ticker: p.ticker,
    position_fp: formatCount(p.position),
    market_exposure_dollars: formatMoney(p.marketExposure),
    total_traded_dollars: formatMoney(p.totalTraded),
    realized_pnl_dollars: formatMoney(p.realizedPnl),
    fees_paid_dollars: formatMoney(p.feesPaid),
    resting_orders_count: 0,
    last_updated_ts: rfc3339(p.lastUpdatedMs),
    exchange_index: p.exchangeIndex,
  };
}

export function settlementJson(s: SimSettlement): Json {
  return {
    ticker: s.ticker,
    event_ticker: s.eventTicker,
    market_result: s.marketResult,
    yes_count_fp: formatCount(s.yesCount),
    no_count_fp: formatCount(s.noCount),
    yes_total_cost_dollars: formatMoney(s.yesTotalCost),
    no_total_cost_dollars: formatMoney(s.noTotalCost),
    revenue: cents(s.revenue),
    value: s.marketResult === "yes" ? 100 : 0,
    fee_cost: money4(s.feeCost),
    settled_time: rfc3339(s.settledTimeMs),
    exchange_index: s.exchangeIndex,
  };
}

/** A public trade's fields common to REST `/markets/trades` and the WS `trade` channel. */
export function tradeFieldsJson(t: SimTrade): Json {
  return {
    trade_id: t.tradeId,
    yes_price_dollars: formatPrice(t.yesPrice),
    no_price_dollars: formatPrice(PRICE_SCALE - t.yesPrice),
    count_fp: formatCount(t.count),
    taker_outcome_side: outcomeOf(t.takerSide),
    taker_book_side: t.takerSide,
    taker_side: outcomeOf(t.takerSide), // deprecated
    is_block_trade: false,
  };
}

export function tradeJson(t: SimTrade): Json {
  return { ...tradeFieldsJson(t), ticker: t.ticker, created_time: rfc3339(t.tsMs) };
}
