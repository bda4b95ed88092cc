/**
 * The order path's durable state, in the account object's SQLite: the intent journal (every order
 * with the exact body it was sent with), its fills, the open positions with their exit plans and
 * exit state, closed round trips, reconciliation differences, order groups and the path's own
 * cursors. Every row is checked by zod when read. Writes are synchronous (`ctx.storage.sql`);
 * the order path wraps each state change, and the history rows that record it, in one
 * `transactionSync`, so a restart finds the journal exactly as the last change left it.
 *
 * Owned by `order-path.ts`; nothing else writes these tables.
 */
import { z } from "zod";
import type { Fill, Order, Position, RoundTrip } from "../../shared/domain.ts";
import { bool, type ModuleSchema, readRow, readRows } from "../account/sql-schema.ts";
import type { ExitState } from "./exit-keeper.ts";
import type { OrderRecord } from "./order-state.ts";

export const EXECUTOR_SCHEMA: ModuleSchema = {
  module: "executor",
  migrations: [
    `CREATE TABLE orders (
      intent_id TEXT PRIMARY KEY,
      client_order_id TEXT NOT NULL UNIQUE,
      order_id TEXT UNIQUE,
      ticker TEXT NOT NULL,
      side TEXT NOT NULL,
      action TEXT NOT NULL,
      price INTEGER NOT NULL,
      count INTEGER NOT NULL,
      purpose TEXT NOT NULL,
      tif TEXT NOT NULL,
      post_only INTEGER NOT NULL,
      reduce_only INTEGER NOT NULL,
      expiration_ms INTEGER,
      position_id TEXT,
      exchange_index INTEGER NOT NULL,
      order_group_id TEXT,
      state TEXT NOT NULL,
      ack TEXT NOT NULL,
      filled INTEGER NOT NULL,
      reported_filled INTEGER NOT NULL,
      fill_sum INTEGER NOT NULL,
      fees INTEGER NOT NULL,
      fill_cost INTEGER NOT NULL,
      created_ms INTEGER NOT NULL,
      updated_ms INTEGER NOT NULL,
      reason TEXT NOT NULL,
      error TEXT,
      body TEXT NOT NULL,
      sends INTEGER NOT NULL,
      last_sent_ms INTEGER,
      next_check_ms INTEGER
    );
    CREATE INDEX orders_working ON orders(state) WHERE state IN ('pending', 'resting', 'partially_filled');
    CREATE INDEX orders_ticker ON orders(ticker, created_ms);
    CREATE INDEX orders_created ON orders(created_ms);
    CREATE TABLE fills (
      fill_id TEXT PRIMARY KEY,
      order_id TEXT NOT NULL,
      intent_id TEXT,
      ticker TEXT NOT NULL,
      yes_price INTEGER NOT NULL,
      count INTEGER NOT NULL,
      yes_delta INTEGER NOT NULL,
      fee INTEGER NOT NULL,
      is_taker INTEGER NOT NULL,
      ts_ms INTEGER NOT NULL,
      source TEXT NOT NULL
    );
    CREATE INDEX fills_order ON fills(order_id);
    CREATE INDEX fills_ts ON fills(ts_ms);
    CREATE TABLE positions (
      ticker TEXT PRIMARY KEY,
      position_id TEXT NOT NULL,
      side TEXT NOT NULL,
      contracts INTEGER NOT NULL,
      cost INTEGER NOT NULL,
      fees INTEGER NOT NULL,
      realized_gross INTEGER NOT NULL,
      max_contracts INTEGER NOT NULL,
      exit_proceeds INTEGER NOT NULL,
      best_bid INTEGER NOT NULL,
      worst_bid INTEGER NOT NULL,
      opened_ms INTEGER NOT NULL,
      tp_price INTEGER,
      stop_price INTEGER,
      deadline_ms INTEGER,
      exit_mode TEXT NOT NULL,
      exit_reason TEXT,
      exit_since_ms INTEGER,
      exit_attempts INTEGER NOT NULL,
      exit_request TEXT,
      updated_ms INTEGER NOT NULL
    );
    CREATE TABLE round_trips (
      position_id TEXT PRIMARY KEY,
      ticker TEXT NOT NULL,
      side TEXT NOT NULL,
      contracts INTEGER NOT NULL,
      avg_entry INTEGER NOT NULL,
      avg_exit INTEGER NOT NULL,
      opened_ms INTEGER NOT NULL,
      closed_ms INTEGER NOT NULL,
      reason TEXT NOT NULL,
      fees INTEGER NOT NULL,
      pnl INTEGER NOT NULL
    );
    CREATE INDEX round_trips_closed ON round_trips(closed_ms);
    CREATE TABLE recon_diffs (
      id TEXT PRIMARY KEY,
      at_ms INTEGER NOT NULL,
      kind TEXT NOT NULL,
      ticker TEXT,
      detail TEXT NOT NULL,
      blocking INTEGER NOT NULL,
      reviewed_ms INTEGER
    );
    CREATE INDEX recon_diffs_open ON recon_diffs(blocking, reviewed_ms);
    CREATE TABLE order_groups (
      exchange_index INTEGER PRIMARY KEY,
      group_id TEXT NOT NULL,
      contracts_limit INTEGER NOT NULL,
      triggered_ms INTEGER,
      updated_ms INTEGER NOT NULL
    );
    CREATE TABLE executor_state (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      fills_cursor_ms INTEGER NOT NULL,
      reconciled_ms INTEGER,
      balance INTEGER,
      balance_ms INTEGER
    );
    INSERT INTO executor_state (id, fills_cursor_ms) VALUES (1, 0);`,
    // Round-trip averages over everything bought and sold (a position re-entered after a partial exit).
    `ALTER TABLE positions ADD COLUMN entered INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE positions ADD COLUMN entered_cost INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE positions ADD COLUMN exited INTEGER NOT NULL DEFAULT 0;`,
  ],
};

