/**
 * The contract between the simulator's exchange core (`sim/exchange/`, pure, integer units,
 * clock injected) and its servers (`sim/server/`, which speak Kalshi's wire format).
 * The core never formats strings for the wire and never reads the wall clock; the servers
 * never hold exchange state. Units as in shared/kalshi/units.ts: price in $0.0001,
 * count in 1/100 contract, money in micro-dollars. All book prices here are YES-leg
 * prices unless a field says otherwise.
 */

import type { CountUnits, MoneyMicros, PriceUnits } from "../../shared/kalshi/units.ts";

export type MarketStatus =
  | "initialized"
  | "active"
  | "inactive"
  | "closed"
  | "determined"
  | "disputed"
  | "amended"
  | "finalized";
export type FeeType = "quadratic" | "quadratic_with_maker_fees" | "quadratic_with_combo_maker_fees" | "flat";
export type BookSide = "bid" | "ask"; // on the YES leg: bid = buy YES, ask = sell YES (= buy NO)
export type OutcomeSide = "yes" | "no";
export type TimeInForce = "fill_or_kill" | "good_till_canceled" | "immediate_or_cancel";
export type SelfTradePrevention = "taker_at_cross" | "maker";
export type OrderStatus = "resting" | "canceled" | "executed";

export interface PriceRange {
  start: PriceUnits;
  end: PriceUnits;
  step: PriceUnits;
}

export interface SimSeries {
  ticker: string;
  title: string;
  category: string;
  feeType: FeeType;
  /** fee multiplier in parts per million (1.0 -> 1_000_000), exact integer maths */
  feeMultiplierPpm: number;
}

export interface SimEvent {
  eventTicker: string;
  seriesTicker: string;
  title: string;
  subTitle: string;
  /** `MECNET`, `DIRECNET` or "" (no collateral return scheme) */
  collateralReturnType: "MECNET" | "DIRECNET" | "";
  exchangeIndex: number;
  /** event-level fee override, on top of the series' fee; null = none (both set or both null) */
  feeTypeOverride: FeeType | null;
  feeMultiplierOverridePpm: number | null;
  lastUpdatedMs: number;
}

/** One entry of `GET /events/fee_changes`: an override set (values) or cleared (nulls). */
export interface SimEventFeeChange {
  id: string;
  eventTicker: string;
  seriesTicker: string;
  feeTypeOverride: FeeType | null;
  feeMultiplierOverridePpm: number | null;
  scheduledMs: number;
}

/** Multivariate (combo) markets and events: series tickers starting `KXMVE` (Kalshi's convention). */
export function isMultivariate(seriesTicker: string): boolean {
  return seriesTicker.startsWith("KXMVE");
}

/** Metadata a `metadata_updated` lifecycle event may carry: only what changed. */
export interface MarketMetadataUpdate {
  yesSubTitle?: string;
  strikeType?: string;
  floorStrike?: number;
  capStrike?: number;
}

export interface SimMarket {
  ticker: string;
  eventTicker: string;
  seriesTicker: string;
  marketId: string; // uuid-like, stable per seed
  status: MarketStatus;
  openTimeMs: number;
  closeTimeMs: number;
  expectedExpirationTimeMs: number;
  priceLevelStructure: string;
  priceRanges: PriceRange[];
  exchangeIndex: number;
  result: "" | "yes" | "no";
  /** the hidden outcome the participants' random walk drifts toward */
  eventualOutcome: "yes" | "no";
  lastPrice: PriceUnits;
  volume: CountUnits;
  volume24h: CountUnits;
  openInterest: CountUnits;
  settlementTimerSeconds: number;
  canCloseEarly: boolean;
  updatedTimeMs: number;
  yesSubTitle: string;
  /** `custom` unless metadata says otherwise; `floorStrike` / `capStrike` when the type uses them */
  strikeType: string;
  floorStrike?: number;
  capStrike?: number;
}

/** One level of a bids-only ladder: [price, resting count]. NO levels are NO-leg priced. */
export type Level = readonly [PriceUnits, CountUnits];

export interface BookView {
  yesBids: Level[]; // YES-leg prices, ascending
  noBids: Level[]; // NO-leg prices, ascending
}

export interface CreateOrderInput {
  ticker: string;
  side: BookSide;
  price: PriceUnits; // YES-leg
  count: CountUnits;
  timeInForce: TimeInForce;
  selfTradePrevention: SelfTradePrevention;
  clientOrderId?: string;
  expirationTimeSec?: number;
  postOnly?: boolean;
  reduceOnly?: boolean;
  cancelOrderOnPause?: boolean;
  subaccount?: number;
  exchangeIndex?: number;
  /** join this order group (it must be the user's, on the market's shard, not triggered) */
  orderGroupId?: string;
}

