/**
 * History rows: the shape of every row the bot writes to Supabase (one zod schema per table,
 * matching `migrations/`), the builders that turn domain objects and events into those rows, and
 * each table's natural key (the `on_conflict` columns of its upsert).
 *
 * Who calls it: the account object and the modules it wires (order path, risk, scheduler,
 * notifications), inside the `transactionSync` of the change they record, handing the rows to
 * `appendHistory` (store.ts). The flush (flush.ts) sends them as they are.
 *
 * Units: the bot's integers become exact decimal strings, never floats: money micro-dollars ->
 * dollars with 6 decimals (`"1.250000"`), price units -> dollars with 4 decimals (`"0.5600"`),
 * count units -> contracts with 2 decimals (`"10.00"`), the same strings Kalshi's API uses.
 * Postgres stores them in numeric columns exactly. Times are ISO 8601 UTC strings.
 *
 * Builders validate what they produce and throw a `HistoryRowError` naming the field on bad input
 * (a NaN price, a non-integer count). On the trading path wrap them in `guardRows`, which turns a
 * failure into a `logs` row instead of aborting the caller's transaction.
 */

import { z } from "zod";
import type {
  Fill as DomainFill,
  ExitReason,
  MarketInfo,
  Order,
  RoundTrip,
  TradingState,
} from "../../shared/domain.ts";
import { FixedPointError, formatCount, formatMoney, formatPrice } from "../../shared/kalshi/units.ts";

// ---------------------------------------------------------------- tables and keys

export const HISTORY_TABLES = [
  "markets",
  "orders",
  "fills",
  "trades",
  "account_snapshots",
  "daily_reports",
  "alerts",
  "risk_events",
  "recon_diffs",
  "logs",
] as const;
export type HistoryTable = (typeof HISTORY_TABLES)[number];

export function isHistoryTable(s: string): s is HistoryTable {
  return (HISTORY_TABLES as readonly string[]).includes(s);
}

/**
 * Records of trading: kept in the outbox whatever its size. The others (logs, markets seen,
 * snapshots) are low-value: at the outbox bound they are dropped oldest-first (store.ts).
 */
export const TRADING_TABLES: ReadonlySet<HistoryTable> = new Set<HistoryTable>([
  "orders",
  "fills",
  "trades",
  "risk_events",
  "recon_diffs",
  "alerts",
  "daily_reports",
]);
export const LOW_VALUE_TABLES: readonly HistoryTable[] = HISTORY_TABLES.filter((t) => !TRADING_TABLES.has(t));

// ---------------------------------------------------------------- errors and field helpers

/** A builder was given something that cannot become a valid row. The message names the field. */
export class HistoryRowError extends Error {
  override name = "HistoryRowError";
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Largest JSON document in a jsonb column (the daily report's data may be larger). */
const MAX_JSON_CHARS = 16_000;
const MAX_REPORT_JSON_CHARS = 256_000;
/** Earliest and latest accepted times: 2000-01-01 and 2200-01-01 UTC. */
const MIN_TIME_MS = 946_684_800_000;
const MAX_TIME_MS = 7_258_118_400_000;

function fail(table: HistoryTable, field: string, problem: string): never {
  throw new HistoryRowError(`${table}.${field}: ${problem}`);
}

function units(table: HistoryTable, field: string, v: number, format: (n: number) => string): string {
  if (!Number.isSafeInteger(v)) fail(table, field, `${String(v)} is not an integer in the bot's units`);
  try {
    return format(v);
  } catch (err) {
    if (err instanceof FixedPointError) fail(table, field, err.message);
    throw err;
  }
}

const price = (t: HistoryTable, f: string, v: number) => units(t, f, v, formatPrice);
const count = (t: HistoryTable, f: string, v: number) => units(t, f, v, formatCount);
const money = (t: HistoryTable, f: string, v: number) => units(t, f, v, formatMoney);

function time(table: HistoryTable, field: string, ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
    fail(table, field, `${String(ms)} is not a Unix time in milliseconds between 2000 and 2200`);
  }
  return new Date(ms).toISOString();
}

function optTime(table: HistoryTable, field: string, ms: number | null): string | null {
  return ms === null ? null : time(table, field, ms);
}

function int(table: HistoryTable, field: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) fail(table, field, `${String(v)} is not a non-negative integer`);
  return v;
}

