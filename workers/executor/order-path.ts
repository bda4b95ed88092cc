/**
 * The order path: intents in, signed V2 requests out, and everything the exchange says back folded
 * into the journal, the positions and their exits. Owns the journal tables (`journal.ts`); the
 * decisions live in pure modules next to it (`order-state.ts`, `positions.ts`, `exit-keeper.ts`,
 * `reconcile.ts`) and this class carries them out.
 *
 * What it guarantees, and how:
 * - **An intent never becomes two orders.** The order row, with a fresh `client_order_id` and the
 *   exact request body, is written before the request leaves. A lost answer (timeout, 5xx, 429,
 *   dropped connection, a restart between the write and the answer) leaves the row `pending` with
 *   ack `unknown`; it is resolved by resending the identical body (Kalshi refuses a repeated
 *   `client_order_id` with 409 because the order exists), by a `user_order` naming its client
 *   order id, or by the orders list once the exchange's data timestamp is past the send. An unknown
 *   order blocks entries in its market and counts fully against limits until resolved.
 * - **No position without exits.** Every fill is folded into the market's position; the exit keeper
 *   then places, resizes or cancels the take-profit and fires the synthetic stop (`keep`).
 * - **The exchange's view wins.** Reconciliation (at start, after every reconnect, periodically)
 *   adopts orders, fills and positions, and records each difference.
 *
 * The account object calls it: `submit` for approved intents, `onUserOrder` / `onFill` /
 * `onOrderGroupUpdate` for the private channels, `onBook` when a held market's book changes, and
 * the scheduler's jobs (`resolvePending`, `reconcile`, `refreshRestTops`, `keepAll`).
 */
import type {
  BookView,
  CountUnits,
  ExitPlan,
  ExitReason,
  Fill,
  Intent,
  MarketInfo,
  MoneyMicros,
  Order,
  Position,
  PriceUnits,
  RoundTrip,
  Side,
  TopOfBook,
} from "../../shared/domain.ts";
import { bidOf, isExitPurpose } from "../../shared/domain.ts";
import type { Failure } from "../../shared/kalshi/errors.ts";
import type { Priority } from "../../shared/kalshi/rate-limiter.ts";
import type { KalshiRestClient, Result, WriteResult } from "../../shared/kalshi/rest-client.ts";
import type { CreateOrderV2Request, Order as WireOrder } from "../../shared/kalshi/rest-schemas.ts";
import {
  toBalance,
  toFill,
  toOrderInfo,
  toPosition,
  toSettlement,
} from "../../shared/kalshi/rest-schemas.ts";
import { snapForBuy, snapForSell } from "../../shared/kalshi/tick-grid.ts";
import { formatCount, formatPrice, PRICE_SCALE, parseCount } from "../../shared/kalshi/units.ts";
import type { FillEvent, UserOrderUpdate } from "../../shared/kalshi/ws-messages.ts";
import { applySchema } from "../account/sql-schema.ts";
import { topOfRestBook } from "../feed/catalogue.ts";
import type { ExecutorConfig } from "./config.ts";
import { type ExitAction, type ExitState, PROTECT, planExits } from "./exit-keeper.ts";
import { EXECUTOR_SCHEMA, type HeldPosition, Journal, type JournalOrder, type ReconDiff } from "./journal.ts";
import { type Anomaly, applyOrderEvent, isTerminal, type OrderEvent } from "./order-state.ts";
import { applyFill, cashOfFill, markBid, settle, signedContracts } from "./positions.ts";
import { planFills, planOrders, positionDiffs, type RemoteOrder } from "./reconcile.ts";

/** The REST client methods the order path uses (the whole client satisfies it). */
export type OrderRest = Pick<
  KalshiRestClient,
  | "createOrder"
  | "cancelOrder"
  | "amendOrder"
  | "decreaseOrder"
  | "listOrders"
  | "getOrder"
  | "listFills"
  | "getPositions"
  | "getBalance"
  | "getOrderbook"
  | "getUserDataTimestamp"
  | "listSettlements"
>;

/** Order groups, as the account object adapts them from the REST client. */
export interface OrderGroupApi {
  create(exchangeIndex: number, contractsLimit: CountUnits): Promise<Result<{ groupId: string }>>;
  reset(groupId: string, exchangeIndex: number): Promise<Result<unknown>>;
}

/** Records history rows inside the transaction of the change they describe. */
export interface HistoryRecorder {
  order(o: Order): void;
  fill(f: Fill): void;
  roundTrip(rt: RoundTrip): void;
  reconDiff(d: ReconDiff): void;
}

/** What the order path tells the account object (alerts, risk folds, logs). */
export type PathEvent =
  | { kind: "position_opened"; position: Position }
  | { kind: "position_closed"; roundTrip: RoundTrip }
  | { kind: "order_rejected"; order: Order; error: string }
  | { kind: "api_result"; ok: boolean; failure?: Failure }
  | { kind: "recon_diff"; diff: ReconDiff }
  | { kind: "anomaly"; intentId: string; anomaly: Anomaly }
  | { kind: "order_group_triggered"; exchangeIndex: number }
  /** an immediate-or-cancel exit went out: `attempt` counts from 1 within one exit */
  | { kind: "exit_attempt"; ticker: string; reason: ExitReason; attempt: number }
  | { kind: "reconciled"; atMs: number };

export interface OrderPathDeps {
  sql: SqlStorage;
  /** `ctx.storage.transactionSync` */
  transaction: <T>(fn: () => T) => T;
  rest: OrderRest;
  /** null: the exchange (or simulator) serves no order groups; orders go without one */
  groups: OrderGroupApi | null;
  config: () => ExecutorConfig;
  nowMs: () => number;
  newId: () => string;
  log: (event: string, data?: Record<string, unknown>) => void;
  history: HistoryRecorder;
  market: (ticker: string) => MarketInfo | undefined;
  /** the live book (fresh or not); undefined when not watched */
  book: (ticker: string) => BookView | undefined;
  /** new orders are accepted in this market now (market active, exchange trading, order group not triggered) */
  tradable: (ticker: string) => boolean;
  /** the exit plan of a position opened at `avgEntry` */
  exitPlanFor: (side: Side, avgEntry: PriceUnits, market: MarketInfo | undefined, nowMs: number) => ExitPlan;
  /**
   * the bounded aggressive price of exit attempt `attempt` (on `side`'s leg), snapped; null = none.
   * Counted from 0 for the first attempt, as the strategy's `exitLimitPrice` counts.
   */
  exitPrice: (
    side: Side,
    bid: PriceUnits | null,
    attempt: number,
    market: MarketInfo | undefined,
  ) => PriceUnits | null;
  /** the risk gate for the exits the keeper sends (entries are checked by the caller) */
  checkExit: (intent: Intent) => { ok: true } | { ok: false; code: string; message: string };
  /**
   * May an entry whose outcome is unknown be sent again (false while trading is halted or
   * reducing)? When not, it is only looked up: a resend would create it now if the first attempt
   * never reached the exchange. Absent: always.
   */
  mayResendEntries?: () => boolean;
  onEvent: (e: PathEvent) => void;
}

export type SubmitResult = { ok: true; order: Order } | { ok: false; code: string; message: string };

/**
 * How long after its `sends`-th unanswered send an order is resent or looked up: doubling from
 * the base, capped so that a take-profit whose answers were lost during an outage goes out again
 * within a few seconds of the exchange answering again.
 */
export function resendDelayMs(cfg: ExecutorConfig["unknown"], sends: number): number {
  return Math.min(cfg.resendMaxMs, cfg.resendBaseMs * 2 ** Math.max(0, sends - 1));
}

/** Exit orders go ahead of entries in the limiter; cancels ahead of everything. */
function priorityOf(purpose: Order["purpose"]): Priority {
  return isExitPurpose(purpose) ? "reduce" : "open";
}

