/**
 * zod wire schemas for every Kalshi REST response the bot reads, plus the request bodies it
 * sends, and small converters from wire to domain types.
 *
 * Wire schemas mirror Kalshi's OpenAPI (spec 3.20+, https://docs.kalshi.com/api-reference) one to one, snake_case.
 * `z.object` strips unknown keys, so fields Kalshi adds do not break parsing; types are strict.
 * Deprecated fields (`side`, `action`, `title`, ...) are optional so their removal is harmless.
 * Arrays tolerate `null` (Kalshi's Go backend may serialise an empty list that way) and become [].
 * Prices, counts and money stay strings here; the converters turn them into integers with
 * `units.ts` (never floats). Mixed units on purpose, as Kalshi sends them: `Balance.balance`,
 * `portfolio_value`, `Settlement.revenue` and `value` are integer cents.
 *
 * Used by `rest-client.ts` (parsing) and by the executor, cron and reconciliation (converters).
 */
import { z } from "zod";
import { parseTickGrid, type TickGrid } from "./tick-grid.ts";
import {
  type CountUnits,
  centsToMoney,
  type MoneyMicros,
  type PriceUnits,
  parseCount,
  parseMoney,
  parsePrice,
  parseSignedCount,
} from "./units.ts";
import { PriceRangeWire } from "./wire-fields.ts";

/** A JSON array that may arrive as `null`; parsed as []. */
function list<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullable()
    .transform((v) => v ?? []);
}

const int = z.number().int();
/** Cursor of a paginated list: empty, missing or null means no more pages. */
const cursor = z.string().nullish();

// ---------- shared pieces ----------

