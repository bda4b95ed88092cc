/**
 * Kalshi market-data WebSocket protocol: zod wire schemas for every message the bot reads,
 * a never-throwing frame parser, builders for the four commands the bot sends, and
 * converters from wire messages (snake_case, fixed-point strings) to the bot's domain
 * shapes (camelCase, integer units from units.ts).
 *
 * Source of truth: Kalshi's AsyncAPI spec ("Kalshi Market Data WebSocket API 2.0.0",
 * https://docs.kalshi.com/websockets) and its WebSocket guides. The feed session (workers/feed) parses every
 * frame through `parseWsText`; the hand-written orderbook hot path (shared/book) is tested
 * against these schemas, so they mirror the spec field for field.
 *
 * Decisions where the spec is loose or contradicts itself:
 * - Objects are strict on the types of the fields we know and tolerant of added fields
 *   (unknown keys are stripped, never rejected): Kalshi adds fields often.
 * - Fields the spec marks deprecated (`ts`, `time`, `side`, `action`, `is_yes`, ...) are
 *   optional even where the spec still lists them as required: they may go at any time.
 * - Prices, counts and money stay strings but must be well-formed fixed point
 *   (`fixedOrNaN`): prices 4 decimals in [0, 1], counts 2 decimals, money 6 decimals signed.
 * - Inbound tickers and ids are non-empty strings, not the spec's `^[A-Z0-9-]+$` / uuid
 *   formats: the spec's own examples (`FED-23DEC-T3.00`) break its pattern, and dropping a
 *   fill over an id's format would be worse than accepting it. Outbound tickers (builders)
 *   are checked against `MARKET_TICKER_RE`, the spec pattern plus `.`.
 * - Enums are enforced where the bot branches on them (sides, order status, lifecycle
 *   event type); vocabularies the venue keeps growing (`price_level_structure`,
 *   `last_update_reason`, `result`, error codes) are plain strings / integers.
 */

import { z } from "zod";
import { safeParseTickGrid, type TickGrid } from "./tick-grid.ts";
import {
  type CountUnits,
  type MoneyMicros,
  type PriceUnits,
  parseCount,
  parseMoney,
  parsePrice,
  parseSignedCount,
} from "./units.ts";
import {
  CountStr,
  MARKET_TICKER_RE,
  MoneyStr,
  PriceRangeWire,
  PriceStr,
  SignedCountStr,
} from "./wire-fields.ts";

// ---------------------------------------------------------------------------------------
// Channels

/** Every channel in the current spec's subscribe enum. */
export const WS_CHANNELS = [
  "orderbook_delta",
  "ticker",
  "trade",
  "fill",
  "market_positions",
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "communications",
  "order_group_updates",
  "user_orders",
  "cfbenchmarks_value",
  "cfbenchmarks_value_5hz",
  "pyth_value",
] as const;
export const WsChannel = z.enum(WS_CHANNELS);
export type WsChannel = z.infer<typeof WsChannel>;

/** The channels the bot subscribes to. */
export const BOT_CHANNELS = [
  "orderbook_delta",
  "ticker",
  "trade",
  "fill",
  "user_orders",
  "market_positions",
  "market_lifecycle_v2",
] as const satisfies readonly WsChannel[];

/**
 * Data message types that carry a per-`sid` `seq` (Kalshi's AsyncAPI spec). `ticker`, `fill`,
 * `user_order` and `market_position` carry none. Command replies (`ok`, `unsubscribed`,
 * subscription-scoped `error`) on a sequenced subscription also carry `seq`: the session
 * checks `seq` on every frame that has both `sid` and `seq`, whatever its type.
 */
export const SEQUENCED_TYPES: ReadonlySet<string> = new Set([
  "orderbook_snapshot",
  "orderbook_delta",
  "trade",
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "event_lifecycle",
  "event_fee_update",
  "order_group_updates",
]);

// ---------------------------------------------------------------------------------------
// Field schemas (the fixed-point strings, price ranges and ticker pattern are shared with
// rest-schemas.ts through wire-fields.ts)

export { CountStr, MARKET_TICKER_RE, MoneyStr, PriceRangeWire, PriceStr, SignedCountStr };

const NonEmpty = z.string().min(1);
const CommandId = z.int().min(0);
const Sid = z.int().min(1);
const Seq = z.int().min(1);
const TsMs = z.int();
const ExchangeIndex = z.int().min(0);
export const MarketSide = z.enum(["yes", "no"]);
export type MarketSide = z.infer<typeof MarketSide>;
export const BookSide = z.enum(["bid", "ask"]);
export type BookSide = z.infer<typeof BookSide>;
const OrderAction = z.enum(["buy", "sell", "sell_partial", "sell_to_close", ""]);

/** One book level on the wire: `[price_dollars, count_fp]`. */
export const WireLevel = z.tuple([PriceStr, CountStr]);
export type WireLevel = z.infer<typeof WireLevel>;

// ---------------------------------------------------------------------------------------
// Server -> client messages

export const OrderbookSnapshot = z.object({
  type: z.literal("orderbook_snapshot"),
  id: CommandId.optional(), // present when answering get_snapshot
  sid: Sid,
  seq: Seq,
  msg: z.object({
    market_ticker: NonEmpty,
    market_id: NonEmpty,
    // keys are absent (not empty) when a side has no levels
    yes_dollars_fp: z.array(WireLevel).optional(),
    no_dollars_fp: z.array(WireLevel).optional(),
  }),
});
export type OrderbookSnapshot = z.infer<typeof OrderbookSnapshot>;