function exitReasonOf(o: JournalOrder | undefined, held: HeldPosition | undefined): ExitReason {
  if (!o) return "external";
  if (o.purpose === "take_profit") return "take_profit";
  if (o.purpose === "stop") return "stop";
  if (o.purpose === "exit") return held?.exit.reason ?? held?.exitRequest ?? "manual";
  return "manual";
}

/** YES-leg book side and price of an intent, snapped so it never pays more (buys) or sells for less (sells). */
export function yesLeg(
  side: Side,
  action: "buy" | "sell",
  price: PriceUnits,
  market: MarketInfo | undefined,
): { bookSide: "bid" | "ask"; yesPrice: PriceUnits } | null {
  // Buy YES = bid at p; sell YES = ask at p; buy NO at q = ask at 1 - q; sell NO at q = bid at 1 - q.
  const yesPrice = side === "yes" ? price : PRICE_SCALE - price;
  const bookSide: "bid" | "ask" = (side === "yes") === (action === "buy") ? "bid" : "ask";
  if (!market) return yesPrice > 0 && yesPrice < PRICE_SCALE ? { bookSide, yesPrice } : null;
  // A YES bid pays the YES price (snap down); a YES ask receives it (snap up). For NO the same
  // snaps on the YES leg mean: never pay more for NO, never sell NO for less.
  const snapped = bookSide === "bid" ? snapForBuy(market.grid, yesPrice) : snapForSell(market.grid, yesPrice);
  return snapped === null ? null : { bookSide, yesPrice: snapped };
}

/** Fill from the WebSocket (`fill`) in domain units. */
export function fillOfEvent(f: FillEvent): Fill {
  return {
    fillId: f.tradeId,
    orderId: f.orderId,
    ticker: f.ticker,
    yesPrice: f.yesPrice,
    count: f.count,
    yesDelta: f.bookSide === "bid" ? f.count : -f.count,
    fee: f.fee,
    isTaker: f.isTaker,
    tsMs: f.tsMs,
  };
}

function remoteOrderOf(o: WireOrder): RemoteOrder | null {
  const c = toOrderInfo(o);
  if (!c.ok) return null;
  const v = c.value;
  const status =
    v.status === "resting" || v.status === "canceled" || v.status === "executed" ? v.status : "unknown";
  return {
    orderId: v.orderId,
    clientOrderId: v.clientOrderId,
    ticker: v.ticker,
    status,
    filled: v.fillCount,
    remaining: v.remainingCount,
    reason: v.lastUpdateReason,
    atMs: v.lastUpdateMs ?? 0,
    bookSide: v.bookSide,
    yesPrice: v.yesPrice,
    initialCount: v.initialCount,
    exchangeIndex: v.exchangeIndex,
  };
}

interface Busy {
  sinceMs: number;
  retryAtMs: number;
}

/** How far the exchange's fill times and this Worker's clock may disagree. */
const CLOCK_SLACK_MS = 1_000;

/** A balance read under way: when it was sent, and the socket fill count then. */
export interface BalanceRead {
  sentMs: number;
  fillSeq: number;
}

/**
 * The cash as the bot can tell it: the exchange's last balance plus what the fills folded since
 * did to it that the balance cannot have included. `certain` is false from a start until the first
 * balance read, after a read during which a fill was folded, and after a fill whose time is too
 * close to a read to tell whether the read holds it: only a certain figure may feed the
 * daily-loss breaker, and a new read settles it.
 */
export interface CashView {
  cash: MoneyMicros;
  certain: boolean;
  /** the exchange's balance, as last read */
  balance: MoneyMicros;
  /** the fills' cash since that read */
  unbooked: MoneyMicros;
}

export class OrderPath {
  readonly #d: OrderPathDeps;
  readonly #j: Journal;
  /** create requests in flight in this isolate (gone after a restart: those rows are then unknown) */
  readonly #inFlight = new Set<string>();
  /** bumped by every fill folded from the socket; per market, the value at its last one */
  #fillSeq = 0;
  readonly #fillSeqOf = new Map<string, number>();
  /** the last balance read (see `cash`): sent and answered when, and the cash booked since */
  #balanceRead = { sentMs: 0, doneMs: 0, unbooked: 0, certain: false };
  /** cancel / amend / decrease requests in flight, by intent id */
  readonly #busy = new Map<string, Busy>();
  readonly #restTops = new Map<string, { top: TopOfBook; atMs: number }>();
  readonly #restTopAskedMs = new Map<string, number>();
  /**
   * markets whose last exit the exchange refused or filled nothing of, with the bid it was sent
   * against: no new exit there until that bid changes or `untilMs` passes
   */
  readonly #exitRetry = new Map<string, { untilMs: number; bid: PriceUnits | null }>();
  /** a reconciliation must succeed before entries (start-up, every reconnect) */
  #reconcileNeeded = true;
  /** bumped by every request for a reconciliation: one asked for during a run is not cleared by it */
  #reconcileAsked = 0;
  #reconcileFailures = 0;
  #reconcileRunning = false;
  #lastReconcileError: string | null = null;
  /** markets with an open position, in memory: the hot path asks on every book change */
  readonly #held = new Set<string>();
  /** working orders per market, in memory: the entry decision asks on every book change */
  readonly #working = new Map<string, number>();
  /** requests started without the caller waiting (sends, cancels, resizes, REST tops) */
  readonly #pending = new Set<Promise<unknown>>();