const int = z.number().int();
const nint = int.nullable();
const side = z.enum(["yes", "no"]);
/** A boolean as SQLite keeps it: exactly 0 or 1 (anything else is a corrupted row, not false). */
const flag = z.union([z.literal(0), z.literal(1)]);

const OrderRow = z.object({
  intent_id: z.string(),
  client_order_id: z.string(),
  order_id: z.string().nullable(),
  ticker: z.string(),
  side,
  action: z.enum(["buy", "sell"]),
  price: int,
  count: int,
  purpose: z.enum(["entry", "take_profit", "stop", "exit", "manual"]),
  tif: z.enum(["immediate_or_cancel", "good_till_canceled", "fill_or_kill"]),
  post_only: flag,
  reduce_only: flag,
  expiration_ms: nint,
  position_id: z.string().nullable(),
  exchange_index: int,
  order_group_id: z.string().nullable(),
  state: z.enum(["pending", "resting", "partially_filled", "filled", "cancelled", "expired", "rejected"]),
  ack: z.enum(["unsent", "accepted", "rejected", "unknown"]),
  filled: int,
  reported_filled: int,
  fill_sum: int,
  fees: int,
  fill_cost: int,
  created_ms: int,
  updated_ms: int,
  reason: z.string(),
  error: z.string().nullable(),
  body: z.string(),
  sends: int,
  last_sent_ms: nint,
  next_check_ms: nint,
});
type OrderRow = z.infer<typeof OrderRow>;

/** A journaled order with what the path needs to resend it exactly and to know when to look again. */
export interface JournalOrder extends OrderRecord {
  /** the create request body exactly as first sent (the resend sends it again) */
  body: string;
  /** create requests sent (first send and resends) */
  sends: number;
  lastSentMs: number | null;
  /** when the unknown-order resolution looks at it next; null = not waiting */
  nextCheckMs: number | null;
}