export const OrderbookDelta = z.object({
  type: z.literal("orderbook_delta"),
  sid: Sid,
  seq: Seq,
  msg: z.object({
    market_ticker: NonEmpty,
    market_id: NonEmpty,
    price_dollars: PriceStr,
    delta_fp: SignedCountStr,
    side: MarketSide,
    client_order_id: z.string().optional(),
    subaccount: z.int().optional(),
    ts: z.string().optional(), // deprecated RFC3339
    ts_ms: TsMs.optional(),
  }),
});
export type OrderbookDelta = z.infer<typeof OrderbookDelta>;

export const Ticker = z.object({
  type: z.literal("ticker"),
  sid: Sid,
  msg: z.object({
    market_id: NonEmpty,
    market_ticker: NonEmpty,
    price_dollars: PriceStr,
    yes_bid_dollars: PriceStr,
    yes_ask_dollars: PriceStr,
    volume_fp: CountStr,
    open_interest_fp: CountStr,
    dollar_volume: z.int(), // whole dollars
    dollar_open_interest: z.int(), // whole dollars
    yes_bid_size_fp: CountStr,
    yes_ask_size_fp: CountStr,
    last_trade_size_fp: CountStr,
    ts_ms: TsMs,
    ts: z.int().optional(), // deprecated, seconds
    time: z.string().optional(), // deprecated RFC3339
  }),
});
export type Ticker = z.infer<typeof Ticker>;

export const Trade = z.object({
  type: z.literal("trade"),
  sid: Sid,
  seq: Seq,
  msg: z.object({
    trade_id: NonEmpty,
    market_ticker: NonEmpty,
    yes_price_dollars: PriceStr,
    no_price_dollars: PriceStr,
    count_fp: CountStr,
    taker_outcome_side: MarketSide,
    taker_book_side: BookSide,
    is_block_trade: z.boolean(),
    ts_ms: TsMs,
    taker_side: MarketSide.optional(), // deprecated
    ts: z.int().optional(), // deprecated, seconds
  }),
});
export type Trade = z.infer<typeof Trade>;

export const Fill = z.object({
  type: z.literal("fill"),
  sid: Sid,
  msg: z.object({
    trade_id: NonEmpty, // unique per fill
    order_id: NonEmpty,
    client_order_id: z.string().optional(),
    market_ticker: NonEmpty,
    exchange_index: ExchangeIndex,
    is_taker: z.boolean(),
    outcome_side: MarketSide,
    book_side: BookSide,
    yes_price_dollars: PriceStr, // only the YES-leg price is sent
    count_fp: CountStr,
    fee_cost: MoneyStr,
    post_position_fp: SignedCountStr,
    ts_ms: TsMs,
    subaccount: z.int().optional(),
    side: MarketSide.optional(), // deprecated
    action: OrderAction.optional(), // deprecated
    purchased_side: MarketSide.optional(), // deprecated
    ts: z.int().optional(), // deprecated, seconds
  }),
});
export type Fill = z.infer<typeof Fill>;

export const UserOrderStatus = z.enum(["resting", "canceled", "executed", "unknown"]);
export type UserOrderStatus = z.infer<typeof UserOrderStatus>;

export const UserOrder = z.object({
  type: z.literal("user_order"),
  sid: Sid,
  msg: z.object({
    order_id: NonEmpty,
    user_id: z.string(),
    ticker: NonEmpty,
    exchange_index: ExchangeIndex,
    status: UserOrderStatus,
    outcome_side: MarketSide,
    book_side: BookSide,
    yes_price_dollars: PriceStr,
    fill_count_fp: CountStr,
    remaining_count_fp: CountStr,
    initial_count_fp: CountStr,
    taker_fill_cost_dollars: MoneyStr,
    maker_fill_cost_dollars: MoneyStr,
    taker_fees_dollars: MoneyStr,
    maker_fees_dollars: MoneyStr,
    client_order_id: z.string(),
    created_ts_ms: TsMs.nullable(),
    order_group_id: z.string().optional(),
    self_trade_prevention_type: z.enum(["taker_at_cross", "maker"]).optional(),
    last_updated_ts_ms: TsMs.optional(),
    expiration_ts_ms: TsMs.optional(),
    last_update_reason: z.string().optional(), // Trade, ExpiryCancel, ...; the list grows
    subaccount_number: z.int().optional(),
    side: MarketSide.optional(), // deprecated
    is_yes: z.boolean().optional(), // deprecated
    created_time: z.string().nullable().optional(), // deprecated
    last_update_time: z.string().optional(), // deprecated
    expiration_time: z.string().optional(), // deprecated
  }),
});
export type UserOrder = z.infer<typeof UserOrder>;

export const MarketPosition = z.object({
  type: z.literal("market_position"),
  sid: Sid,
  msg: z.object({
    user_id: z.string(),
    market_ticker: NonEmpty,
    position_fp: SignedCountStr, // > 0 YES contracts, < 0 NO contracts
    position_cost_dollars: MoneyStr,
    realized_pnl_dollars: MoneyStr,
    fees_paid_dollars: MoneyStr,
    position_fee_cost_dollars: MoneyStr,
    volume_fp: CountStr,
    subaccount: z.int().optional(),
  }),
});
export type MarketPosition = z.infer<typeof MarketPosition>;