/** Free text is cut to its column's bound (with an ellipsis), never refused for its length. */
function text(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

function json<T extends JsonValue>(table: HistoryTable, field: string, v: T, max = MAX_JSON_CHARS): T {
  const parsed = z.json().safeParse(v);
  if (!parsed.success)
    fail(table, field, "is not plain JSON (no undefined, NaN, Infinity, Date or class instance)");
  const size = JSON.stringify(v).length;
  if (size > max) fail(table, field, `JSON of ${size} characters is above the ${max} limit`);
  return v;
}

/** The natural key of a row as the outbox stores it: its conflict columns' values, JSON-encoded. */
export function naturalKey(table: HistoryTable, row: Record<string, unknown>): string {
  return JSON.stringify(CONFLICT_COLUMNS[table].map((c) => row[c]));
}

// ---------------------------------------------------------------- column schemas

const AccountKey = z.string().regex(/^\S{1,120}$/, "an account key such as sim:default, no spaces");
const Id = z.string().min(1).max(100);
const EventId = z.string().min(1).max(200);
const Ticker = z.string().min(1).max(200);
const Timestamp = z.iso.datetime();
const PriceStr = z.string().regex(/^(0\.\d{4}|1\.0000)$/, "a price in dollars, 0.0000 to 1.0000");
const CountStr = z.string().regex(/^-?\d{1,10}\.\d{2}$/, "contracts with 2 decimals");
const MoneyStr = z.string().regex(/^-?\d{1,14}\.\d{6}$/, "dollars with 6 decimals");
const SnakeName = z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, "a snake_case name");
const Json = z.json();
const JsonObj = z.record(z.string(), z.json());
const SideE = z.enum(["yes", "no"]);
const TradingStateE = z.enum(["active", "reducing", "halted"]);

const nonNegative = (s: string) => !s.startsWith("-");
const positive = (s: string) => nonNegative(s) && /[1-9]/.test(s);

// ---------------------------------------------------------------- row schemas (one per table)

export const MarketRow = z.object({
  account: AccountKey,
  ticker: Ticker,
  event_ticker: Ticker,
  series_ticker: Ticker,
  status: z.enum([
    "initialized",
    "active",
    "inactive",
    "closed",
    "determined",
    "disputed",
    "amended",
    "finalized",
  ]),
  open_time: Timestamp,
  close_time: Timestamp,
  exchange_index: z.int().min(0),
  tick_bands: z.array(z.object({ start: PriceStr, end: PriceStr, step: PriceStr })),
  volume_24h: CountStr.refine(nonNegative, "volume is not negative"),
  fee_type: z
    .enum(["quadratic", "quadratic_with_maker_fees", "quadratic_with_combo_maker_fees", "flat"])
    .nullable(),
  fee_multiplier: z
    .string()
    .regex(/^\d{1,4}\.\d{6}$/)
    .nullable(),
  fee_waiver_until: Timestamp.nullable(),
  can_close_early: z.boolean(),
  multivariate: z.boolean(),
  first_seen_at: Timestamp,
  last_seen_at: Timestamp,
});
export type MarketRow = z.infer<typeof MarketRow>;