function toOrder(r: OrderRow): JournalOrder {
  return {
    intentId: r.intent_id,
    clientOrderId: r.client_order_id,
    orderId: r.order_id,
    ticker: r.ticker,
    side: r.side,
    action: r.action,
    price: r.price,
    count: r.count,
    purpose: r.purpose,
    tif: r.tif,
    postOnly: r.post_only === 1,
    reduceOnly: r.reduce_only === 1,
    expirationMs: r.expiration_ms,
    positionId: r.position_id,
    exchangeIndex: r.exchange_index,
    orderGroupId: r.order_group_id,
    state: r.state,
    ack: r.ack,
    filled: r.filled,
    reportedFilled: r.reported_filled,
    fillSum: r.fill_sum,
    fees: r.fees,
    fillCost: r.fill_cost,
    createdMs: r.created_ms,
    updatedMs: r.updated_ms,
    reason: r.reason,
    error: r.error,
    body: r.body,
    sends: r.sends,
    lastSentMs: r.last_sent_ms,
    nextCheckMs: r.next_check_ms,
  };
}

const FillRow = z.object({
  fill_id: z.string(),
  order_id: z.string(),
  intent_id: z.string().nullable(),
  ticker: z.string(),
  yes_price: int,
  count: int,
  yes_delta: int,
  fee: int,
  is_taker: flag,
  ts_ms: int,
  source: z.string(),
});

const exitReason = z.enum([
  "take_profit",
  "stop",
  "timeout",
  "pre_close",
  "deactivated",
  "settled",
  "flatten",
  "manual",
  "external",
]);

const PositionRow = z.object({
  ticker: z.string(),
  position_id: z.string(),
  side,
  contracts: int,
  cost: int,
  fees: int,
  realized_gross: int,
  max_contracts: int,
  entered: int,
  entered_cost: int,
  exited: int,
  exit_proceeds: int,
  best_bid: int,
  worst_bid: int,
  opened_ms: int,
  tp_price: nint,
  stop_price: nint,
  deadline_ms: nint,
  exit_mode: z.enum(["protect", "exiting"]),
  exit_reason: exitReason.nullable(),
  exit_since_ms: nint,
  exit_attempts: int,
  exit_request: exitReason.nullable(),
  updated_ms: int,
});
type PositionRow = z.infer<typeof PositionRow>;

/** A position with its exit state and any exit asked for (strategy or operator). */
export interface HeldPosition {
  position: Position;
  exit: ExitState;
  exitRequest: RoundTrip["reason"] | null;
}

function toHeld(r: PositionRow): HeldPosition {
  const exits =
    r.tp_price !== null && r.stop_price !== null
      ? { takeProfit: r.tp_price, stop: r.stop_price, deadlineMs: r.deadline_ms }
      : null;
  return {
    position: {
      positionId: r.position_id,
      ticker: r.ticker,
      side: r.side,
      contracts: r.contracts,
      cost: r.cost,
      fees: r.fees,
      realizedGross: r.realized_gross,
      maxContracts: r.max_contracts,
      entered: r.entered,
      enteredCost: r.entered_cost,
      exited: r.exited,
      exitProceeds: r.exit_proceeds,
      bestBid: r.best_bid,
      worstBid: r.worst_bid,
      openedMs: r.opened_ms,
      exits,
    },
    exit: { mode: r.exit_mode, reason: r.exit_reason, sinceMs: r.exit_since_ms, attempts: r.exit_attempts },
    exitRequest: r.exit_request,
  };
}

const RoundTripRow = z.object({
  position_id: z.string(),
  ticker: z.string(),
  side,
  contracts: int,
  avg_entry: int,
  avg_exit: int,
  opened_ms: int,
  closed_ms: int,
  reason: exitReason,
  fees: int,
  pnl: int,
});

export type DiffKind =
  | "unknown_order"
  | "order_closed_remotely"
  | "missed_fill"
  | "unknown_fill"
  | "position_mismatch"
  | "unknown_position"
  | "position_closed_remotely"
  | "order_adopted";

export interface ReconDiff {
  id: string;
  atMs: number;
  kind: DiffKind;
  ticker: string | null;
  detail: string;
  /** blocks new entries until reviewed */
  blocking: boolean;
  reviewedMs: number | null;
}