export const LIFECYCLE_EVENT_TYPES = [
  "created",
  "activated",
  "deactivated",
  "close_date_updated",
  "determined",
  "settled",
  "price_level_structure_updated",
  "metadata_updated",
] as const;
export const LifecycleEventType = z.enum(LIFECYCLE_EVENT_TYPES);
export type LifecycleEventType = z.infer<typeof LifecycleEventType>;

const CustomStrike = z.record(z.string(), z.unknown());

export const LifecycleAdditionalMetadata = z.object({
  name: z.string(),
  title: z.string(),
  yes_sub_title: z.string(),
  no_sub_title: z.string(),
  rules_primary: z.string(),
  rules_secondary: z.string(),
  can_close_early: z.boolean(),
  event_ticker: z.string(),
  expected_expiration_ts: z.int(),
  strike_type: z.string().optional(),
  floor_strike: z.number().optional(),
  cap_strike: z.number().optional(),
  custom_strike: CustomStrike.optional(),
});
export type LifecycleAdditionalMetadata = z.infer<typeof LifecycleAdditionalMetadata>;

/**
 * `market_lifecycle_v2`, all event types in one shape (the spec's `marketLifecycleV2` and
 * `marketMetadataUpdated` payloads share the type string). Which optional keys appear
 * depends on `event_type`; all `*_ts` are Unix seconds.
 */
export const MarketLifecycleV2 = z.object({
  type: z.literal("market_lifecycle_v2"),
  sid: Sid,
  seq: Seq,
  msg: z.object({
    market_ticker: NonEmpty,
    event_type: LifecycleEventType,
    exchange_index: ExchangeIndex.optional(),
    open_ts: z.int().optional(),
    close_ts: z.int().optional(),
    determination_ts: z.int().optional(),
    settled_ts: z.int().optional(),
    result: z.string().optional(),
    settlement_value: PriceStr.optional(),
    is_deactivated: z.boolean().optional(),
    additional_metadata: LifecycleAdditionalMetadata.optional(),
    price_level_structure: z.string().optional(), // new names keep appearing: use price_ranges
    price_ranges: z.array(PriceRangeWire).optional(),
    // metadata_updated
    strike_type: z.string().optional(),
    floor_strike: z.number().optional(),
    cap_strike: z.number().optional(),
    custom_strike: CustomStrike.optional(),
    yes_sub_title: z.string().optional(),
  }),
});
export type MarketLifecycleV2 = z.infer<typeof MarketLifecycleV2>;

/** The event types of `multivariate_market_lifecycle`: no structure or metadata updates. */
export const MULTIVARIATE_LIFECYCLE_EVENT_TYPES = [
  "created",
  "activated",
  "deactivated",
  "close_date_updated",
  "determined",
  "settled",
] as const;

/**
 * `multivariate_market_lifecycle`: the lifecycle of combo (`KXMVE*`) markets, which never appear
 * on `market_lifecycle_v2`. The same keys as a `market_lifecycle_v2` message, without
 * `price_ranges` or the metadata fields; `exchange_index` comes with `created` only.
 */
export const MultivariateMarketLifecycle = z.object({
  type: z.literal("multivariate_market_lifecycle"),
  sid: Sid,
  seq: Seq,
  msg: z.object({
    market_ticker: NonEmpty,
    event_type: z.enum(MULTIVARIATE_LIFECYCLE_EVENT_TYPES),
    exchange_index: ExchangeIndex.optional(),
    open_ts: z.int().optional(),
    close_ts: z.int().optional(),
    determination_ts: z.int().optional(),
    settled_ts: z.int().optional(),
    result: z.string().optional(),
    settlement_value: PriceStr.optional(),
    is_deactivated: z.boolean().optional(),
    additional_metadata: LifecycleAdditionalMetadata.optional(),
    price_level_structure: z.string().optional(),
  }),
});
export type MultivariateMarketLifecycle = z.infer<typeof MultivariateMarketLifecycle>;

export const EventLifecycle = z.object({
  type: z.literal("event_lifecycle"),
  sid: Sid,
  seq: Seq,
  msg: z.object({
    event_ticker: NonEmpty,
    exchange_index: ExchangeIndex,
    title: z.string(),
    subtitle: z.string(),
    collateral_return_type: z.string(), // "MECNET" | "DIRECNET" | ""
    series_ticker: z.string(),
    strike_date: z.int().optional(),
    strike_period: z.string().optional(),
  }),
});
export type EventLifecycle = z.infer<typeof EventLifecycle>;

/** Event-level fee override set (values) or cleared (nulls); on `market_lifecycle_v2`. */
export const EventFeeUpdate = z.object({
  type: z.literal("event_fee_update"),
  sid: Sid,
  seq: Seq,
  msg: z.object({
    event_ticker: NonEmpty,
    fee_type_override: z.string().nullable(),
    fee_multiplier_override: z.number().nullable(),
  }),
});
export type EventFeeUpdate = z.infer<typeof EventFeeUpdate>;

export const ORDER_GROUP_EVENT_TYPES = ["created", "triggered", "reset", "deleted", "limit_updated"] as const;
export const OrderGroupEventType = z.enum(ORDER_GROUP_EVENT_TYPES);
export type OrderGroupEventType = z.infer<typeof OrderGroupEventType>;