export interface SimOrder {
  orderId: string;
  userId: string;
  clientOrderId: string;
  ticker: string;
  side: BookSide;
  price: PriceUnits; // YES-leg
  initialCount: CountUnits;
  fillCount: CountUnits;
  remainingCount: CountUnits;
  status: OrderStatus;
  timeInForce: TimeInForce;
  selfTradePrevention: SelfTradePrevention;
  postOnly: boolean;
  reduceOnly: boolean;
  cancelOrderOnPause: boolean;
  expirationTimeSec?: number;
  takerFillCost: MoneyMicros;
  makerFillCost: MoneyMicros;
  takerFees: MoneyMicros;
  makerFees: MoneyMicros;
  createdTimeMs: number;
  lastUpdateTimeMs: number;
  lastUpdateReason?: string; // Kalshi's last_update_reason values (Trade, Amend, ExpiryCancel, ...)
  exchangeIndex: number;
  subaccount: number;
  orderGroupId?: string;
}

export interface SimFill {
  fillId: string; // == trade id
  tradeId: string;
  orderId: string;
  clientOrderId: string;
  userId: string;
  ticker: string;
  side: BookSide; // the order's book side
  outcomeSide: OutcomeSide; // bid -> yes, ask -> no
  yesPrice: PriceUnits;
  count: CountUnits;
  isTaker: boolean;
  fee: MoneyMicros;
  postPosition: CountUnits; // signed: + YES, - NO
  tsMs: number;
  exchangeIndex: number;
  subaccount: number;
}

export interface SimPosition {
  ticker: string;
  position: CountUnits; // signed: + YES, - NO
  marketExposure: MoneyMicros;
  totalTraded: MoneyMicros;
  realizedPnl: MoneyMicros;
  feesPaid: MoneyMicros;
  volume: CountUnits;
  lastUpdatedMs: number;
  exchangeIndex: number;
}

export interface SimSettlement {
  ticker: string;
  eventTicker: string;
  marketResult: "yes" | "no";
  yesCount: CountUnits;
  noCount: CountUnits;
  yesTotalCost: MoneyMicros;
  noTotalCost: MoneyMicros;
  revenue: MoneyMicros; // the server renders it as integer cents, as Kalshi does
  feeCost: MoneyMicros;
  settledTimeMs: number;
  exchangeIndex: number;
}

/** An explicit refusal, rendered by the server as Kalshi's error body with this status. */
export interface Rejection {
  ok: false;
  status: number;
  code: string; // e.g. invalid_order, order_already_exists, not_found, market_inactive, invalid_price
  message: string;
  details?: string;
}

export type Result<T> = { ok: true; value: T } | Rejection;

export interface CreateOrderOutcome {
  order: SimOrder;
  fills: SimFill[]; // the taker's fills from this request
}

/** One public trade on the tape. */
export interface SimTrade {
  tradeId: string;
  ticker: string;
  yesPrice: PriceUnits;
  count: CountUnits;
  takerSide: BookSide;
  tsMs: number;
}

/** `POST /portfolio/events/orders/{id}/amend`, in integer units. */
export interface AmendInput {
  ticker: string;
  side: BookSide;
  price: PriceUnits;
  /** the new total: already filled + desired remaining */
  count: CountUnits;
  updatedClientOrderId?: string;
}

/** `POST /portfolio/events/orders/{id}/decrease`: exactly one of the two. */
export interface DecreaseInput {
  reduceBy?: CountUnits;
  reduceTo?: CountUnits;
}

export interface CancelOutcome {
  order: SimOrder;
  reducedBy: CountUnits;
}

/** Everything the WebSocket server fans out. `user` marks private events. */
export type ExchangeEvent =
  | {
      kind: "book_delta";
      ticker: string;
      marketId: string;
      side: OutcomeSide;
      price: PriceUnits;
      delta: CountUnits;
      tsMs: number;
      user?: string;
      clientOrderId?: string;
    }
  | ({ kind: "trade" } & SimTrade)
  | { kind: "ticker"; ticker: string; marketId: string; tsMs: number }
  | { kind: "fill"; user: string; fill: SimFill }
  | { kind: "order"; user: string; order: SimOrder }
  | { kind: "position"; user: string; ticker: string; position: SimPosition }
  | {
      kind: "order_group";
      user: string;
      eventType: "created" | "triggered" | "reset" | "deleted" | "limit_updated";
      groupId: string;
      /** the limit, on `created` and `limit_updated` */
      contractsLimit?: CountUnits;
      tsMs: number;
    }
  | {
      kind: "lifecycle";
      ticker: string;
      eventType:
        | "created"
        | "activated"
        | "deactivated"
        | "close_date_updated"
        | "determined"
        | "settled"
        | "price_level_structure_updated"
        | "metadata_updated";
      tsMs: number;
      /** metadata_updated: the keys that changed */
      metadata?: MarketMetadataUpdate;
    }
  /** an event was created: `event_lifecycle` */
  | { kind: "event_lifecycle"; eventTicker: string; tsMs: number }
  /** an event's fee override was set or cleared: `event_fee_update` */
  | { kind: "event_fee_update"; eventTicker: string; tsMs: number };
// For book_delta the `side` is the ladder (yes or no bids) and `price` is that ladder's own leg
// price (NO-leg for side "no"); the server converts to the YES scale when `use_yes_price` is set.