const DiffRow = z.object({
  id: z.string(),
  at_ms: int,
  kind: z.enum([
    "unknown_order",
    "order_closed_remotely",
    "missed_fill",
    "unknown_fill",
    "position_mismatch",
    "unknown_position",
    "position_closed_remotely",
    "order_adopted",
  ]),
  ticker: z.string().nullable(),
  detail: z.string(),
  blocking: flag,
  reviewed_ms: nint,
});

const GroupRow = z.object({
  exchange_index: int,
  group_id: z.string(),
  contracts_limit: int,
  triggered_ms: nint,
  updated_ms: int,
});
export type OrderGroupRow = z.infer<typeof GroupRow>;

const StateRow = z.object({
  fills_cursor_ms: int,
  reconciled_ms: nint,
  balance: nint,
  balance_ms: nint,
});
export type ExecutorStateRow = z.infer<typeof StateRow>;

/**
 * Sums computed in SQL, with how many summed values were not integers: SQLite adds text as 0, so
 * a corrupted row would otherwise vanish into the sum instead of being reported.
 */
const OrderSum = z.object({ n: nint, non_integer: z.literal(0).nullable() });
const FillSum = z.object({ ticker: z.string(), s: int, non_integer: z.literal(0) });

export const WORKING_STATES = "('pending', 'resting', 'partially_filled')";

/** Typed access to the order path's tables. No transactions here: the caller groups writes. */
export class Journal {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  // ---------------------------------------------------------------- orders

  insertOrder(o: JournalOrder): void {
    this.#sql.exec(
      `INSERT INTO orders (intent_id, client_order_id, order_id, ticker, side, action, price, count, purpose, tif,
        post_only, reduce_only, expiration_ms, position_id, exchange_index, order_group_id, state, ack, filled,
        reported_filled, fill_sum, fees, fill_cost, created_ms, updated_ms, reason, error, body, sends, last_sent_ms, next_check_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      o.intentId,
      o.clientOrderId,
      o.orderId,
      o.ticker,
      o.side,
      o.action,
      o.price,
      o.count,
      o.purpose,
      o.tif,
      bool(o.postOnly),
      bool(o.reduceOnly),
      o.expirationMs,
      o.positionId,
      o.exchangeIndex,
      o.orderGroupId,
      o.state,
      o.ack,
      o.filled,
      o.reportedFilled,
      o.fillSum,
      o.fees,
      o.fillCost,
      o.createdMs,
      o.updatedMs,
      o.reason,
      o.error,
      o.body,
      o.sends,
      o.lastSentMs,
      o.nextCheckMs,
    );
  }

  /** Writes the mutable part of an order back. */
  updateOrder(o: JournalOrder): void {
    this.#sql.exec(
      `UPDATE orders SET order_id = ?, count = ?, state = ?, ack = ?, filled = ?, reported_filled = ?, fill_sum = ?, fees = ?,
        fill_cost = ?, updated_ms = ?, error = ?, sends = ?, last_sent_ms = ?, next_check_ms = ?, position_id = ?
       WHERE intent_id = ?`,
      o.orderId,
      o.count,
      o.state,
      o.ack,
      o.filled,
      o.reportedFilled,
      o.fillSum,
      o.fees,
      o.fillCost,
      o.updatedMs,
      o.error,
      o.sends,
      o.lastSentMs,
      o.nextCheckMs,
      o.positionId,
      o.intentId,
    );
  }

  order(intentId: string): JournalOrder | undefined {
    const r = readRow(this.#sql, "orders", OrderRow, "SELECT * FROM orders WHERE intent_id = ?", intentId);
    return r && toOrder(r);
  }

  orderByOrderId(orderId: string): JournalOrder | undefined {
    const r = readRow(this.#sql, "orders", OrderRow, "SELECT * FROM orders WHERE order_id = ?", orderId);
    return r && toOrder(r);
  }

  orderByClientId(clientOrderId: string): JournalOrder | undefined {
    const r = readRow(
      this.#sql,
      "orders",
      OrderRow,
      "SELECT * FROM orders WHERE client_order_id = ?",
      clientOrderId,
    );
    return r && toOrder(r);
  }

  /** Orders still working or unresolved (pending, resting, partially filled). */
  workingOrders(ticker?: string): JournalOrder[] {
    const rows =
      ticker === undefined
        ? readRows(
            this.#sql,
            "orders",
            OrderRow,
            `SELECT * FROM orders WHERE state IN ${WORKING_STATES} ORDER BY created_ms`,
          )
        : readRows(
            this.#sql,
            "orders",
            OrderRow,
            `SELECT * FROM orders WHERE state IN ${WORKING_STATES} AND ticker = ? ORDER BY created_ms`,
            ticker,
          );
    return rows.map(toOrder);
  }

  /**
   * Contracts the market's sells of `side` created since `sinceMs` are reported (by the exchange)
   * to have filled beyond the fills journaled for them: sold at the exchange, not yet in the position.
   */
  unsettledSells(ticker: string, side: string, sinceMs: number): number {
    const r = readRow(
      this.#sql,
      "orders",
      OrderSum,
      `SELECT SUM(MAX(reported_filled - fill_sum, 0)) AS n,
         SUM(typeof(reported_filled) <> 'integer' OR typeof(fill_sum) <> 'integer') AS non_integer FROM orders
       WHERE ticker = ? AND side = ? AND action = 'sell' AND created_ms >= ?`,
      ticker,
      side,
      sinceMs,
    );
    return r?.n ?? 0;
  }

  countWorking(ticker: string): number {
    return this.#sql
      .exec<{ n: number }>(
        `SELECT COUNT(*) AS n FROM orders WHERE state IN ${WORKING_STATES} AND ticker = ?`,
        ticker,
      )
      .one().n;
  }

  /** Newest first, for the admin API. */
  recentOrders(limit: number, beforeMs?: number): JournalOrder[] {
    return readRows(
      this.#sql,
      "orders",
      OrderRow,
      "SELECT * FROM orders WHERE created_ms < ? ORDER BY created_ms DESC, intent_id DESC LIMIT ?",
      beforeMs ?? Number.MAX_SAFE_INTEGER,
      limit,
    ).map(toOrder);
  }

  countOrders(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM orders").one().n;
  }

  // ---------------------------------------------------------------- fills

  hasFill(fillId: string): boolean {
    return this.#sql.exec("SELECT 1 FROM fills WHERE fill_id = ?", fillId).toArray().length > 0;
  }

  insertFill(f: Fill, intentId: string | null, source: string): void {
    this.#sql.exec(
      `INSERT INTO fills (fill_id, order_id, intent_id, ticker, yes_price, count, yes_delta, fee, is_taker, ts_ms, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      f.fillId,
      f.orderId,
      intentId,
      f.ticker,
      f.yesPrice,
      f.count,
      f.yesDelta,
      f.fee,
      bool(f.isTaker),
      f.tsMs,
      source,
    );
  }