/**
 * `order_group_updates` (private, sequenced, market filter ignored): a group was created,
 * triggered (its resting orders are cancelled), reset, deleted or given a new limit.
 * `contracts_limit_fp` comes with `created` and `limit_updated` only.
 */
export const OrderGroupUpdates = z.object({
  type: z.literal("order_group_updates"),
  sid: Sid,
  seq: Seq,
  msg: z.object({
    event_type: OrderGroupEventType,
    order_group_id: NonEmpty,
    contracts_limit_fp: CountStr.optional(),
    ts_ms: TsMs,
  }),
});
export type OrderGroupUpdates = z.infer<typeof OrderGroupUpdates>;

export const Subscribed = z.object({
  type: z.literal("subscribed"),
  id: CommandId.optional(),
  msg: z.object({ channel: z.string(), sid: Sid }),
});
export type Subscribed = z.infer<typeof Subscribed>;

export const Unsubscribed = z.object({
  type: z.literal("unsubscribed"),
  id: CommandId.optional(),
  sid: Sid,
  seq: Seq,
});
export type Unsubscribed = z.infer<typeof Unsubscribed>;

/** `ok` to update_subscription: the full ticker list after the update (absent with skip_ticker_ack). */
export const OkUpdateMsg = z.object({
  market_tickers: z.array(z.string()).optional(),
  market_ids: z.array(z.string()).optional(),
});
export type OkUpdateMsg = z.infer<typeof OkUpdateMsg>;

/** `ok` to list_subscriptions: one entry per live subscription. */
export const SubscriptionInfo = z.object({ channel: z.string(), sid: Sid });
export type SubscriptionInfo = z.infer<typeof SubscriptionInfo>;

export const Ok = z.object({
  type: z.literal("ok"),
  id: CommandId.optional(),
  sid: Sid.optional(),
  seq: Seq.optional(),
  msg: z.union([z.array(SubscriptionInfo), OkUpdateMsg]).optional(),
});
export type Ok = z.infer<typeof Ok>;

export const WsError = z.object({
  type: z.literal("error"),
  id: CommandId.optional(),
  sid: Sid.optional(), // subscription-scoped errors
  seq: Seq.optional(), // subscription-scoped errors on sequenced channels
  msg: z.object({
    code: z.int(), // any integer: a new code must still reach the handler
    msg: z.string(),
    market_ticker: z.string().optional(),
    market_tickers: z.array(z.string()).optional(),
  }),
});
export type WsError = z.infer<typeof WsError>;

/** Every message type the bot understands, discriminated on `type`. */
export const WsMessage = z.discriminatedUnion("type", [
  OrderbookSnapshot,
  OrderbookDelta,
  Ticker,
  Trade,
  Fill,
  UserOrder,
  MarketPosition,
  MarketLifecycleV2,
  MultivariateMarketLifecycle,
  EventLifecycle,
  EventFeeUpdate,
  OrderGroupUpdates,
  Subscribed,
  Unsubscribed,
  Ok,
  WsError,
]);
export type WsMessage = z.infer<typeof WsMessage>;
export type WsMessageType = WsMessage["type"];

const SCHEMA_BY_TYPE: ReadonlyMap<string, z.ZodType<WsMessage>> = new Map<string, z.ZodType<WsMessage>>([
  ["orderbook_snapshot", OrderbookSnapshot],
  ["orderbook_delta", OrderbookDelta],
  ["ticker", Ticker],
  ["trade", Trade],
  ["fill", Fill],
  ["user_order", UserOrder],
  ["market_position", MarketPosition],
  ["market_lifecycle_v2", MarketLifecycleV2],
  ["multivariate_market_lifecycle", MultivariateMarketLifecycle],
  ["event_lifecycle", EventLifecycle],
  ["event_fee_update", EventFeeUpdate],
  ["order_group_updates", OrderGroupUpdates],
  ["subscribed", Subscribed],
  ["unsubscribed", Unsubscribed],
  ["ok", Ok],
  ["error", WsError],
]);

/** The `type` strings `parseWsMessage` validates; anything else is `unknown`. */
export const KNOWN_TYPES: ReadonlySet<string> = new Set(SCHEMA_BY_TYPE.keys());

// ---------------------------------------------------------------------------------------
// Error codes (Kalshi's AsyncAPI x-error-codes and WebSocket quick start)

export interface WsErrorCodeInfo {
  readonly name: string;
  /** The subscription is dead: resubscribe. */
  readonly terminal: boolean;
  /** No longer emitted by the current spec; the number stays reserved. */
  readonly retired: boolean;
}

function code(name: string, terminal = false, retired = false): WsErrorCodeInfo {
  return { name, terminal, retired };
}

export const WS_ERROR_CODES: Readonly<Record<number, WsErrorCodeInfo>> = {
  1: code("Unable to process message"),
  2: code("Params required"),
  3: code("Channels required"),
  4: code("Subscription IDs required"),
  5: code("Unknown command"),
  6: code("Retired (older docs: Already subscribed)", false, true),
  7: code("Unknown subscription ID"),
  8: code("Unknown channel name"),
  9: code("Authentication required"),
  10: code("Channel error", true),
  11: code("Invalid parameter"),
  12: code("Exactly one subscription ID is required"),
  13: code("Unsupported action"),
  14: code("Market Ticker required"),
  15: code("Action required"),
  16: code("Retired (older docs: Market not found)", false, true),
  17: code("Retired (older docs: Internal error)", false, true),
  18: code("Command timeout"),
  19: code("shard_factor must be > 0"),
  20: code("shard_factor is required when shard_key is set"),
  21: code("shard_key must be >= 0 and < shard_factor"),
  22: code("shard_factor must be <= 100"),
  23: code("Match IDs required"),
  24: code("Index IDs required"),
  25: code("Subscription buffer overflow", true),
  26: code("Subscription market limit exceeded"),
  27: code("Too many requests"),
  28: code("Underlying tickers required"),
};

