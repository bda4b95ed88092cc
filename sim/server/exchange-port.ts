/**
 * What the servers need from the exchange core. `sim/exchange/types.ts` fixes the data shapes
 * (inputs and outcomes included) but not the operations, so this port names them; `adapt-exchange.ts` maps the core's
 * `createExchange` onto it. Everything is integer units; `nowMs` arguments are the server
 * clock's time (the core reads the same clock, so it may ignore them).
 */

import type { CountUnits, MoneyMicros, PriceUnits } from "../../shared/kalshi/units.ts";
import type { CreateMarketInput } from "../exchange/exchange.ts";
import type { SimOrderGroup } from "../exchange/order-groups.ts";
import type {
  AmendInput,
  BookSide,
  BookView,
  CancelOutcome,
  CreateOrderInput,
  CreateOrderOutcome,
  DecreaseInput,
  ExchangeEvent,
  FeeType,
  MarketMetadataUpdate,
  Result,
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

export interface ExchangePort {
  series(): SimSeries[];
  events(): SimEvent[];
  markets(): SimMarket[];
  market(ticker: string): SimMarket | undefined;
  book(ticker: string): BookView | undefined;
  /** public trades, oldest first */
  trades(): SimTrade[];

  ensureUser(userId: string): void;
  createOrder(userId: string, input: CreateOrderInput, nowMs: number): Result<CreateOrderOutcome>;
  batchCreateOrders?(userId: string, inputs: CreateOrderInput[], nowMs: number): Result<CreateOrderOutcome>[];
  cancelOrder(userId: string, orderId: string, nowMs: number): Result<CancelOutcome>;
  batchCancelOrders?(userId: string, orderIds: string[], nowMs: number): Result<CancelOutcome>[];
  cancelAll(userId: string, subaccount: number | undefined, nowMs: number): SimOrder[];
  amendOrder(userId: string, orderId: string, input: AmendInput, nowMs: number): Result<CreateOrderOutcome>;
  decreaseOrder(userId: string, orderId: string, input: DecreaseInput, nowMs: number): Result<SimOrder>;
  orders(userId: string): SimOrder[];
  fills(userId: string): SimFill[];
  positions(userId: string): SimPosition[];
  balance(userId: string): MoneyMicros;
  settlements(userId: string): SimSettlement[];

  // order groups (Kalshi's /portfolio/order_groups); every change emits an `order_group` event
  createOrderGroup(
    userId: string,
    input: { contractsLimit: CountUnits; subaccount?: number; exchangeIndex?: number },
    nowMs: number,
  ): Result<SimOrderGroup>;
  orderGroup(userId: string, groupId: string): SimOrderGroup | undefined;
  orderGroups(userId: string, subaccount: number | undefined): SimOrderGroup[];
  resetOrderGroup(userId: string, groupId: string, nowMs: number): Result<true>;
  triggerOrderGroup(userId: string, groupId: string, nowMs: number): Result<true>;
  updateOrderGroupLimit(
    userId: string,
    groupId: string,
    contractsLimit: CountUnits,
    nowMs: number,
  ): Result<true>;
  deleteOrderGroup(userId: string, groupId: string, nowMs: number): Result<true>;
  /** every user's groups, for the control API's inspection */
  allOrderGroups(): SimOrderGroup[];

  /** exchange-wide trading pause: `trading_active` is its negation */
  exchangePaused(): boolean;
  /** pausing cancels resting orders flagged `cancel_order_on_pause`; creates and amends are refused */
  setExchangePaused(paused: boolean, nowMs: number): Result<true>;

  /** advance time: expiries, participants, lifecycle */
  step(nowMs: number): void;
  onEvent(listener: (ev: ExchangeEvent) => void): () => void;

  // scenario scripting (the control API); the house participant owns liquidity placed here
  placeLiquidity(
    ticker: string,
    side: BookSide,
    price: PriceUnits,
    count: CountUnits,
    nowMs: number,
  ): Result<SimOrder>;
  pullLiquidity(
    ticker: string,
    side: BookSide | undefined,
    price: PriceUnits | undefined,
    nowMs: number,
  ): number;
  movePrice(ticker: string, yesPrice: PriceUnits, nowMs: number): Result<true>;
  tradeThrough(ticker: string, side: BookSide, price: PriceUnits, nowMs: number): Result<SimTrade[]>;
  setTradingPaused(ticker: string, paused: boolean, nowMs: number): Result<true>;
  closeMarket(ticker: string, nowMs: number): Result<true>;
  determineMarket(ticker: string, result: "yes" | "no", nowMs: number): Result<true>;
  settleMarket(ticker: string, nowMs: number): Result<true>;
  /** list a new market (its event too when new); emits lifecycle `created` */
  createMarket(input: CreateMarketInput, nowMs: number): Result<SimMarket>;
  /** switch the tick grid; emits lifecycle `price_level_structure_updated` */
  setPriceLevelStructure(ticker: string, structure: string, nowMs: number): Result<SimMarket>;
  /** set (both values) or clear (both null) an event's fee override; emits `event_fee_update` */
  setEventFeeOverride(
    eventTicker: string,
    feeType: FeeType | null,
    feeMultiplierPpm: number | null,
    nowMs: number,
  ): Result<SimEvent>;
  /** every fee override change, oldest first (`GET /events/fee_changes`) */
  eventFeeChanges(): SimEventFeeChange[];
  /** change a market's subtitle or strike; emits lifecycle `metadata_updated` with what changed */
  updateMarketMetadata(ticker: string, update: MarketMetadataUpdate, nowMs: number): Result<SimMarket>;

  /** the core's own view for the control API's inspection (users, request log, counters) */
  inspect?(): unknown;
}