export const OrderRow = z
  .object({
    account: AccountKey,
    client_order_id: Id,
    intent_id: Id,
    order_id: Id.nullable(),
    ticker: Ticker,
    side: SideE,
    action: z.enum(["buy", "sell"]),
    price: PriceStr,
    count: CountStr.refine(positive, "count is above zero"),
    purpose: z.enum(["entry", "take_profit", "stop", "exit", "manual"]),
    time_in_force: z.enum(["immediate_or_cancel", "good_till_canceled", "fill_or_kill"]),
    post_only: z.boolean(),
    reduce_only: z.boolean(),
    expiration_time: Timestamp.nullable(),
    position_id: Id.nullable(),
    exchange_index: z.int().min(0),
    order_group_id: Id.nullable(),
    state: z.enum(["pending", "resting", "partially_filled", "filled", "cancelled", "expired", "rejected"]),
    ack: z.enum(["unsent", "accepted", "rejected", "unknown"]),
    filled: CountStr.refine(nonNegative, "filled is not negative"),
    fees: MoneyStr,
    fill_cost: MoneyStr.refine(nonNegative, "fill cost is not negative"),
    created_at: Timestamp,
    updated_at: Timestamp,
    reason: z.string().max(200),
    error: z.string().max(2000).nullable(),
  })
  .refine((r) => Number(r.filled) <= Number(r.count), {
    message: "filled is at most count",
    path: ["filled"],
  });
export type OrderRow = z.infer<typeof OrderRow>;

export const FillRow = z
  .object({
    account: AccountKey,
    fill_id: Id,
    order_id: Id,
    ticker: Ticker,
    yes_price: PriceStr,
    count: CountStr.refine(positive, "count is above zero"),
    yes_delta: CountStr,
    fee: MoneyStr,
    is_taker: z.boolean(),
    filled_at: Timestamp,
  })
  .refine((r) => r.yes_delta.replace(/^-/, "") === r.count, {
    message: "yes_delta is +count or -count",
    path: ["yes_delta"],
  });
export type FillRow = z.infer<typeof FillRow>;

const EXIT_REASONS = [
  "take_profit",
  "stop",
  "timeout",
  "pre_close",
  "deactivated",
  "settled",
  "flatten",
  "manual",
  "external",
] as const satisfies readonly ExitReason[];

export const TradeRow = z
  .object({
    account: AccountKey,
    position_id: Id,
    ticker: Ticker,
    side: SideE,
    contracts: CountStr.refine(positive, "contracts is above zero"),
    avg_entry: PriceStr,
    avg_exit: PriceStr,
    opened_at: Timestamp,
    closed_at: Timestamp,
    reason: z.enum(EXIT_REASONS),
    fees: MoneyStr,
    pnl: MoneyStr,
  })
  .refine((r) => r.closed_at >= r.opened_at, {
    message: "closed at or after it opened",
    path: ["closed_at"],
  });
export type TradeRow = z.infer<typeof TradeRow>;

export const SnapshotRow = z.object({
  account: AccountKey,
  taken_at: Timestamp,
  cash: MoneyStr,
  portfolio_value: MoneyStr,
  exposure: MoneyStr.refine(nonNegative, "exposure is not negative"),
  realized_today: MoneyStr,
  unrealized: MoneyStr,
  open_positions: z.int().min(0),
  open_orders: z.int().min(0),
  trading_state: TradingStateE,
});
export type SnapshotRow = z.infer<typeof SnapshotRow>;

export const ReportRow = z
  .object({
    account: AccountKey,
    day: z.iso.date(),
    generated_at: Timestamp,
    subject: z.string().min(1).max(300),
    trades: z.int().min(0),
    wins: z.int().min(0),
    losses: z.int().min(0),
    net_pnl: MoneyStr,
    fees: MoneyStr,
    start_equity: MoneyStr.nullable(),
    end_equity: MoneyStr.nullable(),
    sent_at: Timestamp.nullable(),
    email_id: z.string().min(1).max(200).nullable(),
    data: JsonObj,
  })
  .refine((r) => r.wins + r.losses <= r.trades, {
    message: "wins + losses is at most trades",
    path: ["wins"],
  });
export type ReportRow = z.infer<typeof ReportRow>;

export const AlertRow = z.object({
  account: AccountKey,
  event_id: EventId,
  raised_at: Timestamp,
  kind: SnakeName,
  severity: z.enum(["info", "warning", "critical"]),
  message: z.string().min(1).max(2000),
  details: JsonObj,
  delivered_at: Timestamp.nullable(),
});
export type AlertRow = z.infer<typeof AlertRow>;