/** Codes after which the subscription is gone and must be re-subscribed (10, 25). */
export function isTerminalWsError(code: number): boolean {
  return WS_ERROR_CODES[code]?.terminal === true;
}

export function wsErrorName(code: number): string {
  return WS_ERROR_CODES[code]?.name ?? `Unknown error code ${code}`;
}

// ---------------------------------------------------------------------------------------
// Parsing

export type ParsedWsMessage =
  | { kind: "message"; message: WsMessage }
  /** A `type` we do not handle; `sid`/`seq` are passed on so the seq check still sees it. */
  | { kind: "unknown"; type: string; sid?: number; seq?: number }
  | { kind: "invalid"; type?: string; error: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 1 ? v : undefined;
}

function describeIssues(error: z.ZodError): string {
  const parts = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
  if (error.issues.length > 5) parts.push(`(+${error.issues.length - 5} more)`);
  return parts.join("; ");
}

/**
 * Validates one decoded frame. Never throws: known types come back validated, an unknown
 * `type` string as `unknown`, anything else (wrong fields, no `type`, not an object) as
 * `invalid` with a short reason for the log.
 */
export function parseWsMessage(data: unknown): ParsedWsMessage {
  try {
    if (!isRecord(data)) {
      return {
        kind: "invalid",
        error: `expected a JSON object, got ${Array.isArray(data) ? "array" : typeof data}`,
      };
    }
    const type = data.type;
    if (typeof type !== "string") return { kind: "invalid", error: "missing or non-string `type`" };
    const schema = SCHEMA_BY_TYPE.get(type);
    if (schema === undefined) {
      const out: ParsedWsMessage = { kind: "unknown", type };
      const sid = positiveInt(data.sid);
      const seq = positiveInt(data.seq);
      if (sid !== undefined) out.sid = sid;
      if (seq !== undefined) out.seq = seq;
      return out;
    }
    const r = schema.safeParse(data);
    if (r.success) return { kind: "message", message: r.data };
    return { kind: "invalid", type, error: describeIssues(r.error) };
  } catch (err) {
    // hostile input (throwing getters, proxies): still a result, never an exception
    return { kind: "invalid", error: `unparseable frame: ${describeThrown(err)}` };
  }
}

/** What was thrown, as text; a value that cannot be turned into a string (no prototype) is named. */
function describeThrown(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return `unprintable ${typeof err}`;
  }
}