  /** Fills whose order was not known when they arrived (its create answer came later). */
  orphanFills(orderId: string): Fill[] {
    return readRows(
      this.#sql,
      "fills",
      FillRow,
      "SELECT * FROM fills WHERE order_id = ? AND intent_id IS NULL",
      orderId,
    ).map((r) => ({
      fillId: r.fill_id,
      orderId: r.order_id,
      ticker: r.ticker,
      yesPrice: r.yes_price,
      count: r.count,
      yesDelta: r.yes_delta,
      fee: r.fee,
      isTaker: r.is_taker === 1,
      tsMs: r.ts_ms,
    }));
  }

  attachFill(fillId: string, intentId: string): void {
    this.#sql.exec("UPDATE fills SET intent_id = ? WHERE fill_id = ?", intentId, fillId);
  }

  /** Sum of fill deltas per ticker (the position the journal's fills explain). */
  fillSums(): Map<string, number> {
    const rows = readRows(
      this.#sql,
      "fills",
      FillSum,
      "SELECT ticker, SUM(yes_delta) AS s, SUM(typeof(yes_delta) <> 'integer') AS non_integer FROM fills GROUP BY ticker",
    );
    return new Map(rows.map((r) => [r.ticker, r.s]));
  }

  fillsSince(sinceMs: number, limit: number): Fill[] {
    return readRows(
      this.#sql,
      "fills",
      FillRow,
      "SELECT * FROM fills WHERE ts_ms >= ? ORDER BY ts_ms DESC LIMIT ?",
      sinceMs,
      limit,
    ).map((r) => ({
      fillId: r.fill_id,
      orderId: r.order_id,
      ticker: r.ticker,
      yesPrice: r.yes_price,
      count: r.count,
      yesDelta: r.yes_delta,
      fee: r.fee,
      isTaker: r.is_taker === 1,
      tsMs: r.ts_ms,
    }));
  }