export const RiskEventRow = z.object({
  account: AccountKey,
  event_id: EventId,
  occurred_at: Timestamp,
  kind: SnakeName,
  code: SnakeName,
  message: z.string().min(1).max(2000),
  ticker: Ticker.nullable(),
  trading_state: TradingStateE.nullable(),
  numbers: z.record(z.string(), z.number()),
});
export type RiskEventRow = z.infer<typeof RiskEventRow>;

export const ReconDiffRow = z.object({
  account: AccountKey,
  event_id: EventId,
  found_at: Timestamp,
  kind: SnakeName,
  ticker: Ticker.nullable(),
  order_id: Id.nullable(),
  client_order_id: Id.nullable(),
  ours: Json.nullable(),
  exchange: Json.nullable(),
  explained: z.boolean(),
  resolution: z.string().max(2000),
  acknowledged_at: Timestamp.nullable(),
});
export type ReconDiffRow = z.infer<typeof ReconDiffRow>;

export const LogRow = z.object({
  account: AccountKey,
  event_id: EventId,
  logged_at: Timestamp,
  level: z.enum(["debug", "info", "warn", "error"]),
  event: SnakeName,
  message: z.string().max(2000),
  data: JsonObj,
});
export type LogRow = z.infer<typeof LogRow>;

/** The row type of each table. */
export interface RowOf {
  markets: MarketRow;
  orders: OrderRow;
  fills: FillRow;
  trades: TradeRow;
  account_snapshots: SnapshotRow;
  daily_reports: ReportRow;
  alerts: AlertRow;
  risk_events: RiskEventRow;
  recon_diffs: ReconDiffRow;
  logs: LogRow;
}

/** The zod schema of each table's row (used again when rows are read back from the outbox). */
export const ROW_SCHEMAS: { readonly [T in HistoryTable]: z.ZodType<RowOf[T]> } = {
  markets: MarketRow,
  orders: OrderRow,
  fills: FillRow,
  trades: TradeRow,
  account_snapshots: SnapshotRow,
  daily_reports: ReportRow,
  alerts: AlertRow,
  risk_events: RiskEventRow,
  recon_diffs: ReconDiffRow,
  logs: LogRow,
};

/**
 * Each table's natural key: the unique columns its upsert names in `on_conflict` (the primary
 * key in migrations/). Every key starts with `account`.
 */
export const CONFLICT_COLUMNS: { readonly [T in HistoryTable]: readonly (keyof RowOf[T] & string)[] } = {
  markets: ["account", "ticker"],
  orders: ["account", "client_order_id"],
  fills: ["account", "fill_id"],
  trades: ["account", "position_id"],
  account_snapshots: ["account", "taken_at"],
  daily_reports: ["account", "day"],
  alerts: ["account", "event_id"],
  risk_events: ["account", "event_id"],
  recon_diffs: ["account", "event_id"],
  logs: ["account", "event_id"],
};

/** `CONFLICT_COLUMNS` as the comma-separated `onConflict` string supabase-js takes. */
export function onConflictOf(table: HistoryTable): string {
  return CONFLICT_COLUMNS[table].join(",");
}

/**
 * One row on its way to Supabase: its table, natural key (see `naturalKey`), the time it is about
 * (for local queries, newest first) and the row itself.
 */
export type HistoryRow = {
  [T in HistoryTable]: { table: T; key: string; atMs: number; row: RowOf[T] };
}[HistoryTable];

function finish<T extends HistoryTable>(table: T, atMs: number, candidate: RowOf[T]): HistoryRow {
  const parsed = ROW_SCHEMAS[table].safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "row";
    fail(table, where, issue?.message ?? "is invalid");
  }
  const row = parsed.data as Record<string, unknown>;
  return { table, key: naturalKey(table, row), atMs, row: parsed.data } as HistoryRow;
}

// ---------------------------------------------------------------- input types of the non-domain rows

/** An account snapshot, taken by the scheduler every few minutes. Money in micro-dollars. */
export interface AccountSnapshot {
  takenMs: number;
  /** Cash balance (Kalshi's `balance`). */
  cash: number;
  /** Market value of the positions held (Kalshi's `portfolio_value`). */
  portfolioValue: number;
  /** Worst-case loss of open positions and working entries (cost at risk), >= 0. */
  exposure: number;
  /** Realised P&L of the current trading day, net of fees. */
  realizedToday: number;
  /** Mark-to-market P&L of open positions. */
  unrealized: number;
  openPositions: number;
  openOrders: number;
  tradingState: TradingState;
}