/** `JSON.parse` + `parseWsMessage`; bad JSON is `invalid`, never an exception. */
export function parseWsText(text: string): ParsedWsMessage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { kind: "invalid", error: `bad JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  return parseWsMessage(data);
}

// ---------------------------------------------------------------------------------------
// Commands (client -> server)

export interface SubscribeParams {
  channels: WsChannel[];
  market_ticker?: string;
  market_tickers?: string[];
  send_initial_snapshot?: boolean;
  skip_ticker_ack?: boolean;
  use_yes_price?: boolean;
}
export interface SubscribeCommand {
  id: number;
  cmd: "subscribe";
  params: SubscribeParams;
}
export interface UnsubscribeCommand {
  id: number;
  cmd: "unsubscribe";
  params: { sids: number[] };
}
export type UpdateAction = "add_markets" | "delete_markets" | "get_snapshot";
export interface UpdateSubscriptionCommand {
  id: number;
  cmd: "update_subscription";
  params: { sid?: number; sids?: [number]; market_tickers: string[]; action: UpdateAction };
}
export interface ListSubscriptionsCommand {
  id: number;
  cmd: "list_subscriptions";
}
export type WsCommand =
  | SubscribeCommand
  | UnsubscribeCommand
  | UpdateSubscriptionCommand
  | ListSubscriptionsCommand;

/** A builder was called with arguments Kalshi would reject: a bug in the caller. */
export class WsCommandError extends Error {
  override name = "WsCommandError";
}

function checkId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0)
    throw new WsCommandError(`command id must be an integer >= 0, got ${id}`);
}

function checkSid(sid: number): void {
  if (!Number.isSafeInteger(sid) || sid < 1)
    throw new WsCommandError(`sid must be an integer >= 1, got ${sid}`);
}

function checkTickers(tickers: readonly string[], field: string): void {
  if (tickers.length === 0) throw new WsCommandError(`${field} must not be empty`);
  for (const t of tickers) {
    if (typeof t !== "string" || !MARKET_TICKER_RE.test(t)) {
      throw new WsCommandError(`${field}: ${JSON.stringify(t)} is not a market ticker (${MARKET_TICKER_RE})`);
    }
  }
}

export interface SubscribeOptions {
  channels: readonly WsChannel[];
  /** One market; mutually exclusive with `marketTickers`. */
  marketTicker?: string;
  marketTickers?: readonly string[];
  /** orderbook_delta only: NO-side levels on the YES scale. Set it explicitly; the default will flip. */
  useYesPrice?: boolean;
  /** ticker only: an initial ticker message per requested market. */
  sendInitialSnapshot?: boolean;
  /** `ok` replies omit the ticker lists. */
  skipTickerAck?: boolean;
}

/** `{"id","cmd":"subscribe","params":{...}}`; throws `WsCommandError` on a bad call. */
export function subscribeCmd(id: number, opts: SubscribeOptions): SubscribeCommand {
  checkId(id);
  const { channels } = opts;
  if (channels.length === 0) throw new WsCommandError("subscribe needs at least one channel");
  const seen = new Set<string>();
  for (const c of channels) {
    if (!WsChannel.safeParse(c).success) throw new WsCommandError(`unknown channel ${JSON.stringify(c)}`);
    if (seen.has(c)) throw new WsCommandError(`channel ${c} listed twice`);
    seen.add(c);
  }
  if (opts.marketTicker !== undefined && opts.marketTickers !== undefined) {
    throw new WsCommandError("market_ticker and market_tickers are mutually exclusive");
  }
  if (opts.marketTicker !== undefined) checkTickers([opts.marketTicker], "market_ticker");
  if (opts.marketTickers !== undefined) checkTickers(opts.marketTickers, "market_tickers");
  const hasMarkets = opts.marketTicker !== undefined || opts.marketTickers !== undefined;
  if (seen.has("orderbook_delta") && !hasMarkets) {
    throw new WsCommandError("orderbook_delta requires market_ticker or market_tickers");
  }
  if (opts.useYesPrice !== undefined && !seen.has("orderbook_delta")) {
    throw new WsCommandError("use_yes_price applies to the orderbook_delta channel only");
  }
  if (opts.sendInitialSnapshot !== undefined && !seen.has("ticker")) {
    throw new WsCommandError("send_initial_snapshot applies to the ticker channel only");
  }
  const params: SubscribeParams = { channels: [...channels] };
  if (opts.marketTicker !== undefined) params.market_ticker = opts.marketTicker;
  if (opts.marketTickers !== undefined) params.market_tickers = [...opts.marketTickers];
  if (opts.sendInitialSnapshot !== undefined) params.send_initial_snapshot = opts.sendInitialSnapshot;
  if (opts.skipTickerAck !== undefined) params.skip_ticker_ack = opts.skipTickerAck;
  if (opts.useYesPrice !== undefined) params.use_yes_price = opts.useYesPrice;
  return { id, cmd: "subscribe", params };
}

/** `{"id","cmd":"unsubscribe","params":{"sids":[...]}}`. */
export function unsubscribeCmd(id: number, sids: readonly number[]): UnsubscribeCommand {
  checkId(id);
  if (sids.length === 0) throw new WsCommandError("unsubscribe needs at least one sid");
  for (const s of sids) checkSid(s);
  return { id, cmd: "unsubscribe", params: { sids: [...sids] } };
}

export type UpdateSubscriptionOptions = (
  | { sid: number; sids?: undefined }
  /** the spec's alternative form: an array holding exactly one sid */
  | { sids: readonly [number]; sid?: undefined }
) & {
  action: UpdateAction;
  marketTickers: readonly string[];
};

/**
 * `{"id","cmd":"update_subscription","params":{sid|sids, market_tickers, action}}`.
 * `get_snapshot` (orderbook_delta only) answers with fresh `orderbook_snapshot`s carrying this id.
 */
export function updateSubscriptionCmd(
  id: number,
  opts: UpdateSubscriptionOptions,
): UpdateSubscriptionCommand {
  checkId(id);
  const hasSid = opts.sid !== undefined;
  const hasSids = opts.sids !== undefined;
  if (hasSid === hasSids) throw new WsCommandError("update_subscription needs exactly one of sid or sids");
  if (hasSids && opts.sids?.length !== 1)
    throw new WsCommandError("update_subscription sids must hold exactly one sid");
  const action: string = opts.action;
  if (action !== "add_markets" && action !== "delete_markets" && action !== "get_snapshot") {
    throw new WsCommandError(`unsupported update_subscription action ${JSON.stringify(action)}`);
  }
  checkTickers(opts.marketTickers, "market_tickers");
  const params: UpdateSubscriptionCommand["params"] = {
    market_tickers: [...opts.marketTickers],
    action: opts.action,
  };
  if (opts.sid !== undefined) {
    checkSid(opts.sid);
    params.sid = opts.sid;
  } else if (opts.sids !== undefined) {
    checkSid(opts.sids[0]);
    params.sids = [opts.sids[0]];
  }
  return { id, cmd: "update_subscription", params };
}

/** `{"id","cmd":"list_subscriptions"}`: the spec's command has no `params`. */
export function listSubscriptionsCmd(id: number): ListSubscriptionsCommand {
  checkId(id);
  return { id, cmd: "list_subscriptions" };
}

// ---------------------------------------------------------------------------------------
// Domain converters (camelCase, integer units). Inputs are validated messages, so the
// parse* calls cannot throw on them.

/** `[price, count]`; NO-side prices are NO-leg unless the subscription set `use_yes_price`. */
export type BookLevel = readonly [PriceUnits, CountUnits];

/** Snapshot levels in wire order (Kalshi's ordering is not guaranteed: sort before use). */
export function levelsOf(levels: readonly WireLevel[] | undefined): BookLevel[] {
  if (levels === undefined) return [];
  return levels.map(([p, c]) => [parsePrice(p), parseCount(c)] as const);
}

export interface BookSnapshot {
  ticker: string;
  marketId: string;
  yes: BookLevel[];
  no: BookLevel[];
}

export function toBookSnapshot(m: OrderbookSnapshot): BookSnapshot {
  return {
    ticker: m.msg.market_ticker,
    marketId: m.msg.market_id,
    yes: levelsOf(m.msg.yes_dollars_fp),
    no: levelsOf(m.msg.no_dollars_fp),
  };
}

export interface BookDelta {
  ticker: string;
  side: MarketSide;
  price: PriceUnits;
  /** signed change in resting count at `price`; the level goes when it reaches <= 0 */
  delta: CountUnits;
  /** `ts_ms`, else the deprecated RFC3339 `ts`, else null */
  tsMs: number | null;
  /** present only when our own order moved the book */
  clientOrderId?: string;
}

function rfc3339Ms(s: string | undefined): number | null {
  if (s === undefined) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

export function toBookDelta(m: OrderbookDelta): BookDelta {
  const d: BookDelta = {
    ticker: m.msg.market_ticker,
    side: m.msg.side,
    price: parsePrice(m.msg.price_dollars),
    delta: parseSignedCount(m.msg.delta_fp),
    tsMs: m.msg.ts_ms ?? rfc3339Ms(m.msg.ts),
  };
  if (m.msg.client_order_id !== undefined) d.clientOrderId = m.msg.client_order_id;
  return d;
}

export interface TickerUpdate {
  ticker: string;
  lastPrice: PriceUnits;
  yesBid: PriceUnits;
  yesAsk: PriceUnits;
  yesBidSize: CountUnits;
  yesAskSize: CountUnits;
  lastTradeSize: CountUnits;
  volume: CountUnits;
  openInterest: CountUnits;
  tsMs: number;
}

export function toTickerUpdate(m: Ticker): TickerUpdate {
  const x = m.msg;
  return {
    ticker: x.market_ticker,
    lastPrice: parsePrice(x.price_dollars),
    yesBid: parsePrice(x.yes_bid_dollars),
    yesAsk: parsePrice(x.yes_ask_dollars),
    yesBidSize: parseCount(x.yes_bid_size_fp),
    yesAskSize: parseCount(x.yes_ask_size_fp),
    lastTradeSize: parseCount(x.last_trade_size_fp),
    volume: parseCount(x.volume_fp),
    openInterest: parseCount(x.open_interest_fp),
    tsMs: x.ts_ms,
  };
}

export interface PublicTrade {
  tradeId: string;
  ticker: string;
  yesPrice: PriceUnits;
  count: CountUnits;
  takerOutcomeSide: MarketSide;
  isBlockTrade: boolean;
  tsMs: number;
}

export function toPublicTrade(m: Trade): PublicTrade {
  const x = m.msg;
  return {
    tradeId: x.trade_id,
    ticker: x.market_ticker,
    yesPrice: parsePrice(x.yes_price_dollars),
    count: parseCount(x.count_fp),
    takerOutcomeSide: x.taker_outcome_side,
    isBlockTrade: x.is_block_trade,
    tsMs: x.ts_ms,
  };
}

export interface FillEvent {
  tradeId: string;
  orderId: string;
  clientOrderId?: string;
  ticker: string;
  exchangeIndex: number;
  isTaker: boolean;
  outcomeSide: MarketSide;
  bookSide: BookSide;
  yesPrice: PriceUnits;
  count: CountUnits;
  fee: MoneyMicros;
  /** signed position after the fill: > 0 YES, < 0 NO */
  postPosition: CountUnits;
  tsMs: number;
  subaccount?: number;
}

export function toFillEvent(m: Fill): FillEvent {
  const x = m.msg;
  const f: FillEvent = {
    tradeId: x.trade_id,
    orderId: x.order_id,
    ticker: x.market_ticker,
    exchangeIndex: x.exchange_index,
    isTaker: x.is_taker,
    outcomeSide: x.outcome_side,
    bookSide: x.book_side,
    yesPrice: parsePrice(x.yes_price_dollars),
    count: parseCount(x.count_fp),
    fee: parseMoney(x.fee_cost),
    postPosition: parseSignedCount(x.post_position_fp),
    tsMs: x.ts_ms,
  };
  if (x.client_order_id !== undefined) f.clientOrderId = x.client_order_id;
  if (x.subaccount !== undefined) f.subaccount = x.subaccount;
  return f;
}

export interface UserOrderUpdate {
  orderId: string;
  clientOrderId: string;
  ticker: string;
  exchangeIndex: number;
  status: UserOrderStatus;
  outcomeSide: MarketSide;
  bookSide: BookSide;
  yesPrice: PriceUnits;
  fillCount: CountUnits;
  remainingCount: CountUnits;
  initialCount: CountUnits;
  takerFillCost: MoneyMicros;
  makerFillCost: MoneyMicros;
  takerFees: MoneyMicros;
  makerFees: MoneyMicros;
  createdTsMs: number | null;
  lastUpdatedTsMs?: number;
  expirationTsMs?: number;
  lastUpdateReason?: string;
  orderGroupId?: string;
  subaccount?: number;
}

export function toUserOrderUpdate(m: UserOrder): UserOrderUpdate {
  const x = m.msg;
  const u: UserOrderUpdate = {
    orderId: x.order_id,
    clientOrderId: x.client_order_id,
    ticker: x.ticker,
    exchangeIndex: x.exchange_index,
    status: x.status,
    outcomeSide: x.outcome_side,
    bookSide: x.book_side,
    yesPrice: parsePrice(x.yes_price_dollars),
    fillCount: parseCount(x.fill_count_fp),
    remainingCount: parseCount(x.remaining_count_fp),
    initialCount: parseCount(x.initial_count_fp),
    takerFillCost: parseMoney(x.taker_fill_cost_dollars),
    makerFillCost: parseMoney(x.maker_fill_cost_dollars),
    takerFees: parseMoney(x.taker_fees_dollars),
    makerFees: parseMoney(x.maker_fees_dollars),
    createdTsMs: x.created_ts_ms,
  };
  if (x.last_updated_ts_ms !== undefined) u.lastUpdatedTsMs = x.last_updated_ts_ms;
  if (x.expiration_ts_ms !== undefined) u.expirationTsMs = x.expiration_ts_ms;
  if (x.last_update_reason !== undefined) u.lastUpdateReason = x.last_update_reason;
  if (x.order_group_id !== undefined) u.orderGroupId = x.order_group_id;
  if (x.subaccount_number !== undefined) u.subaccount = x.subaccount_number;
  return u;
}

export interface PositionUpdate {
  ticker: string;
  /** signed: > 0 YES contracts, < 0 NO contracts */
  position: CountUnits;
  positionCost: MoneyMicros;
  realizedPnl: MoneyMicros;
  feesPaid: MoneyMicros;
  positionFeeCost: MoneyMicros;
  volume: CountUnits;
  subaccount?: number;
}

export function toPositionUpdate(m: MarketPosition): PositionUpdate {
  const x = m.msg;
  const p: PositionUpdate = {
    ticker: x.market_ticker,
    position: parseSignedCount(x.position_fp),
    positionCost: parseMoney(x.position_cost_dollars),
    realizedPnl: parseMoney(x.realized_pnl_dollars),
    feesPaid: parseMoney(x.fees_paid_dollars),
    positionFeeCost: parseMoney(x.position_fee_cost_dollars),
    volume: parseCount(x.volume_fp),
  };
  if (x.subaccount !== undefined) p.subaccount = x.subaccount;
  return p;
}

export interface OrderGroupUpdate {
  eventType: OrderGroupEventType;
  orderGroupId: string;
  /** count units; on `created` and `limit_updated` */
  contractsLimit?: CountUnits;
  tsMs: number;
}

export function toOrderGroupUpdate(m: OrderGroupUpdates): OrderGroupUpdate {
  const u: OrderGroupUpdate = {
    eventType: m.msg.event_type,
    orderGroupId: m.msg.order_group_id,
    tsMs: m.msg.ts_ms,
  };
  if (m.msg.contracts_limit_fp !== undefined) u.contractsLimit = parseCount(m.msg.contracts_limit_fp);
  return u;
}

export interface LifecycleEvent {
  ticker: string;
  eventType: LifecycleEventType;
  exchangeIndex?: number;
  /** wire `*_ts` are Unix seconds; converted to ms */
  openTsMs?: number;
  closeTsMs?: number;
  determinationTsMs?: number;
  settledTsMs?: number;
  result?: string;
  settlementValue?: PriceUnits;
  isDeactivated?: boolean;
  priceLevelStructure?: string;
  /** the market's new tick grid, from `price_ranges` (created, price_level_structure_updated) */
  tickGrid?: TickGrid;
  /** why `price_ranges` is not a valid grid (then `tickGrid` is absent): do not quote that market */
  tickGridError?: string;
  eventTicker?: string;
  canCloseEarly?: boolean;
}

/** A lifecycle message of either channel (combo markets' messages carry no grid). */
export function toLifecycleEvent(m: MarketLifecycleV2 | MultivariateMarketLifecycle): LifecycleEvent {
  const x: MarketLifecycleV2["msg"] = m.msg;
  const e: LifecycleEvent = { ticker: x.market_ticker, eventType: x.event_type };
  if (x.exchange_index !== undefined) e.exchangeIndex = x.exchange_index;
  if (x.open_ts !== undefined) e.openTsMs = x.open_ts * 1000;
  if (x.close_ts !== undefined) e.closeTsMs = x.close_ts * 1000;
  if (x.determination_ts !== undefined) e.determinationTsMs = x.determination_ts * 1000;
  if (x.settled_ts !== undefined) e.settledTsMs = x.settled_ts * 1000;
  if (x.result !== undefined) e.result = x.result;
  if (x.settlement_value !== undefined) e.settlementValue = parsePrice(x.settlement_value);
  if (x.is_deactivated !== undefined) e.isDeactivated = x.is_deactivated;
  if (x.price_level_structure !== undefined) e.priceLevelStructure = x.price_level_structure;
  if (x.price_ranges !== undefined) {
    const g = safeParseTickGrid(x.price_ranges);
    if (g.ok) e.tickGrid = g.grid;
    else e.tickGridError = g.error;
  }
  if (x.additional_metadata !== undefined) {
    e.eventTicker = x.additional_metadata.event_ticker;
    e.canCloseEarly = x.additional_metadata.can_close_early;
  }
  return e;
}