  // ---------------------------------------------------------------- positions

  positions(): HeldPosition[] {
    return readRows(this.#sql, "positions", PositionRow, "SELECT * FROM positions ORDER BY opened_ms").map(
      toHeld,
    );
  }

  position(ticker: string): HeldPosition | undefined {
    const r = readRow(
      this.#sql,
      "positions",
      PositionRow,
      "SELECT * FROM positions WHERE ticker = ?",
      ticker,
    );
    return r && toHeld(r);
  }

  putPosition(h: HeldPosition, nowMs: number): void {
    const p = h.position;
    this.#sql.exec(
      `INSERT INTO positions (ticker, position_id, side, contracts, cost, fees, realized_gross, max_contracts, exit_proceeds,
        best_bid, worst_bid, opened_ms, tp_price, stop_price, deadline_ms, exit_mode, exit_reason, exit_since_ms,
        exit_attempts, exit_request, updated_ms, entered, entered_cost, exited)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(ticker) DO UPDATE SET position_id = excluded.position_id, side = excluded.side,
        contracts = excluded.contracts, cost = excluded.cost, fees = excluded.fees, realized_gross = excluded.realized_gross,
        max_contracts = excluded.max_contracts, exit_proceeds = excluded.exit_proceeds, best_bid = excluded.best_bid,
        worst_bid = excluded.worst_bid, opened_ms = excluded.opened_ms, tp_price = excluded.tp_price,
        stop_price = excluded.stop_price, deadline_ms = excluded.deadline_ms, exit_mode = excluded.exit_mode,
        exit_reason = excluded.exit_reason, exit_since_ms = excluded.exit_since_ms, exit_attempts = excluded.exit_attempts,
        exit_request = excluded.exit_request, updated_ms = excluded.updated_ms, entered = excluded.entered,
        entered_cost = excluded.entered_cost, exited = excluded.exited`,
      p.ticker,
      p.positionId,
      p.side,
      p.contracts,
      p.cost,
      p.fees,
      p.realizedGross,
      p.maxContracts,
      p.exitProceeds,
      p.bestBid,
      p.worstBid,
      p.openedMs,
      p.exits?.takeProfit ?? null,
      p.exits?.stop ?? null,
      p.exits?.deadlineMs ?? null,
      h.exit.mode,
      h.exit.reason,
      h.exit.sinceMs,
      h.exit.attempts,
      h.exitRequest,
      nowMs,
      p.entered,
      p.enteredCost,
      p.exited,
    );
  }

  deletePosition(ticker: string): void {
    this.#sql.exec("DELETE FROM positions WHERE ticker = ?", ticker);
  }

  insertRoundTrip(rt: RoundTrip): void {
    this.#sql.exec(
      `INSERT INTO round_trips (position_id, ticker, side, contracts, avg_entry, avg_exit, opened_ms, closed_ms, reason, fees, pnl)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(position_id) DO NOTHING`,
      rt.positionId,
      rt.ticker,
      rt.side,
      rt.contracts,
      rt.avgEntry,
      rt.avgExit,
      rt.openedMs,
      rt.closedMs,
      rt.reason,
      rt.fees,
      rt.pnl,
    );
  }

  /** Closed round trips, newest first, optionally since a time. */
  roundTrips(limit: number, sinceMs = 0, beforeMs = Number.MAX_SAFE_INTEGER): RoundTrip[] {
    return readRows(
      this.#sql,
      "round_trips",
      RoundTripRow,
      "SELECT * FROM round_trips WHERE closed_ms >= ? AND closed_ms < ? ORDER BY closed_ms DESC LIMIT ?",
      sinceMs,
      beforeMs,
      limit,
    ).map((r) => ({
      positionId: r.position_id,
      ticker: r.ticker,
      side: r.side,
      contracts: r.contracts,
      avgEntry: r.avg_entry,
      avgExit: r.avg_exit,
      openedMs: r.opened_ms,
      closedMs: r.closed_ms,
      reason: r.reason,
      fees: r.fees,
      pnl: r.pnl,
    }));
  }

  // ---------------------------------------------------------------- reconciliation differences

  insertDiff(d: ReconDiff): void {
    this.#sql.exec(
      "INSERT INTO recon_diffs (id, at_ms, kind, ticker, detail, blocking, reviewed_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
      d.id,
      d.atMs,
      d.kind,
      d.ticker,
      d.detail,
      bool(d.blocking),
      d.reviewedMs,
    );
  }

  diffs(limit: number, onlyOpen = false): ReconDiff[] {
    const q = onlyOpen
      ? "SELECT * FROM recon_diffs WHERE blocking = 1 AND reviewed_ms IS NULL ORDER BY at_ms DESC LIMIT ?"
      : "SELECT * FROM recon_diffs ORDER BY at_ms DESC LIMIT ?";
    return readRows(this.#sql, "recon_diffs", DiffRow, q, limit).map((r) => ({
      id: r.id,
      atMs: r.at_ms,
      kind: r.kind,
      ticker: r.ticker,
      detail: r.detail,
      blocking: r.blocking === 1,
      reviewedMs: r.reviewed_ms,
    }));
  }

  /** Marks a blocking difference reviewed; false when there is no such open difference. */
  reviewDiff(id: string, nowMs: number): boolean {
    const c = this.#sql.exec(
      "UPDATE recon_diffs SET reviewed_ms = ? WHERE id = ? AND reviewed_ms IS NULL",
      nowMs,
      id,
    );
    return c.rowsWritten > 0;
  }

  openBlockingDiffs(): number {
    return this.#sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM recon_diffs WHERE blocking = 1 AND reviewed_ms IS NULL")
      .one().n;
  }

  // ---------------------------------------------------------------- order groups, cursors

  orderGroup(exchangeIndex: number): OrderGroupRow | undefined {
    return readRow(
      this.#sql,
      "order_groups",
      GroupRow,
      "SELECT * FROM order_groups WHERE exchange_index = ?",
      exchangeIndex,
    );
  }

  orderGroups(): OrderGroupRow[] {
    return readRows(
      this.#sql,
      "order_groups",
      GroupRow,
      "SELECT * FROM order_groups ORDER BY exchange_index",
    );
  }

  putOrderGroup(g: OrderGroupRow): void {
    this.#sql.exec(
      `INSERT INTO order_groups (exchange_index, group_id, contracts_limit, triggered_ms, updated_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(exchange_index) DO UPDATE SET group_id = excluded.group_id, contracts_limit = excluded.contracts_limit,
        triggered_ms = excluded.triggered_ms, updated_ms = excluded.updated_ms`,
      g.exchange_index,
      g.group_id,
      g.contracts_limit,
      g.triggered_ms,
      g.updated_ms,
    );
  }

  deleteOrderGroup(exchangeIndex: number): void {
    this.#sql.exec("DELETE FROM order_groups WHERE exchange_index = ?", exchangeIndex);
  }

  state(): ExecutorStateRow {
    const r = readRow(this.#sql, "executor_state", StateRow, "SELECT * FROM executor_state WHERE id = 1");
    if (!r) throw new Error("executor_state: the singleton row is missing");
    return r;
  }

  setState(patch: Partial<ExecutorStateRow>): void {
    const s = { ...this.state(), ...patch };
    this.#sql.exec(
      "UPDATE executor_state SET fills_cursor_ms = ?, reconciled_ms = ?, balance = ?, balance_ms = ? WHERE id = 1",
      s.fills_cursor_ms,
      s.reconciled_ms,
      s.balance,
      s.balance_ms,
    );
  }
}

export type { Order };