/**
 * A risk decision worth keeping: an entry denial, a breaker trip or clear, a trading-state
 * change (halt, resume, reducing). `eventId` is unique and stable: made once when the event
 * happens (see `newEventId`) and kept with it, so a replay upserts the same row.
 */
export interface RiskEventRecord {
  eventId: string;
  atMs: number;
  /** snake_case: `deny`, `breaker_trip`, `breaker_clear`, `state_change`, ... */
  kind: string;
  /** snake_case reason code from the risk gate, e.g. `max_open_positions`. */
  code: string;
  message: string;
  ticker: string | null;
  /** The trading state after the event, when it changed it. */
  tradingState: TradingState | null;
  /** The numbers behind the decision (limits and values, in the bot's integer units). */
  numbers: Record<string, number>;
}

export type AlertSeverity = "info" | "warning" | "critical";

/** An alert raised to the operator (email or other channel). `deliveredMs` once sent. */
export interface AlertRecord {
  eventId: string;
  atMs: number;
  /** snake_case: `halted`, `feed_down`, `recon_unexplained`, `history_backlog`, ... */
  kind: string;
  severity: AlertSeverity;
  message: string;
  details: JsonObject;
  deliveredMs: number | null;
}

/**
 * A difference found by reconciliation between the bot's journal and the exchange. The same
 * `eventId` is appended again when it is acknowledged (the row is updated, not duplicated).
 */
export interface ReconDiffRecord {
  eventId: string;
  foundMs: number;
  /** snake_case: `order_unknown_locally`, `order_state`, `fill_missing`, `position_mismatch`, ... */
  kind: string;
  ticker: string | null;
  orderId: string | null;
  clientOrderId: string | null;
  /** What the bot had, and what the exchange said (any JSON; null = nothing on that side). */
  ours: JsonValue | null;
  exchange: JsonValue | null;
  /** True when the fills or the journal explain it; unexplained ones block entries until acknowledged. */
  explained: boolean;
  /** What the bot did about it (adopted the exchange's view, ...). */
  resolution: string;
  acknowledgedMs: number | null;
}