  constructor(deps: OrderPathDeps) {
    this.#d = deps;
    applySchema(deps.sql, EXECUTOR_SCHEMA);
    this.#j = new Journal(deps.sql);
    for (const h of this.#j.positions()) this.#held.add(h.position.ticker);
    for (const o of this.#j.workingOrders())
      this.#working.set(o.ticker, (this.#working.get(o.ticker) ?? 0) + 1);
  }

  /** Does `ticker` have a working or unresolved order? (memory, no SQL) */
  hasWorking(ticker: string): boolean {
    return (this.#working.get(ticker) ?? 0) > 0;
  }

  #refreshWorking(ticker: string): void {
    const n = this.#j.countWorking(ticker);
    if (n > 0) this.#working.set(ticker, n);
    else this.#working.delete(ticker);
  }

  /** Keeps a request the caller does not wait for, so `settled` can; its failure is logged, never thrown. */
  #track(p: Promise<unknown>): void {
    const q = p.catch((err) =>
      this.#d.log("order_path.request_failed", { error: String(err).slice(0, 200) }),
    );
    this.#pending.add(q);
    void q.finally(() => this.#pending.delete(q));
  }

  /** Resolves when every request started so far (and any they started) has been answered. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Is a position open in `ticker`? (memory, no SQL: called for every book change) */
  holds(ticker: string): boolean {
    return this.#held.has(ticker);
  }

  heldTickers(): string[] {
    return [...this.#held];
  }

  #refreshHeld(ticker: string): void {
    if (this.#j.position(ticker)) this.#held.add(ticker);
    else this.#held.delete(ticker);
  }

  get journal(): Journal {
    return this.#j;
  }

  // ================================================================ intents

  /**
   * Journals `intent` and sends it. The intent must already have passed the risk gate. The
   * returned order is `pending`; the answer arrives through the journal. Never throws.
   */
  submit(intent: Intent): SubmitResult {
    const market = this.#d.market(intent.ticker);
    const leg = yesLeg(intent.side, intent.action, intent.price, market);
    if (leg === null)
      return {
        ok: false,
        code: "price_off_grid",
        message: `no tradable price for ${intent.price} on ${intent.ticker}`,
      };
    if (!(intent.count > 0)) return { ok: false, code: "bad_count", message: "count must be positive" };
    const cfg = this.#d.config();
    const now = this.#d.nowMs();
    const intentId = this.#d.newId();
    const clientOrderId = intentId;
    const exchangeIndex = market?.exchangeIndex ?? 0;
    const grouped = cfg.orderGroup.enabled && this.#d.groups !== null;
    const shardGroup = grouped ? this.#j.orderGroup(exchangeIndex) : undefined;
    // Entries need the exchange-side cap; exits go out without it rather than leave a position
    // unprotected, and without a triggered one, which refuses every order naming it until reset.
    if (grouped && shardGroup === undefined && !isExitPurpose(intent.purpose))
      return { ok: false, code: "no_order_group", message: `no order group on shard ${exchangeIndex} yet` };
    const group = shardGroup?.triggered_ms != null && isExitPurpose(intent.purpose) ? undefined : shardGroup;
    const body: CreateOrderV2Request & { client_order_id: string } = {
      ticker: intent.ticker,
      client_order_id: clientOrderId,
      side: leg.bookSide,
      count: formatCount(intent.count),
      price: formatPrice(leg.yesPrice),
      time_in_force: intent.tif,
      self_trade_prevention_type: cfg.selfTradePrevention,
      exchange_index: exchangeIndex,
    };
    if (intent.postOnly) body.post_only = true;
    if (intent.reduceOnly && cfg.reduceOnlyTifs.includes(intent.tif)) body.reduce_only = true;
    if (intent.expirationMs !== null && intent.tif === "good_till_canceled")
      body.expiration_time = Math.ceil(intent.expirationMs / 1000);
    if (intent.purpose === "entry" && cfg.cancelEntriesOnPause) body.cancel_order_on_pause = true;
    if (group !== undefined) body.order_group_id = group.group_id;
    const price = intent.side === "yes" ? leg.yesPrice : PRICE_SCALE - leg.yesPrice;
    const order: JournalOrder = {
      intentId,
      clientOrderId,
      orderId: null,
      ticker: intent.ticker,
      side: intent.side,
      action: intent.action,
      price,
      count: intent.count,
      purpose: intent.purpose,
      tif: intent.tif,
      postOnly: intent.postOnly,
      reduceOnly: body.reduce_only === true,
      expirationMs: intent.expirationMs,
      positionId: intent.positionId,
      exchangeIndex,
      orderGroupId: group?.group_id ?? null,
      state: "pending",
      ack: "unsent",
      filled: 0,
      reportedFilled: 0,
      fillSum: 0,
      fees: 0,
      fillCost: 0,
      createdMs: now,
      updatedMs: now,
      reason: intent.reason,
      error: null,
      body: JSON.stringify(body),
      sends: 1,
      lastSentMs: now,
      nextCheckMs: null,
    };
    // Journal first: from here on a restart finds this order and resolves it.
    this.#d.transaction(() => {
      this.#j.insertOrder(order);
      this.#d.history.order(order);
    });
    this.#refreshWorking(order.ticker);
    this.#track(this.#send(order));
    return { ok: true, order };
  }

  /** Sends (or resends, byte for byte) an order's create request and folds the answer in. */
  async #send(o: JournalOrder): Promise<void> {
    this.#inFlight.add(o.intentId);
    let r: WriteResult<unknown> & { ok: boolean };
    try {
      const body = JSON.parse(o.body) as CreateOrderV2Request & { client_order_id: string };
      r = await this.#d.rest.createOrder(body, priorityOf(o.purpose));
    } finally {
      this.#inFlight.delete(o.intentId);
    }
    const now = this.#d.nowMs();
    this.#d.onEvent(
      r.ok ? { kind: "api_result", ok: true } : { kind: "api_result", ok: false, failure: r.failure },
    );
    if (r.ok) {
      const v = r.value as { order_id: string; fill_count: string; remaining_count: string };
      let filled = 0;
      let remaining = 0;
      try {
        filled = parseCount(v.fill_count);
        remaining = parseCount(v.remaining_count);
      } catch {
        // The schema accepted the body; unreadable counts leave the state to the order's updates.
      }
      this.#apply(o.intentId, { kind: "created", orderId: v.order_id, filled, remaining, atMs: now });
      this.#adoptOrphanFills(o.intentId, v.order_id);
    } else if (
      (r.outcome as string) === "exists" ||
      (r.failure.status === 409 && r.failure.code === "order_already_exists")
    ) {
      this.#apply(o.intentId, { kind: "exists", atMs: now }, { nextCheckMs: now });
    } else if (r.outcome === "rejected") {
      // A refused exit is not re-placed at once (#holdExitsAfter, through the fold below).
      const after = this.#apply(o.intentId, { kind: "rejected", error: r.failure.message, atMs: now });
      if (after) this.#d.onEvent({ kind: "order_rejected", order: after, error: r.failure.message });
    } else {
      const backoff = resendDelayMs(this.#d.config().unknown, o.sends);
      this.#apply(
        o.intentId,
        { kind: "unknown", error: r.failure.message, atMs: now },
        { nextCheckMs: now + backoff },
      );
      this.#d.log("order.unknown", { intentId: o.intentId, ticker: o.ticker, reason: r.failure.reason });
    }
    this.keep(o.ticker);
  }

  /**
   * An exit refused (post-only cross, closed market) or an exit IOC that ended with nothing filled
   * (the exchange holds less than the journal, or self-trade prevention cancelled it) would be sent
   * again the moment it ends, and end the same, without end: no new exit in its market until the
   * bid moves or `requestRetryMs` passes (`#exitRetry`).
   */
  #holdExitsAfter(before: JournalOrder, after: JournalOrder): void {
    if (!isExitPurpose(after.purpose) || isTerminal(before.state) || !isTerminal(after.state)) return;
    const empty = after.tif === "immediate_or_cancel" && Math.max(after.reportedFilled, after.fillSum) === 0;
    if (after.state !== "rejected" && !empty) return;
    const now = this.#d.nowMs();
    const top = this.#topFor(after.ticker, now).top;
    this.#exitRetry.set(after.ticker, {
      untilMs: now + this.#d.config().requestRetryMs,
      bid: top ? bidOf(top, after.side) : null,
    });
  }

  /** Folds one event into an order and writes it (with its history row) in one transaction. */
  #apply(intentId: string, e: OrderEvent, patch: Partial<JournalOrder> = {}): JournalOrder | undefined {
    let out: JournalOrder | undefined;
    let before: JournalOrder | undefined;
    let anomaly: Anomaly | null = null;
    this.#d.transaction(() => {
      const cur = this.#j.order(intentId);
      if (!cur) return;
      before = cur;
      const r = applyOrderEvent(cur, e);
      anomaly = r.anomaly;
      out = { ...cur, ...r.order, ...patch };
      if (isTerminal(out.state) || out.state !== "pending")
        out.nextCheckMs = patch.nextCheckMs ?? (out.state === "pending" ? out.nextCheckMs : null);
      this.#j.updateOrder(out);
      this.#d.history.order(out);
    });
    if (out) this.#refreshWorking(out.ticker);
    if (before && out) this.#holdExitsAfter(before, out);
    if (anomaly !== null) {
      this.#d.onEvent({ kind: "anomaly", intentId, anomaly });
      this.#d.log("order.anomaly", { intentId, ...(anomaly as Anomaly) });
    }
    return out;
  }

  /** Fills that arrived before the create answer named their order: count them on it now. */
  #adoptOrphanFills(intentId: string, orderId: string): void {
    for (const f of this.#j.orphanFills(orderId)) {
      this.#d.transaction(() => this.#j.attachFill(f.fillId, intentId));
      this.#apply(intentId, {
        kind: "fill",
        count: f.count,
        fee: f.fee,
        cost: this.#legCost(intentId, f),
        atMs: f.tsMs,
      });
    }
  }

  #legCost(intentId: string, f: Fill): number {
    const o = this.#j.order(intentId);
    const price = o?.side === "no" ? PRICE_SCALE - f.yesPrice : f.yesPrice;
    return price * f.count;
  }

  /** Asks the exchange to cancel an order. Unknown orders are resolved first. */
  async cancel(intentId: string, why: string): Promise<"sent" | "done" | "not_working" | "pending" | "busy"> {
    const o = this.#j.order(intentId);
    if (!o || isTerminal(o.state)) return "not_working";
    const now = this.#d.nowMs();
    const b = this.#busy.get(intentId);
    if (b && now < b.retryAtMs) return "busy";
    if (o.orderId === null) {
      // Not known to the exchange yet (or its answer was lost): resolve it first, then cancel.
      if (o.ack !== "unsent")
        this.#apply(
          intentId,
          { kind: "unknown", error: o.error ?? "cancel asked", atMs: now },
          { nextCheckMs: now },
        );
      return "pending";
    }
    const cfg = this.#d.config();
    this.#busy.set(intentId, { sinceMs: now, retryAtMs: now + cfg.requestRetryMs });
    this.#d.log("order.cancel", { intentId, ticker: o.ticker, why });
    const r = await this.#d.rest.cancelOrder(o.orderId, { exchange_index: o.exchangeIndex }, "cancel");
    this.#d.onEvent(
      r.ok ? { kind: "api_result", ok: true } : { kind: "api_result", ok: false, failure: r.failure },
    );
    if (r.ok) {
      this.#busy.delete(intentId);
      this.#apply(intentId, { kind: "cancelled", atMs: this.#d.nowMs() });
      this.keep(o.ticker);
      return "done";
    }
    if (r.outcome === "rejected") {
      // Gone already (filled, cancelled, expired) or the market refuses cancels: read its state.
      await this.#refreshOrder(intentId);
      this.#busy.delete(intentId);
      this.keep(o.ticker);
    }
    return "sent";
  }

  /**
   * Reads one order over REST and folds the report in; with `sizeFromRead` (no amend of ours in
   * flight) the read's total also sets the journal's count.
   */
  async #refreshOrder(intentId: string, sizeFromRead = false): Promise<void> {
    const o = this.#j.order(intentId);
    if (!o?.orderId) return;
    const r = await this.#d.rest.getOrder(o.orderId);
    if (!r.ok) return;
    const rem = remoteOrderOf(r.value);
    if (rem)
      this.#apply(intentId, {
        kind: "report",
        ...rem,
        ...(sizeFromRead ? { total: rem.filled + rem.remaining } : {}),
        atMs: this.#d.nowMs(),
      });
  }

  /** Makes a working take-profit's remaining size `remaining`: amend up, decrease down. */
  async #resize(intentId: string, remaining: CountUnits): Promise<void> {
    const o = this.#j.order(intentId);
    if (!o?.orderId || isTerminal(o.state)) return;
    const now = this.#d.nowMs();
    const cfg = this.#d.config();
    this.#busy.set(intentId, { sinceMs: now, retryAtMs: now + cfg.requestRetryMs });
    // Always an amend to the new total (filled + wanted remaining): unlike a decrease's `reduce_to`,
    // the total stays right when the order has fills we have not seen yet (the exchange then works
    // total - its filled), and resending it is harmless. A shrink keeps queue priority.
    const total = o.filled + remaining;
    const leg = yesLeg(o.side, o.action, o.price, this.#d.market(o.ticker));
    if (leg === null) {
      this.#busy.delete(intentId);
      return;
    }
    this.#apply(intentId, { kind: "resized", count: total, atMs: now }); // a fill may beat the answer
    const r = await this.#d.rest.amendOrder(
      o.orderId,
      {
        ticker: o.ticker,
        side: leg.bookSide,
        price: formatPrice(leg.yesPrice),
        count: formatCount(total),
        exchange_index: o.exchangeIndex,
      },
      "reduce",
    );
    this.#d.onEvent(
      r.ok ? { kind: "api_result", ok: true } : { kind: "api_result", ok: false, failure: r.failure },
    );
    this.#busy.delete(intentId);
    if (r.ok) this.#apply(intentId, { kind: "resized", count: total, atMs: this.#d.nowMs() });
    // Failed: the journal's grown count may not be what works; the read after the answer says.
    else await this.#refreshOrder(intentId, true);
    this.keep(o.ticker);
  }

  // ================================================================ exchange events

  /** A `user_order` message: fold it into the journal order it names (by id or client order id). */
  onUserOrder(u: UserOrderUpdate): void {
    const o =
      this.#j.orderByOrderId(u.orderId) ??
      (u.clientOrderId ? this.#j.orderByClientId(u.clientOrderId) : undefined);
    if (!o) {
      // Not ours (or not journaled): reconciliation adopts it and records the difference.
      this.markReconcileNeeded();
      this.#d.log("order.unknown_update", { orderId: u.orderId, ticker: u.ticker });
      return;
    }
    const hadId = o.orderId !== null;
    this.#apply(o.intentId, {
      kind: "report",
      orderId: u.orderId,
      status: u.status,
      filled: u.fillCount,
      remaining: u.remainingCount,
      reason: u.lastUpdateReason ?? null,
      atMs: u.lastUpdatedTsMs ?? this.#d.nowMs(),
    });
    if (!hadId) this.#adoptOrphanFills(o.intentId, u.orderId);
    this.keep(o.ticker);
  }

  /** A `fill` message (or a fill reconciliation found): journal it, count it, fold the position. */
  onFill(f: Fill, clientOrderId?: string, source = "ws"): void {
    if (this.#j.hasFill(f.fillId)) return;
    // Reconciliation folds its own REST fills (as of its read); any other fill moves the position
    // past what a reconciliation in progress has read.
    if (source !== "rest") this.#fillSeqOf.set(f.ticker, ++this.#fillSeq);
    const order =
      this.#j.orderByOrderId(f.orderId) ??
      (clientOrderId ? this.#j.orderByClientId(clientOrderId) : undefined);
    const now = this.#d.nowMs();
    let opened: Position | null = null;
    let closed: RoundTrip | null = null;
    let cash = 0;
    this.#d.transaction(() => {
      this.#j.insertFill(f, order?.intentId ?? null, source);
      this.#d.history.fill(f);
      const held = this.#j.position(f.ticker);
      cash = cashOfFill(signedContracts(held?.position ?? null), f);
      const r = applyFill(held?.position ?? null, f, {
        nowMs: now,
        newPositionId: this.#d.newId,
        exitReason: exitReasonOf(order, held),
      });
      if (r.closed) {
        closed = r.closed;
        this.#j.insertRoundTrip(r.closed);
        this.#d.history.roundTrip(r.closed);
      }
      if (r.position === null) {
        this.#j.deletePosition(f.ticker);
      } else if (r.opened) {
        const market = this.#d.market(f.ticker);
        const entry = Math.round(r.position.cost / r.position.contracts);
        const position = { ...r.position, exits: this.#d.exitPlanFor(r.position.side, entry, market, now) };
        opened = position;
        this.#j.putPosition({ position, exit: PROTECT, exitRequest: null }, now);
      } else if (held) {
        this.#j.putPosition({ ...held, position: { ...r.position, exits: held.position.exits } }, now);
      }
    });
    this.#bookCash(f, cash);
    if (order) {
      const price = order.side === "yes" ? f.yesPrice : PRICE_SCALE - f.yesPrice;
      this.#apply(order.intentId, {
        kind: "fill",
        count: f.count,
        fee: f.fee,
        cost: price * f.count,
        atMs: f.tsMs || now,
      });
      if (order.orderId === null)
        this.#apply(order.intentId, {
          kind: "report",
          orderId: f.orderId,
          status: "unknown",
          filled: 0,
          remaining: 0,
          atMs: now,
        });
    }
    this.#refreshHeld(f.ticker);
    if (opened) this.#d.onEvent({ kind: "position_opened", position: opened });
    if (closed) this.#d.onEvent({ kind: "position_closed", roundTrip: closed });
    // A socket fill of an order the bot never placed: reconciliation will find it journaled already,
    // so the difference is recorded here. Without a client order id it may still be one of ours
    // whose create answer has not named it yet (an orphan): then it waits for that answer.
    if (
      !order &&
      source === "ws" &&
      (clientOrderId !== undefined || !this.#j.workingOrders(f.ticker).some((o) => o.orderId === null))
    )
      this.#recordDiff(
        "unknown_fill",
        f.ticker,
        `fill ${f.fillId} of order ${f.orderId}, which this bot did not place`,
        true,
        now,
      );
    this.keep(f.ticker);
  }

  /** `order_group_updates`: a triggered group cancels its orders and refuses new ones until reset. */
  onOrderGroupUpdate(u: { eventType: string; orderGroupId: string }): void {
    const g = this.#j.orderGroups().find((x) => x.group_id === u.orderGroupId);
    if (!g) return;
    const now = this.#d.nowMs();
    if (u.eventType === "triggered") {
      this.#d.transaction(() => this.#j.putOrderGroup({ ...g, triggered_ms: now, updated_ms: now }));
      this.#d.onEvent({ kind: "order_group_triggered", exchangeIndex: g.exchange_index });
      this.#d.log("order_group.triggered", { exchangeIndex: g.exchange_index, groupId: g.group_id });
      this.markReconcileNeeded();
    } else if (u.eventType === "reset") {
      this.#d.transaction(() => this.#j.putOrderGroup({ ...g, triggered_ms: null, updated_ms: now }));
    } else if (u.eventType === "deleted") {
      this.#d.transaction(() => this.#j.deleteOrderGroup(g.exchange_index));
    }
  }

  // ================================================================ exits

  /** The book of a held market changed: check its stop and its take-profit. */
  onBook(ticker: string): void {
    this.keep(ticker);
  }

  /** Asks for an exit of the position in `ticker` (strategy: timeout, pre-close, deactivation; operator: flatten). */
  requestExit(ticker: string, reason: ExitReason): void {
    const held = this.#j.position(ticker);
    if (!held || held.exitRequest !== null || held.exit.mode === "exiting") return;
    this.#d.transaction(() => this.#j.putPosition({ ...held, exitRequest: reason }, this.#d.nowMs()));
    this.keep(ticker);
  }

  /** The earliest time an unresolved order wants looking at (the scheduler brings `resolve` forward). */
  nextCheckMs(): number | null {
    let next: number | null = null;
    for (const o of this.#j.workingOrders())
      if (o.state === "pending" && !this.#inFlight.has(o.intentId)) {
        const t = o.nextCheckMs ?? (o.lastSentMs ?? o.createdMs) + this.#d.config().unknown.inFlightGraceMs;
        if (next === null || t < next) next = t;
      }
    return next;
  }

  /** Keeps every open position's exits (the heartbeat). */
  keepAll(): void {
    for (const h of this.#j.positions()) this.keep(h.position.ticker);
  }

  /** Runs the exit keeper for one market and carries its actions out. */
  keep(ticker: string): void {
    const held = this.#j.position(ticker);
    if (!held || held.position.contracts <= 0) return;
    const now = this.#d.nowMs();
    const market = this.#d.market(ticker);
    const plan =
      held.position.exits ??
      this.#d.exitPlanFor(
        held.position.side,
        Math.round(held.position.cost / held.position.contracts),
        market,
        now,
      );
    // The position's exits: sells of its side (a take-profit, a stop or exit IOC, a manual sell).
    const working = this.#j
      .workingOrders(ticker)
      .filter((o) => o.action === "sell" && o.side === held.position.side);
    // Exit fills the exchange has reported (user_order, order reads) that have not arrived as fills.
    const unsettled = this.#j.unsettledSells(ticker, held.position.side, held.position.openedMs);
    const { top, source } = this.#topFor(ticker, now);
    const busy = new Set<string>();
    for (const [id, b] of this.#busy) if (now < b.retryAtMs) busy.add(id);
    for (const o of working) if (this.#inFlight.has(o.intentId)) busy.add(o.intentId);
    // Excursions: the best and worst bid seen while open.
    const marked = top ? markBid(held.position, bidOf(top, held.position.side)) : held.position;
    const cfg = this.#d.config();
    // After an exit was refused or came back empty: wait for news (the bid moved) or the retry time.
    const hold = this.#exitRetry.get(ticker);
    const holding =
      hold !== undefined && now < hold.untilMs && hold.bid === (top ? bidOf(top, held.position.side) : null);
    if (hold !== undefined && !holding) this.#exitRetry.delete(ticker);
    const actions = planExits({
      position: marked,
      state: held.exit,
      plan,
      working,
      unsettled,
      busy,
      top,
      topSource: source,
      tradable: this.#d.tradable(ticker) && !holding,
      exitRequest: held.exitRequest,
      nowMs: now,
      // The keeper counts attempts from 1; the price rule counts from 0 (the first sells at the bid).
      exitPrice: (bid, attempt) => this.#d.exitPrice(held.position.side, bid, attempt - 1, market),
      takeProfitExpiryMs: cfg.takeProfitExpiryMs,
    });
    let exit: ExitState = held.exit;
    for (const a of actions) if (a.kind === "set_state") exit = a.state;
    if (exit !== held.exit || marked !== held.position || held.position.exits === null)
      this.#d.transaction(() =>
        this.#j.putPosition({ ...held, position: { ...marked, exits: plan }, exit }, now),
      );
    for (const a of actions) this.#act(held.position, a);
  }

  #act(p: Position, a: ExitAction): void {
    switch (a.kind) {
      case "set_state":
        if (a.state.mode === "exiting" && a.state.attempts === 0)
          this.#d.log("exit.started", { ticker: p.ticker, positionId: p.positionId, reason: a.state.reason });
        return;
      case "cancel":
        this.#track(this.cancel(a.intentId, a.why));
        return;
      case "resize_take_profit":
        this.#track(this.#resize(a.intentId, a.remaining));
        return;
      case "fetch_rest_top":
        this.#track(this.#fetchRestTop(p.ticker));
        return;
      case "place_take_profit":
        this.#sendExit(p, {
          ticker: p.ticker,
          side: p.side,
          action: "sell",
          price: a.price,
          count: a.count,
          purpose: "take_profit",
          tif: "good_till_canceled",
          postOnly: true,
          reduceOnly: true,
          expirationMs: a.expirationMs,
          positionId: p.positionId,
          reason: "protect",
        });
        return;
      case "exit_ioc":
        this.#sendExit(p, {
          ticker: p.ticker,
          side: p.side,
          action: "sell",
          price: a.price,
          count: a.count,
          purpose: a.reason === "stop" ? "stop" : "exit",
          tif: "immediate_or_cancel",
          postOnly: false,
          reduceOnly: true,
          expirationMs: null,
          positionId: p.positionId,
          reason: `${a.reason} attempt ${a.attempt}`,
        });
        this.#d.onEvent({ kind: "exit_attempt", ticker: p.ticker, reason: a.reason, attempt: a.attempt });
        return;
    }
  }

  #sendExit(p: Position, intent: Intent): void {
    const v = this.#d.checkExit(intent);
    if (!v.ok) {
      this.#d.log("exit.denied", {
        ticker: p.ticker,
        purpose: intent.purpose,
        code: v.code,
        message: v.message,
      });
      return;
    }
    const r = this.submit(intent);
    if (!r.ok)
      this.#d.log("exit.not_sent", {
        ticker: p.ticker,
        purpose: intent.purpose,
        code: r.code,
        message: r.message,
      });
  }

  /** The top the keeper may use: the live book when fresh, else a recent REST read. */
  #topFor(ticker: string, now: number): { top: TopOfBook | null; source: "book" | "rest" | "none" } {
    const b = this.#d.book(ticker);
    if (b?.fresh) return { top: b.top, source: "book" };
    const r = this.#restTops.get(ticker);
    if (r && now - r.atMs <= this.#d.config().restTopMaxAgeMs) return { top: r.top, source: "rest" };
    return { top: null, source: "none" };
  }

  /** A REST order-book read for a held market whose book is not fresh, at most every `restTopIntervalMs`. */
  async #fetchRestTop(ticker: string): Promise<void> {
    const now = this.#d.nowMs();
    const last = this.#restTopAskedMs.get(ticker);
    if (last !== undefined && now - last < this.#d.config().restTopIntervalMs) return;
    this.#restTopAskedMs.set(ticker, now);
    const r = await this.#d.rest.getOrderbook(ticker, 1);
    if (!r.ok) return;
    const top = topOfRestBook(r.value);
    if (top === null) return;
    this.#restTops.set(ticker, { top, atMs: this.#d.nowMs() });
    this.keep(ticker);
  }

  /** The heartbeat's REST reads for held markets whose books are not fresh. */
  refreshRestTops(): void {
    const now = this.#d.nowMs();
    for (const h of this.#j.positions()) {
      if (this.#d.book(h.position.ticker)?.fresh) continue;
      const last = this.#restTopAskedMs.get(h.position.ticker);
      if (last === undefined || now - last >= this.#d.config().restTopIntervalMs)
        this.#track(this.#fetchRestTop(h.position.ticker));
    }
  }

  // ================================================================ operator actions

  /** Cancels every working order of ours (exits included; the keeper then re-protects positions). */
  async cancelAll(why: string, filter: (o: JournalOrder) => boolean = () => true): Promise<number> {
    const working = this.#j.workingOrders().filter(filter);
    await Promise.all(working.map((o) => this.cancel(o.intentId, why)));
    return working.length;
  }

  /** Cancels what adds risk and exits every position at bounded prices. */
  async flatten(why: string): Promise<{ cancelled: number; exiting: number }> {
    const cancelled = await this.cancelAll(why, (o) => !isExitPurpose(o.purpose));
    const held = this.#j.positions();
    for (const h of held) this.requestExit(h.position.ticker, "flatten");
    return { cancelled, exiting: held.length };
  }

  // ================================================================ unknown orders

  /**
   * The resolution job: every order whose outcome is unknown (or whose id the exchange has not
   * named yet) is resent with the identical body while that is safe, else looked up in its
   * market's order list; absent once the exchange's data is newer than the send, it lapsed.
   */
  async resolvePending(): Promise<{ unresolved: number }> {
    const now = this.#d.nowMs();
    const cfg = this.#d.config().unknown;
    const pending = this.#j
      .workingOrders()
      .filter((o) => o.state === "pending" && !this.#inFlight.has(o.intentId));
    let unresolved = 0;
    for (const o of pending) {
      if (o.nextCheckMs !== null && now < o.nextCheckMs) {
        unresolved++;
        continue;
      }
      if (o.ack === "accepted") {
        // It exists (a resend got 409): find its id.
        if (!(await this.#lookup(o, now))) unresolved++;
        continue;
      }
      const young =
        o.purpose !== "entry" ||
        (now - o.createdMs <= cfg.entryResendWindowMs && (this.#d.mayResendEntries?.() ?? true));
      if (young && o.sends <= cfg.maxResends) {
        this.#d.transaction(() => this.#j.updateOrder({ ...o, sends: o.sends + 1, lastSentMs: now }));
        this.#d.log("order.resend", { intentId: o.intentId, ticker: o.ticker, sends: o.sends + 1 });
        await this.#send({ ...o, sends: o.sends + 1, lastSentMs: now });
        const after = this.#j.order(o.intentId);
        if (after?.state === "pending") unresolved++;
        continue;
      }
      if (!(await this.#lookup(o, now))) unresolved++;
    }
    return { unresolved };
  }

  /** Looks an order up by its client order id in its market's order list. True when resolved. */
  async #lookup(o: JournalOrder, now: number): Promise<boolean> {
    const cfg = this.#d.config().unknown;
    const sentSec = Math.floor((o.createdMs - 60_000) / 1000);
    const [list, stamp] = await Promise.all([
      this.#d.rest.listOrders({ ticker: o.ticker, min_ts: Math.max(0, sentSec) }),
      this.#d.rest.getUserDataTimestamp(),
    ]);
    if (!list.ok) {
      this.#apply(
        o.intentId,
        { kind: "unknown", error: o.error ?? "lookup failed", atMs: now },
        { nextCheckMs: now + cfg.resendBaseMs },
      );
      return false;
    }
    const found = list.value.find((w) => w.client_order_id === o.clientOrderId);
    if (found) {
      const rem = remoteOrderOf(found);
      if (rem) {
        this.#apply(o.intentId, { kind: "report", ...rem, atMs: now });
        this.#adoptOrphanFills(o.intentId, rem.orderId);
        this.keep(o.ticker);
        return true;
      }
    }
    const asOf = stamp.ok ? stamp.value : null;
    if (o.ack !== "accepted" && asOf !== null && asOf >= (o.lastSentMs ?? o.createdMs) + cfg.lookupGraceMs) {
      this.#apply(o.intentId, { kind: "lapsed", atMs: now });
      this.#d.log("order.lapsed", { intentId: o.intentId, ticker: o.ticker });
      this.keep(o.ticker);
      return true;
    }
    this.#apply(
      o.intentId,
      { kind: "unknown", error: o.error ?? "not found yet", atMs: now },
      { nextCheckMs: now + cfg.resendBaseMs },
    );
    return false;
  }

  // ================================================================ order groups

  /** Makes sure every shard we trade on has our order group (created with the configured cap). */
  async ensureOrderGroups(shards: readonly number[]): Promise<void> {
    const cfg = this.#d.config().orderGroup;
    const api = this.#d.groups;
    if (!cfg.enabled || api === null) return;
    const now = this.#d.nowMs();
    for (const shard of new Set(shards)) {
      const g = this.#j.orderGroup(shard);
      if (g && g.triggered_ms !== null && now - g.triggered_ms >= cfg.resetAfterMs) {
        const r = await api.reset(g.group_id, shard);
        if (r.ok)
          this.#d.transaction(() => this.#j.putOrderGroup({ ...g, triggered_ms: null, updated_ms: now }));
        continue;
      }
      if (g) continue;
      const r = await api.create(shard, cfg.contractsLimit);
      if (!r.ok) {
        this.#d.log("order_group.create_failed", { shard, message: r.failure.message });
        continue;
      }
      this.#d.transaction(() =>
        this.#j.putOrderGroup({
          exchange_index: shard,
          group_id: r.value.groupId,
          contracts_limit: cfg.contractsLimit,
          triggered_ms: null,
          updated_ms: now,
        }),
      );
    }
  }

  // ================================================================ reconciliation

  /** Private channels may have missed events (a new socket, a restart): entries wait for a reconcile. */
  markReconcileNeeded(): void {
    this.#reconcileNeeded = true;
    this.#reconcileAsked++;
  }

  get reconcileNeeded(): boolean {
    return this.#reconcileNeeded;
  }

  /**
   * Compares the journal with the exchange (all pages) and adopts the exchange's view. Returns
   * false when a read failed (the caller retries with backoff; entries stay blocked).
   */
  async reconcile(): Promise<{ ok: boolean; diffs: number; error?: string }> {
    if (this.#reconcileRunning) return { ok: false, diffs: 0, error: "already running" };
    this.#reconcileRunning = true;
    try {
      return await this.#reconcile();
    } finally {
      this.#reconcileRunning = false;
    }
  }

  async #reconcile(): Promise<{ ok: boolean; diffs: number; error?: string }> {
    const now = this.#d.nowMs();
    const cfg = this.#d.config().reconcile;
    const st = this.#j.state();
    const since =
      st.fills_cursor_ms > 0 ? st.fills_cursor_ms - cfg.fillsOverlapMs : now - cfg.firstLookbackMs;
    const askedBefore = this.#reconcileAsked;
    const fillSeqBefore = this.#fillSeq;
    const balanceRead = this.balanceReadStarted();
    const [resting, fills, positions, balance] = await Promise.all([
      this.#d.rest.listOrders({ status: "resting" }),
      this.#d.rest.listFills({ min_ts: Math.max(0, Math.floor(since / 1000)) }),
      this.#d.rest.getPositions(),
      this.#d.rest.getBalance(),
    ]);
    const failed = [resting, fills, positions, balance].find(
      (x): x is { ok: false; failure: Failure } => !x.ok,
    );
    if (failed) {
      this.#reconcileFailures++;
      this.#lastReconcileError = failed.failure.message;
      this.#d.log("reconcile.failed", { reason: failed.failure.reason, failures: this.#reconcileFailures });
      return { ok: false, diffs: 0, error: failed.failure.message };
    }
    if (!resting.ok || !fills.ok || !positions.ok || !balance.ok) return { ok: false, diffs: 0 };
    // The balance as of these reads: what they fold in below (fills, adopted and settled
    // positions) it already holds.
    const bal = toBalance(balance.value);
    if (bal.ok) this.balanceAnswered(balanceRead, bal.value.balance);
    let diffs = 0;
    const diff = (kind: ReconDiff["kind"], ticker: string | null, detail: string, blocking: boolean) => {
      this.#recordDiff(kind, ticker, detail, blocking, now);
      diffs++;
    };

    // 1. Orders: fold every resting order in; adopt strangers; read the final state of vanished ones.
    const remote = resting.value.map(remoteOrderOf).filter((x): x is RemoteOrder => x !== null);
    const plan = planOrders(
      this.#j.workingOrders(),
      remote,
      (cid) => this.#j.orderByClientId(cid),
      (oid) => this.#j.orderByOrderId(oid),
    );
    for (const { intentId, report } of plan.reports) {
      const before = this.#j.order(intentId);
      // The exchange's size of a working order is the truth unless an amend of ours is in flight.
      const total = this.#busy.has(intentId) ? {} : { total: report.filled + report.remaining };
      this.#apply(intentId, { kind: "report", ...report, ...total, atMs: now });
      if (before && before.orderId === null) this.#adoptOrphanFills(intentId, report.orderId);
    }
    for (const r of plan.unknown) {
      this.#adoptExternalOrder(r, now);
      diff(
        "unknown_order",
        r.ticker,
        `resting order ${r.orderId} (${r.bookSide} ${r.remaining} @ ${r.yesPrice}) was not placed by this bot`,
        true,
      );
    }
    for (const o of plan.vanished) {
      await this.#refreshOrder(o.intentId);
      const after = this.#j.order(o.intentId);
      if (after && !isTerminal(after.state)) continue;
      diff(
        "order_closed_remotely",
        o.ticker,
        `order ${o.orderId} ended (${after?.state ?? "unknown"}) without a message reaching the bot`,
        false,
      );
    }

    // 2. Fills since the cursor: fold the ones the socket missed.
    const domainFills: Fill[] = [];
    for (const w of fills.value) {
      const c = toFill(w);
      if (!c.ok) continue;
      const v = c.value;
      domainFills.push({
        fillId: v.fillId,
        orderId: v.orderId,
        ticker: v.ticker,
        yesPrice: v.yesPrice,
        count: v.count,
        yesDelta: v.bookSide === "bid" ? v.count : -v.count,
        fee: v.fee,
        isTaker: v.isTaker,
        tsMs: v.createdTimeMs ?? now,
      });
    }
    const fp = planFills(
      domainFills,
      (id) => this.#j.hasFill(id),
      (oid) => this.#j.orderByOrderId(oid),
    );
    for (const { fill } of fp.missed) this.onFill(fill, undefined, "rest");
    for (const fill of fp.unknown) {
      this.onFill(fill, undefined, "rest");
      diff(
        "unknown_fill",
        fill.ticker,
        `fill ${fill.fillId} of order ${fill.orderId}, which this bot did not place`,
        true,
      );
    }
    const cursor = domainFills.reduce((m, f) => Math.max(m, f.tsMs), st.fills_cursor_ms);

    // 3. Positions: the exchange's signed contracts are the truth.
    const remotePos = new Map<string, number>();
    for (const p of positions.value.market_positions) {
      const c = toPosition(p);
      if (c.ok && c.value.position !== 0) remotePos.set(c.value.ticker, c.value.position);
    }
    const localPos = new Map<string, number>();
    for (const h of this.#j.positions()) localPos.set(h.position.ticker, signedContracts(h.position));
    for (const d of positionDiffs(localPos, remotePos)) {
      // The position moved while it was read (a fill arrived), or an order that moves it is on its
      // way: the read is older than the journal, and adopting it would undo (or repeat) a trade.
      if (this.#movedSince(d.ticker, fillSeqBefore)) {
        this.#d.log("reconcile.position_moving", { ticker: d.ticker, local: d.local, remote: d.remote });
        this.markReconcileNeeded();
        continue;
      }
      // A market that settled took the position away: close it at the settlement, not a difference.
      if (d.remote === 0 && (await this.#settledAway(d.ticker))) continue;
      this.#adoptPosition(d.ticker, d.remote, now);
      const kind =
        d.local === 0
          ? "unknown_position"
          : d.remote === 0
            ? "position_closed_remotely"
            : "position_mismatch";
      diff(kind, d.ticker, `local ${d.local} vs exchange ${d.remote} (signed YES contracts, 1/100)`, true);
    }

    this.#d.transaction(() => this.#j.setState({ fills_cursor_ms: cursor, reconciled_ms: now }));
    // A reconnect during this run asked for another one; keep entries blocked until it runs.
    if (this.#reconcileAsked === askedBefore) this.#reconcileNeeded = false;
    this.#reconcileFailures = 0;
    this.#lastReconcileError = null;
    this.#d.onEvent({ kind: "reconciled", atMs: now });
    this.keepAll();
    return { ok: true, diffs };
  }

  /**
   * A fill of `ticker` folded after `fillSeq`, an order there whose create is in flight, or exit
   * fills the exchange reported that have not arrived as fills yet (the position is about to move).
   */
  #movedSince(ticker: string, fillSeq: number): boolean {
    if ((this.#fillSeqOf.get(ticker) ?? 0) > fillSeq) return true;
    for (const id of this.#inFlight) if (this.#j.order(id)?.ticker === ticker) return true;
    const held = this.#j.position(ticker);
    return (
      held !== undefined && this.#j.unsettledSells(ticker, held.position.side, held.position.openedMs) > 0
    );
  }

  /** Records one difference with the exchange (and its history row) and tells the account. */
  #recordDiff(
    kind: ReconDiff["kind"],
    ticker: string | null,
    detail: string,
    blocking: boolean,
    atMs: number,
  ): void {
    const d: ReconDiff = {
      id: this.#d.newId(),
      atMs,
      kind,
      ticker,
      detail: detail.slice(0, 500),
      blocking,
      reviewedMs: null,
    };
    this.#d.transaction(() => {
      this.#j.insertDiff(d);
      this.#d.history.reconDiff(d);
    });
    this.#d.onEvent({ kind: "recon_diff", diff: d });
  }

  /** An order resting at the exchange that the journal never placed: journal it as external (manual). */
  #adoptExternalOrder(r: RemoteOrder, now: number): void {
    const side: Side = r.bookSide === "bid" ? "yes" : "no";
    const o: JournalOrder = {
      intentId: this.#d.newId(),
      clientOrderId: r.clientOrderId ?? `external:${r.orderId}`,
      orderId: r.orderId,
      ticker: r.ticker,
      side,
      action: "buy",
      price: side === "yes" ? r.yesPrice : PRICE_SCALE - r.yesPrice,
      count: r.initialCount,
      purpose: "manual",
      tif: "good_till_canceled",
      postOnly: false,
      reduceOnly: false,
      expirationMs: null,
      positionId: null,
      exchangeIndex: r.exchangeIndex,
      orderGroupId: null,
      state: r.filled > 0 ? "partially_filled" : "resting",
      ack: "accepted",
      filled: r.filled,
      reportedFilled: r.filled,
      fillSum: 0,
      fees: 0,
      fillCost: 0,
      createdMs: now,
      updatedMs: now,
      reason: "adopted",
      error: null,
      body: "{}",
      sends: 0,
      lastSentMs: null,
      nextCheckMs: null,
    };
    this.#d.transaction(() => {
      this.#j.insertOrder(o);
      this.#d.history.order(o);
    });
    this.#refreshWorking(o.ticker);
  }

  /**
   * Sets the market's position to the exchange's signed contracts. A position found without
   * exits gets a plan from its average cost (or the current bid when that is unknown), so the
   * keeper protects it.
   */
  #adoptPosition(ticker: string, remote: CountUnits, now: number): void {
    const held = this.#j.position(ticker);
    if (remote === 0) {
      if (!held) return;
      const rt = settle(
        held.position,
        held.position.side === "yes" ? held.position.bestBid : PRICE_SCALE - held.position.bestBid,
        0,
        now,
      );
      const closed: RoundTrip = { ...rt, reason: "external" };
      this.#d.transaction(() => {
        this.#j.insertRoundTrip(closed);
        this.#d.history.roundTrip(closed);
        this.#j.deletePosition(ticker);
      });
      this.#refreshHeld(ticker);
      this.#d.onEvent({ kind: "position_closed", roundTrip: closed });
      return;
    }
    const side: Side = remote > 0 ? "yes" : "no";
    const contracts = Math.abs(remote);
    const market = this.#d.market(ticker);
    const b = this.#topFor(ticker, now).top;
    const bid = b ? bidOf(b, side) : null;
    const avg =
      held && held.position.side === side
        ? Math.round(held.position.cost / held.position.contracts)
        : (bid ?? 5_000);
    const base: Position =
      held && held.position.side === side
        ? {
            ...held.position,
            contracts,
            cost: avg * contracts,
            maxContracts: Math.max(held.position.maxContracts, contracts),
            entered: Math.max(held.position.entered, held.position.exited + contracts),
            enteredCost:
              held.position.enteredCost +
              avg * Math.max(0, held.position.exited + contracts - held.position.entered),
          }
        : {
            positionId: this.#d.newId(),
            ticker,
            side,
            contracts,
            cost: avg * contracts,
            fees: 0,
            realizedGross: 0,
            maxContracts: contracts,
            entered: contracts,
            enteredCost: avg * contracts,
            exited: 0,
            exitProceeds: 0,
            bestBid: avg,
            worstBid: avg,
            openedMs: now,
            exits: null,
          };
    const position: Position = { ...base, exits: base.exits ?? this.#d.exitPlanFor(side, avg, market, now) };
    this.#d.transaction(() =>
      this.#j.putPosition(
        {
          position,
          exit: held && held.position.side === side ? held.exit : PROTECT,
          exitRequest: held?.exitRequest ?? null,
        },
        now,
      ),
    );
    this.#refreshHeld(ticker);
    if (!held) this.#d.onEvent({ kind: "position_opened", position });
  }

  /**
   * A held position the exchange no longer shows: did its market settle? Kalshi's settlements list
   * (`GET /portfolio/settlements`) names the result and what the position paid; a settlement of
   * the market closes it at that value with reason `settled`. False when none is found (or the
   * list cannot be read): the caller treats it as closed remotely.
   */
  async #settledAway(ticker: string): Promise<boolean> {
    const held = this.#j.position(ticker);
    if (!held) return false;
    const r = await this.#d.rest.listSettlements({ ticker });
    if (!r.ok) return false;
    const found = r.value
      .map((w) => toSettlement(w))
      .flatMap((c) => (c.ok ? [c.value] : []))
      // A market settles once; a settlement of it means the position went with it.
      .filter((x) => x.ticker === ticker)
      .sort((a, b) => b.settledTimeMs - a.settledTimeMs)[0];
    if (!found) return false;
    // The YES value: from the result when it is yes or no; otherwise from what the position was paid.
    const p = held.position;
    const paid = p.contracts > 0 ? Math.round(found.revenue / p.contracts) : 0;
    const leg = Math.max(0, Math.min(PRICE_SCALE, paid));
    const yesValue =
      found.result === "yes"
        ? PRICE_SCALE
        : found.result === "no"
          ? 0
          : p.side === "yes"
            ? leg
            : PRICE_SCALE - leg;
    this.settleMarket(ticker, yesValue, found.fee);
    this.#d.log("position.settled", { ticker, result: found.result, yesValue });
    return true;
  }

  /** A settled market: close what is left at its settlement value. */
  settleMarket(ticker: string, yesValue: PriceUnits, fee: number): void {
    const held = this.#j.position(ticker);
    if (!held) return;
    const rt = settle(held.position, yesValue, fee, this.#d.nowMs());
    this.#d.transaction(() => {
      this.#j.insertRoundTrip(rt);
      this.#d.history.roundTrip(rt);
      this.#j.deletePosition(ticker);
    });
    this.#refreshHeld(ticker);
    this.#d.onEvent({ kind: "position_closed", roundTrip: rt });
  }

  // ================================================================ cash

  /** Call before sending a balance read; hand the answer to `balanceAnswered` with this. */
  balanceReadStarted(): BalanceRead {
    return { sentMs: this.#d.nowMs(), fillSeq: this.#fillSeq };
  }

  /** The exchange's balance for a read started by `balanceReadStarted`: kept, and the fills' cash restarts from it. */
  balanceAnswered(read: BalanceRead, balance: MoneyMicros): void {
    const now = this.#d.nowMs();
    this.#j.setState({ balance, balance_ms: now });
    // A fill folded while the read was out may or may not be in it.
    this.#balanceRead = {
      sentMs: read.sentMs,
      doneMs: now,
      unbooked: 0,
      certain: this.#fillSeq === read.fillSeq,
    };
  }

  /**
   * A fill's cash against the last balance read: one that happened before the read was sent is in
   * the balance already; one after it is not, and is counted until the next read. One that
   * happened while the read was out, give or take `CLOCK_SLACK_MS` between the exchange's clock
   * and ours (or whose time is unknown), could be either: counted when after the send, and the
   * figure is uncertain until the next read.
   */
  #bookCash(f: Fill, cash: MoneyMicros): void {
    const r = this.#balanceRead;
    const unknownTime = f.tsMs <= 0;
    if (unknownTime || f.tsMs >= r.sentMs) r.unbooked += cash;
    if (unknownTime || (f.tsMs >= r.sentMs - CLOCK_SLACK_MS && f.tsMs <= r.doneMs + CLOCK_SLACK_MS))
      r.certain = false;
  }

  /** The cash as the bot can tell it (see `CashView`); null before any balance was read. */
  cash(): CashView | null {
    const balance = this.#j.state().balance;
    if (balance === null) return null;
    const r = this.#balanceRead;
    return { cash: balance + r.unbooked, certain: r.certain, balance, unbooked: r.unbooked };
  }

  // ================================================================ queries

  positions(): HeldPosition[] {
    return this.#j.positions();
  }

  /** Working orders, newest last. */
  workingOrders(ticker?: string): JournalOrder[] {
    return this.#j.workingOrders(ticker);
  }

  /** Markets with an order whose outcome is unknown: no entry there until it is resolved. */
  unknownMarkets(): Set<string> {
    const out = new Set<string>();
    for (const o of this.#j.workingOrders()) if (o.state === "pending") out.add(o.ticker);
    return out;
  }

  /** What blocks entries on the order path's side. */
  blockers(): string[] {
    const out: string[] = [];
    if (this.#reconcileNeeded)
      out.push(
        this.#lastReconcileError
          ? `reconciliation pending (last attempt failed: ${this.#lastReconcileError.slice(0, 120)})`
          : "reconciliation pending",
      );
    const open = this.#j.openBlockingDiffs();
    if (open > 0) out.push(`${open} reconciliation difference(s) to review`);
    return out;
  }

  get reconcileFailures(): number {
    return this.#reconcileFailures;
  }
}