export const ErrorResponse = z.object({
  code: z.string().optional(),
  message: z.string().optional(),
  details: z.string().optional(),
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;

export const OutcomeSide = z.enum(["yes", "no"]);
export type OutcomeSide = z.infer<typeof OutcomeSide>;
export const BookSide = z.enum(["bid", "ask"]);
export type BookSide = z.infer<typeof BookSide>;

// ---------- markets ----------

/** Shared with the WS schemas: each bound a well-formed dollar price (wire-fields.ts). */
export { PriceRangeWire };

/** Market statuses in responses (Kalshi's market lifecycle guide). Kept as a string on the wire: new ones appear. */
export const MARKET_STATUSES = [
  "initialized",
  "inactive",
  "active",
  "closed",
  "determined",
  "disputed",
  "amended",
  "finalized",
] as const;

export const Market = z.object({
  ticker: z.string(),
  event_ticker: z.string(),
  market_type: z.string(),
  status: z.string(),
  open_time: z.string(),
  close_time: z.string(),
  expected_expiration_time: z.string().nullish(),
  latest_expiration_time: z.string().optional(),
  settlement_timer_seconds: int.optional(),
  can_close_early: z.boolean().optional(),
  yes_bid_dollars: z.string(),
  yes_ask_dollars: z.string(),
  no_bid_dollars: z.string(),
  no_ask_dollars: z.string(),
  yes_bid_size_fp: z.string().optional(),
  yes_ask_size_fp: z.string().optional(),
  last_price_dollars: z.string(),
  volume_fp: z.string(),
  volume_24h_fp: z.string().optional(),
  open_interest_fp: z.string(),
  notional_value_dollars: z.string().optional(),
  result: z.string().optional(),
  settlement_value_dollars: z.string().nullish(),
  price_level_structure: z.string(),
  price_ranges: list(PriceRangeWire),
  exchange_index: int.optional(),
  fee_waiver_expiration_time: z.string().nullish(),
  is_provisional: z.boolean().optional(),
  updated_time: z.string().optional(),
  title: z.string().optional(),
  yes_sub_title: z.string().optional(),
  no_sub_title: z.string().optional(),
  /** Present on multivariate (combo, `KXMVE*`) markets: the collection they come from. */
  mve_collection_ticker: z.string().nullish(),
});
export type Market = z.infer<typeof Market>;

export const GetMarketsResponse = z.object({ markets: list(Market), cursor });
export type GetMarketsResponse = z.infer<typeof GetMarketsResponse>;

/**
 * One `GET /markets` page with its items left unparsed, so the client can validate each market on its
 * own: one malformed market must not hide the other thousand from the universe.
 */
export const GetMarketsPageLoose = z.object({ markets: list(z.unknown()), cursor });
export type GetMarketsPageLoose = z.infer<typeof GetMarketsPageLoose>;

export const GetMarketResponse = z.object({ market: Market });
export type GetMarketResponse = z.infer<typeof GetMarketResponse>;

/** `[price dollars, count fp]`, both strings. */
export const PriceLevel = z.tuple([z.string(), z.string()]);
export type PriceLevel = z.infer<typeof PriceLevel>;

export const OrderbookFp = z.object({ yes_dollars: list(PriceLevel), no_dollars: list(PriceLevel) });
export type OrderbookFp = z.infer<typeof OrderbookFp>;

export const GetMarketOrderbookResponse = z.object({ orderbook_fp: OrderbookFp });
export type GetMarketOrderbookResponse = z.infer<typeof GetMarketOrderbookResponse>;

export const GetMarketOrderbooksResponse = z.object({
  orderbooks: list(z.object({ ticker: z.string(), orderbook_fp: OrderbookFp })),
});
export type GetMarketOrderbooksResponse = z.infer<typeof GetMarketOrderbooksResponse>;

export const Series = z.object({
  ticker: z.string(),
  title: z.string().optional(),
  frequency: z.string().optional(),
  category: z.string().optional(),
  /** `quadratic`, `quadratic_with_maker_fees`, `quadratic_with_combo_maker_fees`, `flat`, ... */
  fee_type: z.string(),
  /** A plain multiplier (1 by default), not money: a float is fine. */
  fee_multiplier: z.number(),
});
export type Series = z.infer<typeof Series>;

export const GetSeriesResponse = z.object({ series: Series });
export type GetSeriesResponse = z.infer<typeof GetSeriesResponse>;

/**
 * Kalshi's `EventData`. A fee override, when set, replaces the series' fee for the event's markets
 * (`fee_type_override` with `fee_multiplier_override`; both absent or null = none).
 */
export const Event = z.object({
  event_ticker: z.string(),
  series_ticker: z.string(),
  title: z.string().optional(),
  sub_title: z.string().optional(),
  collateral_return_type: z.string().optional(),
  mutually_exclusive: z.boolean().optional(),
  fee_type_override: z.string().nullish(),
  fee_multiplier_override: z.number().nullish(),
  exchange_index: int.optional(),
  last_updated_ts: z.string().nullish(),
  markets: list(Market).optional(),
});
export type Event = z.infer<typeof Event>;

/** `GET /events/{event_ticker}`: the event, and its markets at top level (deprecated but sent). */
export const GetEventResponse = z.object({ event: Event, markets: list(Market).optional() });
export type GetEventResponse = z.infer<typeof GetEventResponse>;

export const GetEventsResponse = z.object({ events: list(Event), cursor });
export type GetEventsResponse = z.infer<typeof GetEventsResponse>;

/** One event fee override change; nulls mean the override was cleared. */
export const EventFeeChange = z.object({
  id: z.string(),
  event_ticker: z.string(),
  series_ticker: z.string(),
  fee_type_override: z.string().nullable(),
  fee_multiplier_override: z.number().nullable(),
  scheduled_ts: z.string(),
});
export type EventFeeChange = z.infer<typeof EventFeeChange>;

export const GetEventFeeChangesResponse = z.object({ event_fee_changes: list(EventFeeChange), cursor });
export type GetEventFeeChangesResponse = z.infer<typeof GetEventFeeChangesResponse>;

// ---------- orders (V2 writes) ----------

export const TimeInForce = z.enum(["fill_or_kill", "good_till_canceled", "immediate_or_cancel"]);
export type TimeInForce = z.infer<typeof TimeInForce>;
export const SelfTradePreventionType = z.enum(["taker_at_cross", "maker"]);
export type SelfTradePreventionType = z.infer<typeof SelfTradePreventionType>;

/** `POST /portfolio/events/orders` body (Kalshi's Create Order (V2) reference). Prices are YES-leg dollar strings. */
export const CreateOrderV2Request = z.object({
  ticker: z.string().min(1),
  client_order_id: z.string().optional(),
  side: BookSide,
  count: z.string(),
  price: z.string(),
  time_in_force: TimeInForce,
  self_trade_prevention_type: SelfTradePreventionType,
  expiration_time: int.optional(),
  post_only: z.boolean().optional(),
  reduce_only: z.boolean().optional(),
  cancel_order_on_pause: z.boolean().optional(),
  subaccount: int.optional(),
  order_group_id: z.string().optional(),
  exchange_index: int.optional(),
});
export type CreateOrderV2Request = z.infer<typeof CreateOrderV2Request>;

export const CreateOrderV2Response = z.object({
  order_id: z.string(),
  client_order_id: z.string().nullish(),
  fill_count: z.string(),
  remaining_count: z.string(),
  average_fill_price: z.string().nullish(),
  average_fee_paid: z.string().nullish(),
  ts_ms: int,
});
export type CreateOrderV2Response = z.infer<typeof CreateOrderV2Response>;

export const CancelOrderV2Response = z.object({
  order_id: z.string(),
  client_order_id: z.string().nullish(),
  reduced_by: z.string(),
  ts_ms: int,
});
export type CancelOrderV2Response = z.infer<typeof CancelOrderV2Response>;

/** `POST /portfolio/events/orders/batched` body. */
export interface BatchCreateOrdersV2Request {
  orders: CreateOrderV2Request[];
}

export const BatchCreateOrdersV2Response = z.object({
  orders: list(
    z.object({
      order_id: z.string().nullish(),
      client_order_id: z.string().nullish(),
      fill_count: z.string().nullish(),
      remaining_count: z.string().nullish(),
      average_fill_price: z.string().nullish(),
      average_fee_paid: z.string().nullish(),
      ts_ms: int.nullish(),
      error: ErrorResponse.nullish(),
    }),
  ),
});
export type BatchCreateOrdersV2Response = z.infer<typeof BatchCreateOrdersV2Response>;

/** One entry of `DELETE /portfolio/events/orders/batched`'s JSON body. */
export interface BatchCancelOrderV2Item {
  order_id: string;
  subaccount?: number;
  exchange_index?: number;
  market_ticker?: string;
}

export const BatchCancelOrdersV2Response = z.object({
  orders: list(
    z.object({
      order_id: z.string(),
      client_order_id: z.string().nullish(),
      reduced_by: z.string(),
      ts_ms: int.nullish(),
      error: ErrorResponse.nullish(),
    }),
  ),
});
export type BatchCancelOrdersV2Response = z.infer<typeof BatchCancelOrdersV2Response>;

/** `POST /portfolio/events/orders/{order_id}/amend` body. `count` is the new TOTAL (filled + resting). */
export interface AmendOrderV2Request {
  ticker: string;
  side: BookSide;
  price: string;
  count: string;
  client_order_id?: string;
  updated_client_order_id?: string;
  exchange_index?: number;
}

export const AmendOrderV2Response = z.object({
  order_id: z.string(),
  client_order_id: z.string().nullish(),
  remaining_count: z.string().nullish(),
  fill_count: z.string().nullish(),
  average_fill_price: z.string().nullish(),
  average_fee_paid: z.string().nullish(),
  ts_ms: int,
});
export type AmendOrderV2Response = z.infer<typeof AmendOrderV2Response>;

/** `POST /portfolio/events/orders/{order_id}/decrease` body: exactly one of reduce_by / reduce_to. */
export type DecreaseOrderV2Request = (
  | { reduce_by: string; reduce_to?: never }
  | { reduce_to: string; reduce_by?: never }
) & { exchange_index?: number; market_ticker?: string };

export const DecreaseOrderV2Response = z.object({
  order_id: z.string(),
  client_order_id: z.string().nullish(),
  remaining_count: z.string(),
  ts_ms: int,
});
export type DecreaseOrderV2Response = z.infer<typeof DecreaseOrderV2Response>;

// ---------- order groups ----------

/** One entry of `GET /portfolio/order_groups`. */
export const OrderGroup = z.object({
  id: z.string(),
  /** The limit over the rolling 15 s window, a count string (whole contracts). */
  contracts_limit_fp: z.string().nullish(),
  /** Kalshi documents no more than "whether auto-cancel is enabled" (see docs/decisions.md). */
  is_auto_cancel_enabled: z.boolean(),
  exchange_index: int.optional(),
});
export type OrderGroup = z.infer<typeof OrderGroup>;

/** `order_groups` may be absent (the spec does not require it): read as []. */
export const GetOrderGroupsResponse = z.object({
  order_groups: z
    .array(OrderGroup)
    .nullish()
    .transform((v) => v ?? []),
});
export type GetOrderGroupsResponse = z.infer<typeof GetOrderGroupsResponse>;

/** `GET /portfolio/order_groups/{order_group_id}`: the group's flag, limit and order ids. */
export const GetOrderGroupResponse = z.object({
  is_auto_cancel_enabled: z.boolean(),
  orders: list(z.string()),
  contracts_limit: int.nullish(),
  contracts_limit_fp: z.string().nullish(),
  exchange_index: int.optional(),
});
export type GetOrderGroupResponse = z.infer<typeof GetOrderGroupResponse>;

/**
 * `POST /portfolio/order_groups/create` body: a limit of 1 to 1 000 000 whole contracts, as
 * `contracts_limit_fp` (preferred) or `contracts_limit`; both must agree when both are sent.
 */
export interface CreateOrderGroupRequest {
  contracts_limit_fp?: string;
  contracts_limit?: number;
  subaccount?: number;
  /** The group's shard: orders in it must be on markets of this shard. */
  exchange_index?: number;
}

export const CreateOrderGroupResponse = z.object({
  order_group_id: z.string(),
  subaccount: int.optional(),
  exchange_index: int.optional(),
});
export type CreateOrderGroupResponse = z.infer<typeof CreateOrderGroupResponse>;

/** `PUT /portfolio/order_groups/{order_group_id}/limit` body. */
export interface UpdateOrderGroupLimitRequest {
  contracts_limit_fp?: string;
  contracts_limit?: number;
}

/** Reset, trigger, limit and delete answer an empty object. */
export const EmptyResponse = z.object({});
export type EmptyResponse = z.infer<typeof EmptyResponse>;

// ---------- portfolio reads ----------

export const Order = z.object({
  order_id: z.string(),
  user_id: z.string().optional(),
  client_order_id: z.string().nullish(),
  ticker: z.string(),
  outcome_side: OutcomeSide,
  book_side: BookSide,
  /** `resting` | `canceled` | `executed`. */
  status: z.string(),
  yes_price_dollars: z.string(),
  no_price_dollars: z.string(),
  fill_count_fp: z.string(),
  remaining_count_fp: z.string(),
  initial_count_fp: z.string(),
  taker_fill_cost_dollars: z.string(),
  maker_fill_cost_dollars: z.string(),
  taker_fees_dollars: z.string(),
  maker_fees_dollars: z.string(),
  expiration_time: z.string().nullish(),
  created_time: z.string().nullish(),
  last_update_time: z.string().nullish(),
  self_trade_prevention_type: z.string().nullish(),
  order_group_id: z.string().nullish(),
  cancel_order_on_pause: z.boolean().optional(),
  subaccount_number: int.nullish(),
  exchange_index: int.optional(),
  /**
   * Why the order last changed (Kalshi's AsyncAPI `lastUpdateReason`): `Trade`, `Amend`, `Decrease`, `ExpiryCancel`,
   * `PostOnlyCrossCancel`, ... A growing vocabulary, so a plain string.
   */
  last_update_reason: z.string().nullish(),
  /** Deprecated direction fields (§9.5): read `outcome_side` / `book_side`. */
  side: z.string().optional(),
  action: z.string().optional(),
});
export type Order = z.infer<typeof Order>;

export const GetOrdersResponse = z.object({ orders: list(Order), cursor });
export type GetOrdersResponse = z.infer<typeof GetOrdersResponse>;

export const GetOrderResponse = z.object({ order: Order });
export type GetOrderResponse = z.infer<typeof GetOrderResponse>;

export const Fill = z.object({
  fill_id: z.string(),
  trade_id: z.string().optional(),
  order_id: z.string(),
  ticker: z.string(),
  market_ticker: z.string().optional(),
  outcome_side: OutcomeSide,
  book_side: BookSide,
  count_fp: z.string(),
  yes_price_dollars: z.string(),
  no_price_dollars: z.string(),
  is_taker: z.boolean(),
  fee_cost: z.string(),
  created_time: z.string().nullish(),
  ts: int.nullish(),
  subaccount_number: int.nullish(),
  exchange_index: int.optional(),
  side: z.string().optional(),
  action: z.string().optional(),
});
export type Fill = z.infer<typeof Fill>;

export const GetFillsResponse = z.object({ fills: list(Fill), cursor });
export type GetFillsResponse = z.infer<typeof GetFillsResponse>;

export const MarketPosition = z.object({
  ticker: z.string(),
  total_traded_dollars: z.string(),
  /** Signed: positive = YES contracts, negative = NO contracts. */
  position_fp: z.string(),
  market_exposure_dollars: z.string(),
  realized_pnl_dollars: z.string(),
  fees_paid_dollars: z.string(),
  last_updated_ts: z.string().nullish(),
  exchange_index: int.optional(),
});
export type MarketPosition = z.infer<typeof MarketPosition>;

export const EventPosition = z.object({
  event_ticker: z.string(),
  total_cost_dollars: z.string(),
  total_cost_shares_fp: z.string(),
  event_exposure_dollars: z.string(),
  realized_pnl_dollars: z.string(),
  fees_paid_dollars: z.string(),
});
export type EventPosition = z.infer<typeof EventPosition>;

export const GetPositionsResponse = z.object({
  market_positions: list(MarketPosition),
  event_positions: list(EventPosition),
  cursor,
});
export type GetPositionsResponse = z.infer<typeof GetPositionsResponse>;

export const GetBalanceResponse = z.object({
  /** Integer cents, truncating sub-cent amounts. Prefer `balance_dollars`. */
  balance: int,
  balance_dollars: z.string().optional(),
  /** Integer cents. */
  portfolio_value: int,
  updated_ts: int,
  balance_breakdown: list(z.object({ exchange_index: int, balance: z.string() })).optional(),
});
export type GetBalanceResponse = z.infer<typeof GetBalanceResponse>;

export const Settlement = z.object({
  ticker: z.string(),
  event_ticker: z.string(),
  /** `yes` | `no` | `scalar` | `void`. */
  market_result: z.string(),
  yes_count_fp: z.string(),
  yes_total_cost_dollars: z.string(),
  no_count_fp: z.string(),
  no_total_cost_dollars: z.string(),
  /** Integer cents. */
  revenue: int,
  settled_time: z.string(),
  fee_cost: z.string(),
  /** Integer cents: payout of one YES contract. */
  value: int.nullish(),
  exchange_index: int.optional(),
});
export type Settlement = z.infer<typeof Settlement>;

export const GetSettlementsResponse = z.object({ settlements: list(Settlement), cursor });
export type GetSettlementsResponse = z.infer<typeof GetSettlementsResponse>;

// ---------- exchange and account ----------

export const ExchangeStatus = z.object({
  exchange_active: z.boolean(),
  trading_active: z.boolean(),
  exchange_estimated_resume_time: z.string().nullish(),
  intra_exchange_transfers_active: z.boolean().optional(),
  exchange_index_statuses: list(
    z.object({
      exchange_index: int,
      description: z.string().optional(),
      exchange_active: z.boolean(),
      trading_active: z.boolean(),
      intra_exchange_transfers_active: z.boolean().optional(),
    }),
  ).optional(),
});
export type ExchangeStatus = z.infer<typeof ExchangeStatus>;

/**
 * `GET /exchange/user_data_timestamp`: when the REST portfolio view (balance, orders, fills,
 * positions) was last brought up to date with the matching engine, RFC3339.
 */
export const GetUserDataTimestampResponse = z.object({ as_of_time: z.string() });
export type GetUserDataTimestampResponse = z.infer<typeof GetUserDataTimestampResponse>;

const DailySchedule = z.object({ open_time: z.string(), close_time: z.string() });
export const WeeklySchedule = z.object({
  start_time: z.string(),
  end_time: z.string(),
  monday: list(DailySchedule),
  tuesday: list(DailySchedule),
  wednesday: list(DailySchedule),
  thursday: list(DailySchedule),
  friday: list(DailySchedule),
  saturday: list(DailySchedule),
  sunday: list(DailySchedule),
});
export type WeeklySchedule = z.infer<typeof WeeklySchedule>;

export const GetExchangeScheduleResponse = z.object({
  schedule: z.object({
    standard_hours: list(WeeklySchedule),
    maintenance_windows: list(z.object({ start_datetime: z.string(), end_datetime: z.string() })),
  }),
});
export type GetExchangeScheduleResponse = z.infer<typeof GetExchangeScheduleResponse>;

export const BucketLimit = z.object({ refill_rate: int, bucket_capacity: int });
export type BucketLimit = z.infer<typeof BucketLimit>;

export const GetAccountApiLimitsResponse = z.object({
  usage_tier: z.string(),
  read: BucketLimit,
  write: BucketLimit,
  grants: list(
    z.object({
      exchange_instance: z.string().optional(),
      level: z.string().optional(),
      expires_ts: int.nullish(),
      source: z.string().optional(),
    }),
  ).optional(),
});
export type GetAccountApiLimitsResponse = z.infer<typeof GetAccountApiLimitsResponse>;

export const GetAccountEndpointCostsResponse = z.object({
  default_cost: int,
  endpoint_costs: list(z.object({ method: z.string(), path: z.string(), cost: int })),
});
export type GetAccountEndpointCostsResponse = z.infer<typeof GetAccountEndpointCostsResponse>;

// ---------- domain converters ----------

export type Converted<T> = { ok: true; value: T } | { ok: false; error: string };

function convert<T>(what: string, f: () => T): Converted<T> {
  try {
    return { ok: true, value: f() };
  } catch (err) {
    return { ok: false, error: `${what}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function timeMs(what: string, s: string): number {
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`${what}: ${JSON.stringify(s.slice(0, 40))} is not a timestamp`);
  return t;
}

function optTimeMs(what: string, s: string | null | undefined): number | null {
  return s === null || s === undefined || s === "" ? null : timeMs(what, s);
}

/** What the strategy, risk and executor need to know about a market, in integer units. */
export interface MarketInfo {
  ticker: string;
  eventTicker: string;
  marketType: string;
  status: string;
  openTimeMs: number;
  closeTimeMs: number;
  priceLevelStructure: string;
  grid: TickGrid;
  /** Shard; 0 when Kalshi omits it. */
  exchangeIndex: number;
  yesBid: PriceUnits;
  yesAsk: PriceUnits;
  noBid: PriceUnits;
  noAsk: PriceUnits;
  lastPrice: PriceUnits;
  /** Sizes resting at the best YES bid and best YES ask (= best NO bid); 0 when Kalshi omits them. */
  yesBidSize: CountUnits;
  yesAskSize: CountUnits;
  volume: CountUnits;
  volume24h: CountUnits;
  openInterest: CountUnits;
  canCloseEarly: boolean;
  feeWaiverExpirationMs: number | null;
}

export function toMarketInfo(m: Market): Converted<MarketInfo> {
  return convert(`market ${m.ticker}`, () => ({
    ticker: m.ticker,
    eventTicker: m.event_ticker,
    marketType: m.market_type,
    status: m.status,
    openTimeMs: timeMs("open_time", m.open_time),
    closeTimeMs: timeMs("close_time", m.close_time),
    priceLevelStructure: m.price_level_structure,
    grid: parseTickGrid(m.price_ranges),
    exchangeIndex: m.exchange_index ?? 0,
    yesBid: parsePrice(m.yes_bid_dollars),
    yesAsk: parsePrice(m.yes_ask_dollars),
    noBid: parsePrice(m.no_bid_dollars),
    noAsk: parsePrice(m.no_ask_dollars),
    lastPrice: parsePrice(m.last_price_dollars),
    yesBidSize: m.yes_bid_size_fp === undefined ? 0 : parseCount(m.yes_bid_size_fp),
    yesAskSize: m.yes_ask_size_fp === undefined ? 0 : parseCount(m.yes_ask_size_fp),
    volume: parseCount(m.volume_fp),
    volume24h: m.volume_24h_fp === undefined ? 0 : parseCount(m.volume_24h_fp),
    openInterest: parseCount(m.open_interest_fp),
    canCloseEarly: m.can_close_early ?? false,
    feeWaiverExpirationMs: optTimeMs("fee_waiver_expiration_time", m.fee_waiver_expiration_time),
  }));
}

/** Bids only, best (highest) first: Kalshi's docs disagree on the order, so we sort. */
export interface OrderbookLevels {
  yesBids: [PriceUnits, CountUnits][];
  /** NO bids at NO-leg prices; a NO bid at p is a YES ask at 1 - p. */
  noBids: [PriceUnits, CountUnits][];
}

export function toOrderbookLevels(ob: OrderbookFp): Converted<OrderbookLevels> {
  const side = (levels: PriceLevel[]) =>
    levels
      .map(([p, c]): [PriceUnits, CountUnits] => [parsePrice(p), parseCount(c)])
      .sort((a, b) => b[0] - a[0]);
  return convert("orderbook", () => ({ yesBids: side(ob.yes_dollars), noBids: side(ob.no_dollars) }));
}

export interface SeriesFees {
  ticker: string;
  feeType: string;
  feeMultiplier: number;
}

export function toSeriesFees(s: Series): SeriesFees {
  return { ticker: s.ticker, feeType: s.fee_type, feeMultiplier: s.fee_multiplier };
}

/** The fee in force for an event's markets: its override when one is set, else its series' fee. */
export function eventFees(event: Event, series: SeriesFees): { feeType: string; feeMultiplier: number } {
  if (
    event.fee_type_override !== undefined &&
    event.fee_type_override !== null &&
    event.fee_multiplier_override !== undefined &&
    event.fee_multiplier_override !== null
  ) {
    return { feeType: event.fee_type_override, feeMultiplier: event.fee_multiplier_override };
  }
  return { feeType: series.feeType, feeMultiplier: series.feeMultiplier };
}

export interface BalanceInfo {
  /** Exact when `balance_dollars` is present, else from the cents field (sub-cent truncated). */
  balance: MoneyMicros;
  portfolioValue: MoneyMicros;
  updatedTs: number;
  byExchangeIndex: { exchangeIndex: number; balance: MoneyMicros }[];
}

export function toBalance(b: GetBalanceResponse): Converted<BalanceInfo> {
  return convert("balance", () => ({
    balance: b.balance_dollars !== undefined ? parseMoney(b.balance_dollars) : centsToMoney(b.balance),
    portfolioValue: centsToMoney(b.portfolio_value),
    updatedTs: b.updated_ts,
    byExchangeIndex: (b.balance_breakdown ?? []).map((x) => ({
      exchangeIndex: x.exchange_index,
      balance: parseMoney(x.balance),
    })),
  }));
}

export interface PositionInfo {
  ticker: string;
  /** Signed hundredths of a contract: positive YES, negative NO. */
  position: CountUnits;
  exposure: MoneyMicros;
  realizedPnl: MoneyMicros;
  feesPaid: MoneyMicros;
  totalTraded: MoneyMicros;
  exchangeIndex: number;
}

export function toPosition(p: MarketPosition): Converted<PositionInfo> {
  return convert(`position ${p.ticker}`, () => ({
    ticker: p.ticker,
    position: parseSignedCount(p.position_fp),
    exposure: parseMoney(p.market_exposure_dollars),
    realizedPnl: parseMoney(p.realized_pnl_dollars),
    feesPaid: parseMoney(p.fees_paid_dollars),
    totalTraded: parseMoney(p.total_traded_dollars),
    exchangeIndex: p.exchange_index ?? 0,
  }));
}

export interface FillInfo {
  fillId: string;
  orderId: string;
  ticker: string;
  outcomeSide: OutcomeSide;
  bookSide: BookSide;
  count: CountUnits;
  yesPrice: PriceUnits;
  noPrice: PriceUnits;
  isTaker: boolean;
  fee: MoneyMicros;
  createdTimeMs: number | null;
}

export function toFill(f: Fill): Converted<FillInfo> {
  return convert(`fill ${f.fill_id}`, () => ({
    fillId: f.fill_id,
    orderId: f.order_id,
    ticker: f.ticker,
    outcomeSide: f.outcome_side,
    bookSide: f.book_side,
    count: parseCount(f.count_fp),
    yesPrice: parsePrice(f.yes_price_dollars),
    noPrice: parsePrice(f.no_price_dollars),
    isTaker: f.is_taker,
    fee: parseMoney(f.fee_cost),
    createdTimeMs: optTimeMs("created_time", f.created_time),
  }));
}

export interface OrderInfo {
  orderId: string;
  clientOrderId: string | null;
  ticker: string;
  outcomeSide: OutcomeSide;
  bookSide: BookSide;
  status: string;
  yesPrice: PriceUnits;
  fillCount: CountUnits;
  remainingCount: CountUnits;
  initialCount: CountUnits;
  fees: MoneyMicros;
  exchangeIndex: number;
  lastUpdateMs: number | null;
  /** Kalshi's `last_update_reason` (`Trade`, `Amend`, `ExpiryCancel`, ...); null when absent. */
  lastUpdateReason: string | null;
}

export function toOrderInfo(o: Order): Converted<OrderInfo> {
  return convert(`order ${o.order_id}`, () => ({
    orderId: o.order_id,
    clientOrderId: o.client_order_id ? o.client_order_id : null,
    ticker: o.ticker,
    outcomeSide: o.outcome_side,
    bookSide: o.book_side,
    status: o.status,
    yesPrice: parsePrice(o.yes_price_dollars),
    fillCount: parseCount(o.fill_count_fp),
    remainingCount: parseCount(o.remaining_count_fp),
    initialCount: parseCount(o.initial_count_fp),
    fees: parseMoney(o.taker_fees_dollars) + parseMoney(o.maker_fees_dollars),
    exchangeIndex: o.exchange_index ?? 0,
    lastUpdateMs: optTimeMs("last_update_time", o.last_update_time),
    lastUpdateReason: o.last_update_reason ? o.last_update_reason : null,
  }));
}

export interface CreateOrderResult {
  orderId: string;
  clientOrderId: string | null;
  fillCount: CountUnits;
  remainingCount: CountUnits;
  /** Volume-weighted, so it may be finer than a tick: micro-dollars per contract. */
  averageFillPrice: MoneyMicros | null;
  /** Per contract, micro-dollars. */
  averageFeePaid: MoneyMicros | null;
  tsMs: number;
}

export function toCreateOrderResult(r: CreateOrderV2Response): Converted<CreateOrderResult> {
  return convert(`create ${r.order_id}`, () => ({
    orderId: r.order_id,
    clientOrderId: r.client_order_id ? r.client_order_id : null,
    fillCount: parseCount(r.fill_count),
    remainingCount: parseCount(r.remaining_count),
    averageFillPrice: r.average_fill_price ? parseMoney(r.average_fill_price) : null,
    averageFeePaid: r.average_fee_paid ? parseMoney(r.average_fee_paid) : null,
    tsMs: r.ts_ms,
  }));
}

export interface OrderGroupInfo {
  id: string;
  /** Count units; null when Kalshi leaves the limit out. */
  contractsLimit: CountUnits | null;
  autoCancelEnabled: boolean;
  exchangeIndex: number;
}

export function toOrderGroupInfo(g: OrderGroup): Converted<OrderGroupInfo> {
  return convert(`order group ${g.id}`, () => ({
    id: g.id,
    contractsLimit: g.contracts_limit_fp ? parseCount(g.contracts_limit_fp) : null,
    autoCancelEnabled: g.is_auto_cancel_enabled,
    exchangeIndex: g.exchange_index ?? 0,
  }));
}

export interface SettlementInfo {
  ticker: string;
  eventTicker: string;
  result: string;
  yesCount: CountUnits;
  noCount: CountUnits;
  yesCost: MoneyMicros;
  noCost: MoneyMicros;
  /** From integer cents. */
  revenue: MoneyMicros;
  fee: MoneyMicros;
  settledTimeMs: number;
}

export function toSettlement(s: Settlement): Converted<SettlementInfo> {
  return convert(`settlement ${s.ticker}`, () => ({
    ticker: s.ticker,
    eventTicker: s.event_ticker,
    result: s.market_result,
    yesCount: parseCount(s.yes_count_fp),
    noCount: parseCount(s.no_count_fp),
    yesCost: parseMoney(s.yes_total_cost_dollars),
    noCost: parseMoney(s.no_total_cost_dollars),
    revenue: centsToMoney(s.revenue),
    fee: parseMoney(s.fee_cost),
    settledTimeMs: timeMs("settled_time", s.settled_time),
  }));
}