/** One daily report, as rendered and (once sent) delivered. Money in micro-dollars. */
export interface DailyReportRecord {
  /** The America/New_York trading day, `YYYY-MM-DD`. */
  day: string;
  generatedMs: number;
  subject: string;
  trades: number;
  wins: number;
  losses: number;
  netPnl: number;
  fees: number;
  startEquity: number | null;
  endEquity: number | null;
  sentMs: number | null;
  /** The email provider's message id, once sent. */
  emailId: string | null;
  /** The data the report was rendered from (plain JSON, up to 256 000 characters). */
  data: JsonObject;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** A log line worth keeping beyond the Workers log tail. */
export interface LogRecord {
  eventId: string;
  atMs: number;
  level: LogLevel;
  /** snake_case with dots, e.g. `feed.tick_failed`. */
  event: string;
  message: string;
  data: JsonObject;
}

/** A unique, stable event id: made once when the event happens and stored with it. */
export function newEventId(kind: string, atMs: number): string {
  return `${kind}/${atMs}/${crypto.randomUUID()}`;
}

// ---------------------------------------------------------------- builders (one per table)

/** A market seen at `seenMs`; the database keeps the first sighting in `first_seen_at`. */
export function marketRow(account: string, m: MarketInfo, seenMs: number): HistoryRow {
  const t = "markets";
  return finish(t, seenMs, {
    account,
    ticker: m.ticker,
    event_ticker: m.eventTicker,
    series_ticker: m.seriesTicker,
    status: m.status,
    open_time: time(t, "open_time", m.openTimeMs),
    close_time: time(t, "close_time", m.closeTimeMs),
    exchange_index: m.exchangeIndex,
    tick_bands: m.grid.bands.map((b) => ({
      start: price(t, "tick_bands.start", b.start),
      end: price(t, "tick_bands.end", b.end),
      step: price(t, "tick_bands.step", b.step),
    })),
    volume_24h: count(t, "volume_24h", m.volume24h),
    fee_type: m.fee?.feeType ?? null,
    fee_multiplier: m.fee === null ? null : money(t, "fee_multiplier", m.fee.multiplierPpm),
    fee_waiver_until: optTime(t, "fee_waiver_until", m.fee?.waiverUntilMs ?? null),
    can_close_early: m.canCloseEarly,
    multivariate: m.multivariate,
    first_seen_at: time(t, "first_seen_at", seenMs),
    last_seen_at: time(t, "last_seen_at", seenMs),
  });
}

/** The order's latest state, keyed by its client order id. */
export function orderRow(account: string, o: Order): HistoryRow {
  const t = "orders";
  return finish(t, o.createdMs, {
    account,
    client_order_id: o.clientOrderId,
    intent_id: o.intentId,
    order_id: o.orderId,
    ticker: o.ticker,
    side: o.side,
    action: o.action,
    price: price(t, "price", o.price),
    count: count(t, "count", o.count),
    purpose: o.purpose,
    time_in_force: o.tif,
    post_only: o.postOnly,
    reduce_only: o.reduceOnly,
    expiration_time: optTime(t, "expiration_time", o.expirationMs),
    position_id: o.positionId,
    exchange_index: int(t, "exchange_index", o.exchangeIndex),
    order_group_id: o.orderGroupId,
    state: o.state,
    ack: o.ack,
    filled: count(t, "filled", o.filled),
    fees: money(t, "fees", o.fees),
    fill_cost: money(t, "fill_cost", o.fillCost),
    created_at: time(t, "created_at", o.createdMs),
    updated_at: time(t, "updated_at", o.updatedMs),
    reason: text(o.reason, 200),
    error: o.error === null ? null : text(o.error, 2000),
  });
}

/** One execution, keyed by Kalshi's fill id. */
export function fillRow(account: string, f: DomainFill): HistoryRow {
  const t = "fills";
  return finish(t, f.tsMs, {
    account,
    fill_id: f.fillId,
    order_id: f.orderId,
    ticker: f.ticker,
    yes_price: price(t, "yes_price", f.yesPrice),
    count: count(t, "count", f.count),
    yes_delta: count(t, "yes_delta", f.yesDelta),
    fee: money(t, "fee", f.fee),
    is_taker: f.isTaker,
    filled_at: time(t, "filled_at", f.tsMs),
  });
}

/** A closed round trip, keyed by its position id. */
export function tradeRow(account: string, r: RoundTrip): HistoryRow {
  const t = "trades";
  return finish(t, r.closedMs, {
    account,
    position_id: r.positionId,
    ticker: r.ticker,
    side: r.side,
    contracts: count(t, "contracts", r.contracts),
    avg_entry: price(t, "avg_entry", r.avgEntry),
    avg_exit: price(t, "avg_exit", r.avgExit),
    opened_at: time(t, "opened_at", r.openedMs),
    closed_at: time(t, "closed_at", r.closedMs),
    reason: r.reason,
    fees: money(t, "fees", r.fees),
    pnl: money(t, "pnl", r.pnl),
  });
}

/** An account snapshot, keyed by the time it was taken. */
export function snapshotRow(account: string, s: AccountSnapshot): HistoryRow {
  const t = "account_snapshots";
  return finish(t, s.takenMs, {
    account,
    taken_at: time(t, "taken_at", s.takenMs),
    cash: money(t, "cash", s.cash),
    portfolio_value: money(t, "portfolio_value", s.portfolioValue),
    exposure: money(t, "exposure", s.exposure),
    realized_today: money(t, "realized_today", s.realizedToday),
    unrealized: money(t, "unrealized", s.unrealized),
    open_positions: int(t, "open_positions", s.openPositions),
    open_orders: int(t, "open_orders", s.openOrders),
    trading_state: s.tradingState,
  });
}

/** A daily report, keyed by its trading day; local queries sort it by that day. */
export function reportRow(account: string, r: DailyReportRecord): HistoryRow {
  const t = "daily_reports";
  const dayMs = Date.parse(`${r.day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(r.day) || Number.isNaN(dayMs))
    fail(t, "day", `${r.day} is not a YYYY-MM-DD date`);
  return finish(t, dayMs, {
    account,
    day: r.day,
    generated_at: time(t, "generated_at", r.generatedMs),
    subject: text(r.subject, 300),
    trades: int(t, "trades", r.trades),
    wins: int(t, "wins", r.wins),
    losses: int(t, "losses", r.losses),
    net_pnl: money(t, "net_pnl", r.netPnl),
    fees: money(t, "fees", r.fees),
    start_equity: r.startEquity === null ? null : money(t, "start_equity", r.startEquity),
    end_equity: r.endEquity === null ? null : money(t, "end_equity", r.endEquity),
    sent_at: optTime(t, "sent_at", r.sentMs),
    email_id: r.emailId,
    data: json(t, "data", r.data, MAX_REPORT_JSON_CHARS),
  });
}

export function alertRow(account: string, a: AlertRecord): HistoryRow {
  const t = "alerts";
  return finish(t, a.atMs, {
    account,
    event_id: a.eventId,
    raised_at: time(t, "raised_at", a.atMs),
    kind: a.kind,
    severity: a.severity,
    message: text(a.message, 2000),
    details: json(t, "details", a.details),
    delivered_at: optTime(t, "delivered_at", a.deliveredMs),
  });
}

export function riskEventRow(account: string, e: RiskEventRecord): HistoryRow {
  const t = "risk_events";
  for (const [k, v] of Object.entries(e.numbers)) {
    if (!Number.isFinite(v)) fail(t, `numbers.${k}`, `${String(v)} is not a finite number`);
  }
  return finish(t, e.atMs, {
    account,
    event_id: e.eventId,
    occurred_at: time(t, "occurred_at", e.atMs),
    kind: e.kind,
    code: e.code,
    message: text(e.message, 2000),
    ticker: e.ticker,
    trading_state: e.tradingState,
    numbers: json(t, "numbers", e.numbers),
  });
}

export function reconDiffRow(account: string, d: ReconDiffRecord): HistoryRow {
  const t = "recon_diffs";
  return finish(t, d.foundMs, {
    account,
    event_id: d.eventId,
    found_at: time(t, "found_at", d.foundMs),
    kind: d.kind,
    ticker: d.ticker,
    order_id: d.orderId,
    client_order_id: d.clientOrderId,
    ours: d.ours === null ? null : json(t, "ours", d.ours),
    exchange: d.exchange === null ? null : json(t, "exchange", d.exchange),
    explained: d.explained,
    resolution: text(d.resolution, 2000),
    acknowledged_at: optTime(t, "acknowledged_at", d.acknowledgedMs),
  });
}

export function logRow(account: string, l: LogRecord): HistoryRow {
  const t = "logs";
  return finish(t, l.atMs, {
    account,
    event_id: l.eventId,
    logged_at: time(t, "logged_at", l.atMs),
    level: l.level,
    event: l.event,
    message: text(l.message, 2000),
    data: json(t, "data", l.data),
  });
}

/**
 * Runs builders for the trading path: a builder that throws does not abort the caller's
 * transaction; its failure becomes one `logs` row (event `history.row_invalid`, level error) so
 * the bad record is visible in history instead of silently lost. Rows are returned in order.
 */
export function guardRows(account: string, atMs: number, build: () => HistoryRow[]): HistoryRow[] {
  try {
    return build();
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    try {
      return [
        logRow(account, {
          eventId: newEventId("history.row_invalid", atMs),
          atMs,
          level: "error",
          event: "history.row_invalid",
          message,
          data: {},
        }),
      ];
    } catch {
      // The account key or the clock itself is unusable: nothing can be recorded for it.
      console.error(JSON.stringify({ event: "history.row_invalid", error: message.slice(0, 500) }));
      return [];
    }
  }
}
