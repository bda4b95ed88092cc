/**
 * The simulator's exchange core: markets, books, V2 orders, fees, portfolios, participants and
 * the market lifecycle behind one class, pure and deterministic (time from an injected
 * `SimClock`, randomness from the seed). `sim/server/` renders its integer-unit objects into
 * Kalshi's wire JSON and fans its events out over WebSocket; the control API calls the
 * scenario hooks. Every book change is reported as a `book_delta` event, so a client applying
 * the events to an empty book reproduces `book(ticker)` exactly.
 */

import { ORDER_ALREADY_EXISTS } from "../../shared/kalshi/errors.ts";
import type { CountUnits, MoneyMicros, PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import { type Entry, ladderOf, ladderPriceOf, OrderBook } from "./book.ts";
import type { SimClock } from "./clock.ts";
import { fillFee, maxFee } from "./fees.ts";
import { priceRangesForStructure, snapDown } from "./grid.ts";
import { crosses, fillableCount, matchOrder, oppositeLadder, wouldCross } from "./matching.ts";
import { OrderGroups, type SimOrderGroup } from "./order-groups.ts";
import { plannedQuotes, plannedTake, stepShock, walkFair } from "./participants.ts";
import {
  type Account,
  applyFill,
  available,
  closable,
  createAccount,
  legPrice,
  mulDiv,
  positionOf,
  positionView,
  settlePosition,
} from "./portfolio.ts";
import { Rng } from "./rng.ts";
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
  Rejection,
  Result,
  SelfTradePrevention,
  SimEvent,
  SimEventFeeChange,
  SimFill,
  SimMarket,
  SimOrder,
  SimPosition,
  SimSeries,
  SimSettlement,
  SimTrade,
  TimeInForce,
} from "./types.ts";
import { isMultivariate } from "./types.ts";
import {
  buildEvent,
  buildMarket,
  generateUniverse,
  MARKET_KINDS,
  type MarketKind,
  type MarketProfile,
  makeProfile,
  seriesCatalogue,
  shardOfSeries,
  stableId,
} from "./universe.ts";
import { checkCount, checkNewOrder, checkPrice, marketInactive, notFound, reject } from "./validation.ts";

export const HOUSE_PARTICIPANT = "sim-house";
const DEFAULT_BALANCE: MoneyMicros = 10_000 * 1_000_000; // $10,000, as the server's stand-in
const TRADE_TAPE_LIMIT = 50_000;

/**
 * The time-in-force values a `reduce_only` order may carry. Kalshi's docs disagree: the V2 spec
 * puts no restriction on it, a later reading says immediate-or-cancel only. The simulator takes
 * the stricter one (documented in sim/README.md as a known uncertainty), so a bot that passes here
 * cannot be refused for it on Kalshi.
 */
export const REDUCE_ONLY_TIME_IN_FORCE: readonly TimeInForce[] = ["immediate_or_cancel"];
const HOUR = 3_600_000;

export type RequestOp = "create" | "cancel" | "amend" | "decrease" | "cancel_all";

/** One order request as received, with how it ended ("ok" or the rejection code). */
export interface RequestRecord {
  seq: number;
  tsMs: number;
  userId: string;
  op: RequestOp;
  batch: boolean;
  ticker?: string;
  orderId?: string;
  clientOrderId?: string;
  status: number;
  outcome: string;
}

export interface ExchangeCounters {
  requests: number;
  requestsByOutcome: Record<string, number>;
  fills: number;
  trades: number;
  /** every fee charged, users and participants */
  feesCollected: MoneyMicros;
}

/** Money across every account, participants included: cash + $1 per held YES/NO pair + fees is conserved. */
export interface LedgerTotals {
  cash: MoneyMicros;
  /** YES contracts held (each matched by a NO contract: $1 of collateral per pair) */
  yesHeld: CountUnits;
  feesCollected: MoneyMicros;
}

export interface UserSnapshot {
  userId: string;
  balance: MoneyMicros;
  available: MoneyMicros;
  reserved: MoneyMicros;
  positions: SimPosition[];
  restingOrders: number;
  fills: number;
}

export interface CreateMarketInput {
  seriesTicker?: string;
  eventTicker?: string;
  ticker?: string;
  kind?: MarketKind;
  /** starting fair YES value for the participants */
  fair?: PriceUnits;
  priceLevelStructure?: string;
  openTimeMs?: number;
  closeTimeMs?: number;
  eventualOutcome?: "yes" | "no";
}

export interface ExchangeOptions {
  seed: number;
  markets: number;
  clock: SimClock;
  users?: { userId: string; balance: MoneyMicros }[];
  /** balance given to users first seen through `ensureUser` */
  defaultBalance?: MoneyMicros;
  /** run the simulated market makers and noise traders in `step` (default true) */
  participants?: boolean;
  /** determine at expected expiration and settle after the settlement timer (default true) */
  autoSettle?: boolean;
  /**
   * How often favourites get news jumps of 2.5 to 4 c (participants.ts): 1 (default) is one every
   * 30 s on average, 2 twice as often, 0 none (the quiet random walk alone).
   */
  volatility?: number;
}

interface MarketState {
  market: SimMarket;
  book: OrderBook;
  profile: MarketProfile;
  rng: Rng;
  /** the news jumps' own generator, so they never shift the walk's or the quotes' draws */
  shockRng: Rng;
  quotes: Map<string, Entry>;
  nextParticipantMs: number;
  lastParticipantMs: number;
  determinedAtMs: number;
}

type Listener = (ev: ExchangeEvent) => void;

function copyOrder(o: SimOrder): SimOrder {
  return { ...o };
}

export class Exchange {
  private readonly clock: SimClock;
  private readonly seed: number;
  private readonly defaultBalance: MoneyMicros;
  private readonly participantsOn: boolean;
  private readonly volatility: number;
  private readonly autoSettle: boolean;
  private readonly seriesList: SimSeries[];
  private readonly eventList: SimEvent[];
  private readonly marketMap = new Map<string, MarketState>();
  private readonly accounts = new Map<string, Account>();
  private readonly live = new Map<string, Entry>();
  /** resting entries per user, for the balance hold and cancel-all */
  private readonly restingByUser = new Map<string, Set<Entry>>();
  private readonly expiring = new Set<Entry>();
  private readonly groups = new OrderGroups();
  private groupSeq = 0;
  /** exchange-wide trading pause (Kalshi's weekly maintenance window, or a rare halt) */
  private paused = false;
  private readonly feeChanges: SimEventFeeChange[] = [];
  private readonly tape: SimTrade[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly requestLog: RequestRecord[] = [];
  private readonly counts: ExchangeCounters = {
    requests: 0,
    requestsByOutcome: {},
    fills: 0,
    trades: 0,
    feesCollected: 0,
  };
  private readonly dirty = new Set<MarketState>();
  private orderSeq = 0;
  private tradeSeq = 0;
  private marketSeq = 0;
  private nextLifecycleMs = 0;
  private inBatch = false;

  constructor(opts: ExchangeOptions) {
    this.clock = opts.clock;
    this.seed = opts.seed;
    this.defaultBalance = opts.defaultBalance ?? DEFAULT_BALANCE;
    this.participantsOn = opts.participants ?? true;
    this.volatility = opts.volatility ?? 1;
    this.autoSettle = opts.autoSettle ?? true;
    const now = this.clock.now();
    const u = generateUniverse(opts.seed, opts.markets, now);
    this.seriesList = u.series;
    this.eventList = u.events;
    for (const m of u.markets) {
      const profile =
        u.profiles.get(m.ticker) ?? makeProfile("tossup", PRICE_SCALE / 2, m.ticker, new Rng(1));
      this.addMarketState(m, profile);
    }
    for (const user of opts.users ?? [])
      this.accounts.set(user.userId, createAccount(user.userId, user.balance, false));
  }

  // ---------------------------------------------------------------- reference data

  series(): SimSeries[] {
    return this.seriesList.map((s) => ({ ...s }));
  }

  events(): SimEvent[] {
    return this.eventList.map((e) => ({ ...e }));
  }

  markets(): SimMarket[] {
    this.catchUp();
    return [...this.marketMap.values()].map((s) => this.marketCopy(s.market));
  }

  market(ticker: string): SimMarket | undefined {
    this.catchUp();
    const s = this.marketMap.get(ticker);
    return s ? this.marketCopy(s.market) : undefined;
  }

  book(ticker: string): BookView | undefined {
    return this.marketMap.get(ticker)?.book.view();
  }

  /** public trades, oldest first (the most recent 50 000) */
  trades(ticker?: string): SimTrade[] {
    return ticker === undefined
      ? this.tape.map((t) => ({ ...t }))
      : this.tape.filter((t) => t.ticker === ticker);
  }

  now(): number {
    return this.clock.now();
  }

  // ---------------------------------------------------------------- events

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** alias of `subscribe`, the name the server's ExchangePort uses */
  onEvent(fn: Listener): () => void {
    return this.subscribe(fn);
  }

  private emit(ev: ExchangeEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(ev);
      } catch {
        // a failing subscriber must not leave the book half-updated
      }
    }
  }

  private flushTickers(): void {
    if (this.dirty.size === 0) return;
    const tsMs = this.now();
    for (const s of this.dirty)
      this.emit({ kind: "ticker", ticker: s.market.ticker, marketId: s.market.marketId, tsMs });
    this.dirty.clear();
  }

  // ---------------------------------------------------------------- accounts and inspection

  ensureUser(userId: string, balance?: MoneyMicros): void {
    if (!this.accounts.has(userId)) {
      this.accounts.set(userId, createAccount(userId, balance ?? this.defaultBalance, false));
    }
  }

  /** cash balance, including money held for resting orders */
  balance(userId: string): MoneyMicros {
    return this.accounts.get(userId)?.cash ?? 0;
  }

  /** cash not held for resting orders: what a new order can use */
  availableBalance(userId: string): MoneyMicros {
    const a = this.accounts.get(userId);
    return a ? available(a) : 0;
  }

  /** Control hook: set a user's cash balance (creates the user). */
  setBalance(userId: string, balance: MoneyMicros): void {
    this.ensureUser(userId, balance);
    const a = this.accounts.get(userId);
    if (a) a.cash = balance;
  }

  orders(userId: string): SimOrder[] {
    this.catchUp();
    const a = this.accounts.get(userId);
    return a ? [...a.orders.values()].map(copyOrder) : [];
  }

  order(userId: string, orderId: string): SimOrder | undefined {
    this.catchUp();
    const o = this.accounts.get(userId)?.orders.get(orderId);
    return o ? copyOrder(o) : undefined;
  }

  fills(userId: string): SimFill[] {
    return (this.accounts.get(userId)?.fills ?? []).map((f) => ({ ...f }));
  }

  positions(userId: string): SimPosition[] {
    this.catchUp();
    const a = this.accounts.get(userId);
    if (!a) return [];
    return [...a.positions.entries()].map(([t, st]) => positionView(t, st));
  }

  settlements(userId: string): SimSettlement[] {
    this.catchUp();
    return (this.accounts.get(userId)?.settlements ?? []).map((s) => ({ ...s }));
  }

  /** every order request received from users, oldest first, with its outcome */
  requests(userId?: string): RequestRecord[] {
    const all = userId === undefined ? this.requestLog : this.requestLog.filter((r) => r.userId === userId);
    return all.map((r) => ({ ...r }));
  }

  counters(): ExchangeCounters {
    return { ...this.counts, requestsByOutcome: { ...this.counts.requestsByOutcome } };
  }

  ledger(): LedgerTotals {
    let cash = 0;
    let yesHeld = 0;
    for (const a of this.accounts.values()) {
      cash += a.cash;
      for (const st of a.positions.values()) if (st.position > 0) yesHeld += st.position;
    }
    return { cash, yesHeld, feesCollected: this.counts.feesCollected };
  }

  /** balances, positions and activity of every registered user */
  users(): UserSnapshot[] {
    const out: UserSnapshot[] = [];
    for (const a of this.accounts.values()) {
      if (a.unlimited) continue;
      let restingOrders = 0;
      for (const o of a.orders.values()) if (o.status === "resting") restingOrders++;
      out.push({
        userId: a.userId,
        balance: a.cash,
        available: available(a),
        reserved: a.reserved,
        positions: [...a.positions.entries()].map(([t, st]) => positionView(t, st)),
        restingOrders,
        fills: a.fills.length,
      });
    }
    return out;
  }

  private record(
    userId: string,
    op: RequestOp,
    res: { ok: true } | Rejection,
    extra: { ticker?: string; orderId?: string; clientOrderId?: string },
  ): void {
    const outcome = res.ok ? "ok" : res.code;
    const rec: RequestRecord = {
      seq: this.requestLog.length + 1,
      tsMs: this.now(),
      userId,
      op,
      batch: this.inBatch,
      status: res.ok ? 200 : res.status,
      outcome,
    };
    if (extra.ticker !== undefined) rec.ticker = extra.ticker;
    if (extra.orderId !== undefined) rec.orderId = extra.orderId;
    if (extra.clientOrderId !== undefined) rec.clientOrderId = extra.clientOrderId;
    this.requestLog.push(rec);
    this.counts.requests++;
    this.counts.requestsByOutcome[outcome] = (this.counts.requestsByOutcome[outcome] ?? 0) + 1;
  }

  private userAccount(userId: string): Account {
    let a = this.accounts.get(userId);
    if (!a) {
      a = createAccount(userId, this.defaultBalance, false);
      this.accounts.set(userId, a);
    }
    return a;
  }

  private participantAccount(name: string): Account {
    let a = this.accounts.get(name);
    if (!a) {
      a = createAccount(name, 0, true);
      this.accounts.set(name, a);
    }
    return a;
  }

  // ---------------------------------------------------------------- user orders

  createOrder(userId: string, input: CreateOrderInput): Result<CreateOrderOutcome> {
    this.catchUp();
    const res = this.create(this.userAccount(userId), input);
    const extra = { ticker: input.ticker, clientOrderId: input.clientOrderId };
    this.record(userId, "create", res, res.ok ? { ...extra, orderId: res.value.order.orderId } : extra);
    this.flushTickers();
    return res;
  }

  batchCreateOrders(userId: string, inputs: CreateOrderInput[]): Result<CreateOrderOutcome>[] {
    this.inBatch = true;
    try {
      return inputs.map((i) => this.createOrder(userId, i));
    } finally {
      this.inBatch = false;
    }
  }

  cancelOrder(userId: string, orderId: string): Result<CancelOutcome> {
    this.catchUp();
    const res = this.cancel(userId, orderId);
    const order = this.accounts.get(userId)?.orders.get(orderId);
    this.record(userId, "cancel", res, {
      orderId,
      ticker: order?.ticker,
      clientOrderId: order?.clientOrderId,
    });
    this.flushTickers();
    return res;
  }

  batchCancelOrders(userId: string, orderIds: string[]): Result<CancelOutcome>[] {
    this.inBatch = true;
    try {
      return orderIds.map((id) => this.cancelOrder(userId, id));
    } finally {
      this.inBatch = false;
    }
  }

  /** Cancel every resting order of the user (optionally one subaccount) in markets that allow it. */
  cancelAll(userId: string, subaccount?: number): SimOrder[] {
    this.catchUp();
    const out: SimOrder[] = [];
    for (const entry of [...(this.restingByUser.get(userId) ?? [])]) {
      const o = entry.order;
      const ms = this.marketMap.get(o.ticker);
      if ((subaccount !== undefined && o.subaccount !== subaccount) || !ms || !this.cancellable(ms.market))
        continue;
      this.cancelEntry(entry, ms, undefined);
      out.push(copyOrder(o));
    }
    this.record(userId, "cancel_all", { ok: true }, {});
    this.flushTickers();
    return out;
  }

  amendOrder(userId: string, orderId: string, input: AmendInput): Result<CreateOrderOutcome> {
    this.catchUp();
    const res = this.amend(userId, orderId, input);
    this.record(userId, "amend", res, { orderId, ticker: input.ticker });
    this.flushTickers();
    return res;
  }

  decreaseOrder(userId: string, orderId: string, input: DecreaseInput): Result<SimOrder> {
    this.catchUp();
    const res = this.decrease(userId, orderId, input);
    this.record(userId, "decrease", res, { orderId });
    this.flushTickers();
    return res;
  }

  // ---------------------------------------------------------------- exchange-wide pause

  /** `GET /exchange/status` `trading_active` is the negation of this. */
  exchangePaused(): boolean {
    return this.paused;
  }

  /**
   * Pauses or resumes trading on the whole exchange. While paused, creates and amends are
   * refused (cancels and decreases go through) and the simulated crowd stands still. Pausing
   * cancels every resting user order that asked for it (`cancel_order_on_pause`, HaltCancel);
   * the others stay, and resuming cancels nothing (Kalshi's maintenance-and-pauses page).
   */
  setExchangePaused(paused: boolean): Result<true> {
    this.catchUp();
    if (paused && !this.paused) {
      for (const entry of [...this.live.values()]) {
        const ms = this.marketMap.get(entry.order.ticker);
        if (entry.isUser && entry.order.cancelOrderOnPause && ms) this.cancelEntry(entry, ms, "HaltCancel");
      }
    }
    this.paused = paused;
    this.flushTickers();
    return { ok: true, value: true };
  }

  private pausedRejection(): Rejection | undefined {
    return this.paused ? reject(400, "trading_is_paused", "trading is paused") : undefined;
  }

  // ---------------------------------------------------------------- order groups

  /** `POST /portfolio/order_groups/create`; emits `created`. */
  createOrderGroup(
    userId: string,
    input: { contractsLimit: CountUnits; subaccount?: number; exchangeIndex?: number },
  ): Result<SimOrderGroup> {
    this.userAccount(userId);
    const now = this.now();
    const id = stableId(this.seed, 5, this.groupSeq + 1);
    const r = this.groups.create(
      userId,
      id,
      {
        contractsLimit: input.contractsLimit,
        subaccount: input.subaccount ?? 0,
        exchangeIndex: input.exchangeIndex ?? 0,
      },
      now,
    );
    if (!r.ok) return r;
    this.groupSeq++;
    this.emit({
      kind: "order_group",
      user: userId,
      eventType: "created",
      groupId: id,
      contractsLimit: r.value.contractsLimit,
      tsMs: now,
    });
    return r;
  }

  orderGroup(userId: string, groupId: string): SimOrderGroup | undefined {
    this.catchUp();
    return this.groups.get(userId, groupId, this.now());
  }

  /** The user's groups (one subaccount's when given), oldest first. */
  orderGroups(userId: string, subaccount?: number): SimOrderGroup[] {
    this.catchUp();
    return this.groups.list(userId, subaccount, this.now());
  }

  /** Every user's groups, for inspection. */
  allOrderGroups(): SimOrderGroup[] {
    return this.groups.all(this.now());
  }

  /** Clears the trigger and the rolling volume; emits `reset`. */
  resetOrderGroup(userId: string, groupId: string): Result<true> {
    this.catchUp();
    const r = this.groups.reset(userId, groupId);
    if (r.ok) this.emit({ kind: "order_group", user: userId, eventType: "reset", groupId, tsMs: this.now() });
    return r;
  }

  /** Triggers the group: its resting orders are cancelled, new ones refused; emits `triggered`. */
  triggerOrderGroup(userId: string, groupId: string): Result<true> {
    this.catchUp();
    const r = this.groups.trigger(userId, groupId);
    if (!r.ok) return r;
    this.emit({ kind: "order_group", user: userId, eventType: "triggered", groupId, tsMs: this.now() });
    this.cancelGroupOrders(groupId, r.value);
    this.flushTickers();
    return { ok: true, value: true };
  }

  /** A new limit; emits `limit_updated`, then `triggered` if the rolling volume is already past it. */
  updateOrderGroupLimit(userId: string, groupId: string, contractsLimit: CountUnits): Result<true> {
    this.catchUp();
    const now = this.now();
    const r = this.groups.setLimit(userId, groupId, contractsLimit, now);
    if (!r.ok) return r;
    this.emit({
      kind: "order_group",
      user: userId,
      eventType: "limit_updated",
      groupId,
      contractsLimit,
      tsMs: now,
    });
    if (r.value.triggered) {
      this.emit({ kind: "order_group", user: userId, eventType: "triggered", groupId, tsMs: now });
      this.cancelGroupOrders(groupId, r.value.orderIds);
    }
    this.flushTickers();
    return { ok: true, value: true };
  }

  /** Deletes the group and cancels its resting orders; emits `deleted`. */
  deleteOrderGroup(userId: string, groupId: string): Result<true> {
    this.catchUp();
    const r = this.groups.delete(userId, groupId);
    if (!r.ok) return r;
    this.cancelGroupOrders(groupId, r.value);
    this.emit({ kind: "order_group", user: userId, eventType: "deleted", groupId, tsMs: this.now() });
    this.flushTickers();
    return { ok: true, value: true };
  }

  private cancellable(m: SimMarket): boolean {
    return m.status === "active" || m.status === "inactive";
  }

  private create(acct: Account, input: CreateOrderInput): Result<CreateOrderOutcome> {
    const paused = this.pausedRejection();
    if (paused) return paused;
    const ms = this.marketMap.get(input.ticker);
    if (!ms) return notFound(`market ${input.ticker}`);
    const market = ms.market;
    // Kalshi refuses a resent client_order_id with 409: the order already exists.
    if (input.clientOrderId !== undefined && acct.clientOrderIds.has(input.clientOrderId)) {
      return reject(409, ORDER_ALREADY_EXISTS, "order already exists");
    }
    const bad = checkNewOrder(market, input, this.now());
    if (bad) return bad;
    if (input.orderGroupId !== undefined) {
      const refused = this.groups.admit(
        acct.userId,
        input.orderGroupId,
        market.exchangeIndex,
        input.subaccount ?? 0,
      );
      if (refused) return refused;
    }
    if (input.postOnly && wouldCross(ms.book, input.side, input.price)) {
      return reject(400, "invalid_order", "invalid order", "post only cross");
    }
    if (input.reduceOnly && !REDUCE_ONLY_TIME_IN_FORCE.includes(input.timeInForce)) {
      return reject(
        400,
        "invalid_order",
        "invalid order",
        `reduce_only requires time_in_force ${REDUCE_ONLY_TIME_IN_FORCE.join(" or ")}`,
      );
    }
    let count = input.count;
    if (input.reduceOnly) {
      // capped at the position it closes, so it can never flip it; the cut is ReduceOnlyCancel
      count = Math.min(count, closable(positionOf(acct, market.ticker), input.side));
      if (count === 0)
        return { ok: true, value: { order: this.reduceOnlyNothing(acct, market, input), fills: [] } };
    }
    const need = this.reserveFor(
      acct,
      ms,
      input.side,
      input.price,
      count,
      undefined,
      input.reduceOnly === true,
    );
    if (!acct.unlimited && need > available(acct)) {
      return reject(400, "available_balance_too_low", "available balance is too low for this order");
    }
    const order = this.newOrder(acct, market, input, count);
    if (count < input.count) {
      order.initialCount = input.count;
      order.lastUpdateReason = "ReduceOnlyCancel";
    }
    const fills = this.execute(ms, acct, order, input.timeInForce);
    return { ok: true, value: { order: copyOrder(order), fills: fills.map((f) => ({ ...f })) } };
  }

  /** A reduce-only order with nothing to reduce: accepted and cancelled whole (ReduceOnlyCancel). */
  private reduceOnlyNothing(acct: Account, market: SimMarket, input: CreateOrderInput): SimOrder {
    const order = this.newOrder(acct, market, input, 0);
    order.initialCount = input.count;
    order.status = "canceled";
    order.lastUpdateReason = "ReduceOnlyCancel";
    this.emit({ kind: "order", user: acct.userId, order: copyOrder(order) });
    return copyOrder(order);
  }

  private newOrder(acct: Account, market: SimMarket, input: CreateOrderInput, count: CountUnits): SimOrder {
    const now = this.now();
    const order: SimOrder = {
      orderId: stableId(this.seed, 2, ++this.orderSeq),
      userId: acct.userId,
      clientOrderId: input.clientOrderId ?? "",
      ticker: market.ticker,
      side: input.side,
      price: input.price,
      initialCount: count,
      fillCount: 0,
      remainingCount: count,
      status: "resting",
      timeInForce: input.timeInForce,
      selfTradePrevention: input.selfTradePrevention,
      postOnly: input.postOnly === true,
      reduceOnly: input.reduceOnly === true,
      cancelOrderOnPause: input.cancelOrderOnPause === true,
      takerFillCost: 0,
      makerFillCost: 0,
      takerFees: 0,
      makerFees: 0,
      createdTimeMs: now,
      lastUpdateTimeMs: now,
      exchangeIndex: market.exchangeIndex,
      subaccount: input.subaccount ?? 0,
    };
    if (input.expirationTimeSec !== undefined) order.expirationTimeSec = input.expirationTimeSec;
    if (input.orderGroupId !== undefined) {
      order.orderGroupId = input.orderGroupId;
      this.groups.join(input.orderGroupId, order.orderId);
    }
    if (input.clientOrderId !== undefined) acct.clientOrderIds.add(input.clientOrderId);
    if (!acct.unlimited) acct.orders.set(order.orderId, order);
    return order;
  }

  /**
   * Balance to hold for a buy of `count`: the cost of the part that opens a position (the part
   * closing the opposite leg, net of other resting orders closing it, pays for itself) plus the
   * largest fee one fill could charge. `exclude` is an order being re-priced.
   */
  private reserveFor(
    acct: Account,
    ms: MarketState,
    side: BookSide,
    price: PriceUnits,
    count: CountUnits,
    exclude: Entry | undefined,
    reduceOnly: boolean,
  ): MoneyMicros {
    if (acct.unlimited) return 0;
    let cover = closable(positionOf(acct, ms.market.ticker), side);
    if (cover > 0) {
      for (const e of this.restingByUser.get(acct.userId) ?? []) {
        const o = e.order;
        if (o.ticker === ms.market.ticker && o.side === side && e !== exclude) cover -= o.remainingCount;
      }
    }
    const opening = reduceOnly ? 0 : Math.max(0, count - Math.max(0, cover));
    const leg = legPrice(side, price);
    const fee = this.feeOf(ms.market);
    return leg * opening + maxFee(fee.feeType, fee.feeMultiplierPpm, leg, count);
  }

  private restingOf(userId: string): Set<Entry> {
    let set = this.restingByUser.get(userId);
    if (!set) {
      set = new Set();
      this.restingByUser.set(userId, set);
    }
    return set;
  }

  /** The fee in force for a market: its event's override when set, else its series' fee. */
  private feeOf(m: SimMarket): { feeType: FeeType; feeMultiplierPpm: number } {
    const e = this.eventList.find((x) => x.eventTicker === m.eventTicker);
    if (e && e.feeTypeOverride !== null && e.feeMultiplierOverridePpm !== null) {
      return { feeType: e.feeTypeOverride, feeMultiplierPpm: e.feeMultiplierOverridePpm };
    }
    const s = this.seriesOf(m);
    return { feeType: s.feeType, feeMultiplierPpm: s.feeMultiplierPpm };
  }

  private seriesOf(m: SimMarket): SimSeries {
    const s = this.seriesList.find((x) => x.ticker === m.seriesTicker);
    if (!s) throw new Error(`series ${m.seriesTicker} missing for ${m.ticker}`);
    return s;
  }

  /** Match an accepted order, then rest, cancel or kill what is left as its time in force says. */
  private execute(ms: MarketState, acct: Account, order: SimOrder, tif: TimeInForce): SimFill[] {
    const fills: SimFill[] = [];
    let end: "no_more_liquidity" | "filled" | "self_trade" | "killed" = "no_more_liquidity";
    if (
      tif === "fill_or_kill" &&
      fillableCount(
        ms.book,
        order.side,
        order.price,
        order.userId,
        order.selfTradePrevention,
        order.remainingCount,
      ) < order.remainingCount
    ) {
      end = "killed";
    } else {
      end = matchOrder(ms.book, order, {
        fill: (maker, count, yesPrice) => {
          const f = this.trade(ms, acct, order, maker, count, yesPrice);
          if (f) fills.push(f);
        },
        cancelMaker: (maker) => this.cancelEntry(maker, ms, "SelfTradeCancel"),
      });
    }
    const now = this.now();
    // an order whose own fills triggered its group does not rest (the group refuses new orders)
    const groupTriggered = order.orderGroupId !== undefined && this.groups.isTriggered(order.orderGroupId);
    if (order.remainingCount === 0) {
      order.status = "executed";
    } else if (end === "self_trade" || tif !== "good_till_canceled" || groupTriggered) {
      order.status = "canceled";
      order.remainingCount = 0;
      if (end === "self_trade") order.lastUpdateReason = "SelfTradeCancel";
    } else {
      const entry: Entry = {
        order,
        ladder: ladderOf(order.side),
        ladderPrice: ladderPriceOf(order.side, order.price),
        reserved: 0,
        isUser: !acct.unlimited,
      };
      entry.reserved = this.reserveFor(
        acct,
        ms,
        order.side,
        order.price,
        order.remainingCount,
        entry,
        order.reduceOnly,
      );
      acct.reserved += entry.reserved;
      this.live.set(order.orderId, entry);
      this.restingOf(acct.userId).add(entry);
      if (order.expirationTimeSec !== undefined) this.expiring.add(entry);
      ms.book.add(entry);
    }
    order.lastUpdateTimeMs = now;
    if (!acct.unlimited) this.emit({ kind: "order", user: acct.userId, order: copyOrder(order) });
    return fills;
  }

  /** One trade between an incoming order and a resting one, at the maker's price. */
  private trade(
    ms: MarketState,
    takerAcct: Account,
    taker: SimOrder,
    maker: Entry,
    count: CountUnits,
    yesPrice: PriceUnits,
  ): SimFill | undefined {
    const now = this.now();
    const market = ms.market;
    const fee = this.feeOf(market);
    const makerAcct = this.accounts.get(maker.order.userId);
    if (!makerAcct) throw new Error(`account ${maker.order.userId} missing`);
    const mo = maker.order;
    // the maker's hold shrinks in proportion; the rest stays for what still rests
    const release =
      count === mo.remainingCount ? maker.reserved : mulDiv(maker.reserved, count, mo.remainingCount);
    maker.reserved -= release;
    makerAcct.reserved -= release;
    const takerFee = fillFee(fee.feeType, fee.feeMultiplierPpm, yesPrice, count, true);
    const makerFee = fillFee(fee.feeType, fee.feeMultiplierPpm, yesPrice, count, false);
    mo.fillCount += count;
    mo.remainingCount -= count;
    mo.makerFillCost += legPrice(mo.side, yesPrice) * count;
    mo.makerFees += makerFee;
    mo.lastUpdateTimeMs = now;
    mo.lastUpdateReason = "Trade";
    if (mo.remainingCount === 0) {
      mo.status = "executed";
      this.live.delete(mo.orderId);
      this.restingByUser.get(mo.userId)?.delete(maker);
      this.expiring.delete(maker);
    }
    ms.book.reduce(maker, count, mo.remainingCount === 0);
    taker.fillCount += count;
    taker.remainingCount -= count;
    taker.takerFillCost += legPrice(taker.side, yesPrice) * count;
    taker.takerFees += takerFee;
    taker.lastUpdateReason = "Trade";

    const makerEffect = applyFill(
      makerAcct,
      market.ticker,
      market.exchangeIndex,
      mo.side,
      yesPrice,
      count,
      makerFee,
      now,
    );
    const takerEffect = applyFill(
      takerAcct,
      market.ticker,
      market.exchangeIndex,
      taker.side,
      yesPrice,
      count,
      takerFee,
      now,
    );
    market.lastPrice = yesPrice;
    market.volume += count;
    market.volume24h += count;
    market.openInterest += makerEffect.openInterestDelta + takerEffect.openInterestDelta;
    market.updatedTimeMs = now;
    this.dirty.add(ms);

    const tradeId = stableId(this.seed, 3, ++this.tradeSeq);
    const t: SimTrade = { tradeId, ticker: market.ticker, yesPrice, count, takerSide: taker.side, tsMs: now };
    this.tape.push(t);
    if (this.tape.length > 2 * TRADE_TAPE_LIMIT) this.tape.splice(0, this.tape.length - TRADE_TAPE_LIMIT);
    this.counts.trades++;
    this.counts.feesCollected += takerFee + makerFee;
    this.emit({ kind: "trade", ...t });

    if (!makerAcct.unlimited) {
      this.fillRecord(
        makerAcct,
        mo,
        market,
        tradeId,
        yesPrice,
        count,
        false,
        makerFee,
        makerEffect.postPosition,
      );
      this.emit({ kind: "order", user: makerAcct.userId, order: copyOrder(mo) });
      this.emitPosition(makerAcct, market.ticker);
    }
    this.groupFill(mo, count, now);
    this.groupFill(taker, count, now);
    if (takerAcct.unlimited) return undefined;
    const tf = this.fillRecord(
      takerAcct,
      taker,
      market,
      tradeId,
      yesPrice,
      count,
      true,
      takerFee,
      takerEffect.postPosition,
    );
    this.emitPosition(takerAcct, market.ticker);
    return tf;
  }

  /** Counts a fill against the order's group; past the limit the group triggers. */
  private groupFill(o: SimOrder, count: CountUnits, nowMs: number): void {
    if (o.orderGroupId === undefined || !this.groups.recordFill(o.orderGroupId, count, nowMs)) return;
    this.emit({
      kind: "order_group",
      user: o.userId,
      eventType: "triggered",
      groupId: o.orderGroupId,
      tsMs: nowMs,
    });
    this.cancelGroupOrders(o.orderGroupId, this.groups.get(o.userId, o.orderGroupId, nowMs)?.orderIds ?? []);
  }

  /** Cancels what still rests of a group's orders (no last_update_reason: Kalshi lists none for groups). */
  private cancelGroupOrders(groupId: string, orderIds: readonly string[]): void {
    for (const id of orderIds) {
      const entry = this.live.get(id);
      const ms = entry ? this.marketMap.get(entry.order.ticker) : undefined;
      if (entry && ms && entry.order.orderGroupId === groupId) this.cancelEntry(entry, ms, undefined);
    }
  }

  private fillRecord(
    acct: Account,
    o: SimOrder,
    market: SimMarket,
    tradeId: string,
    yesPrice: PriceUnits,
    count: CountUnits,
    isTaker: boolean,
    fee: MoneyMicros,
    postPosition: CountUnits,
  ): SimFill {
    const fill: SimFill = {
      fillId: tradeId,
      tradeId,
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      userId: acct.userId,
      ticker: market.ticker,
      side: o.side,
      outcomeSide: o.side === "bid" ? "yes" : "no",
      yesPrice,
      count,
      isTaker,
      fee,
      postPosition,
      tsMs: this.now(),
      exchangeIndex: market.exchangeIndex,
      subaccount: o.subaccount,
    };
    acct.fills.push(fill);
    this.counts.fills++;
    this.emit({ kind: "fill", user: acct.userId, fill: { ...fill } });
    return fill;
  }

  private emitPosition(acct: Account, ticker: string): void {
    const st = acct.positions.get(ticker);
    if (st) this.emit({ kind: "position", user: acct.userId, ticker, position: positionView(ticker, st) });
  }

  /** Take a resting entry off the book whole and release its hold; the order record is untouched. */
  private removeEntry(entry: Entry, ms: MarketState): CountUnits {
    const o = entry.order;
    const removed = o.remainingCount;
    const acct = this.accounts.get(o.userId);
    ms.book.remove(entry, removed);
    if (acct) acct.reserved -= entry.reserved;
    entry.reserved = 0;
    this.live.delete(o.orderId);
    this.restingByUser.get(o.userId)?.delete(entry);
    this.expiring.delete(entry);
    this.dirty.add(ms);
    return removed;
  }

  /** Take a resting entry off the book and mark its order cancelled. */
  private cancelEntry(entry: Entry, ms: MarketState, reason: string | undefined): CountUnits {
    const o = entry.order;
    const reducedBy = this.removeEntry(entry, ms);
    o.status = "canceled";
    o.remainingCount = 0;
    o.lastUpdateTimeMs = this.now();
    if (reason === undefined) delete o.lastUpdateReason;
    else o.lastUpdateReason = reason;
    if (entry.isUser) this.emit({ kind: "order", user: o.userId, order: copyOrder(o) });
    return reducedBy;
  }

  private userEntry(userId: string, orderId: string): { order: SimOrder; ms: MarketState } | Rejection {
    const order = this.accounts.get(userId)?.orders.get(orderId);
    const ms = order ? this.marketMap.get(order.ticker) : undefined;
    if (!order || !ms) return notFound(`order ${orderId}`);
    return { order, ms };
  }

  private cancel(userId: string, orderId: string): Result<CancelOutcome> {
    const found = this.userEntry(userId, orderId);
    if ("ok" in found) return found;
    if (!this.cancellable(found.ms.market)) return marketInactive(found.ms.market);
    const entry = this.live.get(orderId);
    if (!entry) return notFound(`resting order ${orderId}`);
    const reducedBy = this.cancelEntry(entry, found.ms, undefined);
    return { ok: true, value: { order: copyOrder(found.order), reducedBy } };
  }

  private amend(userId: string, orderId: string, input: AmendInput): Result<CreateOrderOutcome> {
    const paused = this.pausedRejection();
    if (paused) return paused;
    const found = this.userEntry(userId, orderId);
    if ("ok" in found) return found;
    const { order, ms } = found;
    const acct = this.userAccount(userId);
    if (order.ticker !== input.ticker)
      return reject(400, "order_ticker_mismatch", "ticker does not match the order");
    if (order.side !== input.side) return reject(400, "order_side_mismatch", "side does not match the order");
    if (ms.market.status !== "active") return marketInactive(ms.market);
    const entry = this.live.get(orderId);
    if (!entry) return reject(400, "invalid_order", `order ${orderId} is not resting`);
    const badPrice = checkPrice(ms.market, input.price);
    if (badPrice) return badPrice;
    const badCount = checkCount(input.count);
    if (badCount) return badCount;
    if (input.count <= order.fillCount) {
      return reject(400, "invalid_order_size", "count is the new total and must exceed the filled count");
    }
    const newId = input.updatedClientOrderId;
    if (newId !== undefined && newId !== order.clientOrderId && acct.clientOrderIds.has(newId)) {
      return reject(409, ORDER_ALREADY_EXISTS, "order already exists");
    }
    const newRemaining = input.count - order.fillCount;
    const now = this.now();
    if (input.price === order.price && newRemaining <= order.remainingCount) {
      // a pure size decrease keeps queue priority
      this.shrinkInPlace(entry, ms, order.remainingCount - newRemaining);
      order.initialCount = input.count;
      this.afterAmend(acct, order, newId, now);
      return { ok: true, value: { order: copyOrder(order), fills: [] } };
    }
    if (order.postOnly && wouldCross(ms.book, order.side, input.price)) {
      return reject(400, "invalid_order", "invalid order", "post only cross");
    }
    const need = this.reserveFor(acct, ms, order.side, input.price, newRemaining, entry, order.reduceOnly);
    if (need > available(acct) + entry.reserved) {
      return reject(400, "available_balance_too_low", "available balance is too low for this amendment");
    }
    // a price change or size increase loses priority: leave the book and come back as new
    this.removeEntry(entry, ms);
    order.price = input.price;
    order.remainingCount = newRemaining;
    order.initialCount = input.count;
    this.afterAmend(acct, order, newId, now);
    const fills = this.execute(ms, acct, order, "good_till_canceled");
    if (order.status === "resting") order.lastUpdateReason = "Amend";
    return { ok: true, value: { order: copyOrder(order), fills: fills.map((f) => ({ ...f })) } };
  }

  private afterAmend(acct: Account, order: SimOrder, newId: string | undefined, now: number): void {
    if (newId !== undefined) {
      acct.clientOrderIds.add(newId);
      order.clientOrderId = newId;
    }
    order.lastUpdateTimeMs = now;
    order.lastUpdateReason = "Amend";
  }

  /** Reduce a resting order's size in place (keeps priority) and release its hold pro rata. */
  private shrinkInPlace(entry: Entry, ms: MarketState, by: CountUnits): void {
    if (by <= 0) return;
    const o = entry.order;
    const acct = this.accounts.get(o.userId);
    const release = by === o.remainingCount ? entry.reserved : mulDiv(entry.reserved, by, o.remainingCount);
    entry.reserved -= release;
    if (acct) acct.reserved -= release;
    o.remainingCount -= by;
    ms.book.reduce(entry, by, o.remainingCount === 0);
    this.dirty.add(ms);
  }

  private decrease(userId: string, orderId: string, input: DecreaseInput): Result<SimOrder> {
    const found = this.userEntry(userId, orderId);
    if ("ok" in found) return found;
    const { order, ms } = found;
    if (!this.cancellable(ms.market)) return marketInactive(ms.market);
    if ((input.reduceBy === undefined) === (input.reduceTo === undefined)) {
      return reject(400, "invalid_order", "exactly one of reduce_by and reduce_to is required");
    }
    const entry = this.live.get(orderId);
    if (!entry) return notFound(`resting order ${orderId}`);
    const target =
      input.reduceTo !== undefined ? input.reduceTo : order.remainingCount - (input.reduceBy as CountUnits);
    const step = input.reduceTo !== undefined ? input.reduceTo : (input.reduceBy as CountUnits);
    if (!Number.isInteger(step) || step < 0 || (input.reduceBy !== undefined && step === 0)) {
      return reject(400, "invalid_order_size", "reduce_by / reduce_to must be multiples of 0.01");
    }
    if (target >= order.remainingCount) {
      return reject(400, "invalid_order_size", "the decrease leaves the order at its current size or larger");
    }
    const newRemaining = Math.max(0, target);
    if (newRemaining === 0) {
      this.cancelEntry(entry, ms, "Decrease");
    } else {
      this.shrinkInPlace(entry, ms, order.remainingCount - newRemaining);
      order.initialCount = order.fillCount + newRemaining;
      order.lastUpdateTimeMs = this.now();
      order.lastUpdateReason = "Decrease";
      this.emit({ kind: "order", user: userId, order: copyOrder(order) });
    }
    return { ok: true, value: copyOrder(order) };
  }

  // ---------------------------------------------------------------- time

  /** Advance a stepped clock by `ms` (no-op on a real clock) and run everything due. */
  step(ms: number): void {
    this.clock.advance(ms);
    this.tick();
  }

  /** Advance to absolute time `nowMs` (never backwards) and run everything due. */
  advanceTo(nowMs: number): void {
    this.clock.advanceTo(nowMs);
    this.tick();
  }

  /** Run expiries, lifecycle and the participants at the clock's current time. */
  tick(): void {
    this.catchUp();
    if (this.participantsOn && !this.paused) {
      const now = this.now();
      for (const ms of this.marketMap.values()) {
        if (ms.market.status === "active" && now >= ms.nextParticipantMs) this.participantTick(ms, now);
      }
    }
    this.flushTickers();
  }

  /** Expire orders and move market lifecycles up to now; cheap when nothing is due. */
  private catchUp(): void {
    const now = this.now();
    for (const entry of this.expiring) {
      const exp = entry.order.expirationTimeSec;
      const ms = this.marketMap.get(entry.order.ticker);
      if (exp !== undefined && ms && exp * 1000 <= now) this.cancelEntry(entry, ms, "ExpiryCancel");
    }
    if (now < this.nextLifecycleMs) return;
    let next = Number.POSITIVE_INFINITY;
    for (const ms of this.marketMap.values()) {
      const due = this.advanceLifecycle(ms, now);
      if (due < next) next = due;
    }
    this.nextLifecycleMs = next;
  }

  /** Move one market through any transitions due at `now`; returns when it next needs a look. */
  private advanceLifecycle(ms: MarketState, now: number): number {
    const m = ms.market;
    if (m.status === "initialized") {
      if (now < m.openTimeMs) return m.openTimeMs;
      m.status = "active"; // Kalshi emits no lifecycle event at open_time
      m.updatedTimeMs = now;
    }
    if (m.status === "active" || m.status === "inactive") {
      if (now < m.closeTimeMs) return m.closeTimeMs;
      this.doClose(ms, now);
    }
    if (!this.autoSettle) return Number.POSITIVE_INFINITY;
    if (m.status === "closed") {
      if (now < m.expectedExpirationTimeMs) return m.expectedExpirationTimeMs;
      this.doDetermine(ms, m.eventualOutcome, now);
    }
    if (m.status === "determined") {
      const at = ms.determinedAtMs + m.settlementTimerSeconds * 1000;
      if (now < at) return at;
      this.doSettle(ms, now);
    }
    return Number.POSITIVE_INFINITY;
  }

  private cancelAllIn(ms: MarketState, reason: string | undefined, only?: (e: Entry) => boolean): number {
    const victims: Entry[] = [];
    for (const ladder of [ms.book.yes, ms.book.no]) {
      for (const lvl of ladder.levels) for (const e of lvl.queue) if (!only || only(e)) victims.push(e);
    }
    for (const e of victims) this.cancelEntry(e, ms, reason);
    return victims.length;
  }

  private doClose(ms: MarketState, now: number): void {
    ms.market.status = "closed";
    ms.market.updatedTimeMs = now;
    this.cancelAllIn(ms, "CloseCancel");
    this.dirty.add(ms);
  }

  private doDetermine(ms: MarketState, result: "yes" | "no", now: number): void {
    ms.market.status = "determined";
    ms.market.result = result;
    ms.market.updatedTimeMs = now;
    ms.determinedAtMs = now;
    this.lifecycle(ms, "determined");
  }

  private doSettle(ms: MarketState, now: number): void {
    const m = ms.market;
    for (const acct of this.accounts.values()) {
      const s = settlePosition(acct, m, now);
      if (!s || acct.unlimited) continue;
      acct.settlements.push(s);
      const zero = { ticker: m.ticker, position: 0, marketExposure: 0, totalTraded: 0, realizedPnl: 0 };
      this.emit({
        kind: "position",
        user: acct.userId,
        ticker: m.ticker,
        position: { ...zero, feesPaid: 0, volume: 0, lastUpdatedMs: now, exchangeIndex: m.exchangeIndex },
      });
    }
    m.status = "finalized";
    m.openInterest = 0;
    m.updatedTimeMs = now;
    this.lifecycle(ms, "settled");
  }

  private lifecycle(
    ms: MarketState,
    eventType: Extract<ExchangeEvent, { kind: "lifecycle" }>["eventType"],
  ): void {
    this.emit({ kind: "lifecycle", ticker: ms.market.ticker, eventType, tsMs: this.now() });
  }

  // ---------------------------------------------------------------- participants

  private participantTick(ms: MarketState, now: number): void {
    const rng = ms.rng;
    const dt = now - ms.lastParticipantMs;
    walkFair(ms.profile, ms.market, now, dt, rng);
    stepShock(ms.profile, now, dt, ms.shockRng, this.volatility);
    ms.lastParticipantMs = now;
    ms.nextParticipantMs = now + rng.int(300, 1500);
    // Pull every quote being replaced before placing any new one, so after a jump the makers'
    // fresh quotes never trade against each other's stale ones (which would leave the new best
    // level thin); they still trade against users' resting orders and house liquidity.
    const fresh = plannedQuotes(ms.profile, ms.market, rng).filter((q) => {
      const key = `${q.maker}|${q.side}`;
      const old = ms.quotes.get(key);
      const oldLive = old !== undefined && this.live.get(old.order.orderId) === old;
      if (oldLive && old.order.price === q.price && old.order.remainingCount * 2 >= q.count) return false;
      if (oldLive) this.cancelEntry(old, ms, undefined);
      ms.quotes.delete(key);
      return true;
    });
    for (const q of fresh) {
      const key = `${q.maker}|${q.side}`;
      const placed = this.participantOrder(
        q.maker,
        ms,
        q.side,
        q.price,
        q.count,
        "good_till_canceled",
        "maker",
      );
      const entry = this.live.get(placed.orderId);
      if (entry) ms.quotes.set(key, entry);
    }
    const take = plannedTake(ms.profile, ms.book, rng);
    if (take) {
      this.participantOrder(
        `noise:${ms.market.ticker}`,
        ms,
        take.side,
        take.price,
        take.count,
        "immediate_or_cancel",
        "maker",
      );
    }
  }

  /** An order from a simulated participant: unlimited money, no grid check (it trades the book as is). */
  private participantOrder(
    name: string,
    ms: MarketState,
    side: BookSide,
    price: PriceUnits,
    count: CountUnits,
    tif: TimeInForce,
    stp: SelfTradePrevention,
  ): SimOrder {
    const acct = this.participantAccount(name);
    const order = this.newOrder(
      acct,
      ms.market,
      { ticker: ms.market.ticker, side, price, count, timeInForce: tif, selfTradePrevention: stp },
      count,
    );
    this.execute(ms, acct, order, tif);
    return order;
  }

  // ---------------------------------------------------------------- scenario hooks (control API)

  private scenarioMarket(ticker: string): MarketState | Rejection {
    this.catchUp();
    const ms = this.marketMap.get(ticker);
    return ms ?? notFound(`market ${ticker}`);
  }

  /** Rest liquidity as a named participant (default the house); it trades if it crosses. */
  placeLiquidity(
    ticker: string,
    side: BookSide,
    price: PriceUnits,
    count: CountUnits,
    participant: string = HOUSE_PARTICIPANT,
  ): Result<SimOrder> {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return ms;
    if (ms.market.status !== "active") return marketInactive(ms.market);
    const bad = this.pausedRejection() ?? checkPrice(ms.market, price) ?? checkCount(count);
    if (bad) return bad;
    const order = this.participantOrder(participant, ms, side, price, count, "good_till_canceled", "maker");
    this.flushTickers();
    return { ok: true, value: copyOrder(order) };
  }

  /** Cancel a participant's resting liquidity (all of it, or one side, or one price). Returns how many orders. */
  pullLiquidity(
    ticker: string,
    side?: BookSide,
    price?: PriceUnits,
    participant: string = HOUSE_PARTICIPANT,
  ): number {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return 0;
    const n = this.cancelAllIn(
      ms,
      undefined,
      (e) =>
        e.order.userId === participant &&
        (side === undefined || e.order.side === side) &&
        (price === undefined || e.order.price === price),
    );
    this.flushTickers();
    return n;
  }

  /** Move the participants' fair value to `yesPrice`; the market makers requote at once. */
  movePrice(ticker: string, yesPrice: PriceUnits): Result<true> {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return ms;
    if (!Number.isInteger(yesPrice) || yesPrice <= 0 || yesPrice >= PRICE_SCALE) {
      return reject(400, "invalid_price", "price must lie strictly between $0 and $1");
    }
    ms.profile.fair = yesPrice;
    // the control API's price is where the makers quote: no news on top, none due at once
    ms.profile.shock = 0;
    ms.profile.nextJumpMs = 0;
    if (ms.market.status === "active") this.participantTick(ms, this.now());
    this.flushTickers();
    return { ok: true, value: true };
  }

  /**
   * A participant sweeps the book on `side` up to YES price `price` (bid: lifts every ask at or
   * below it; ask: hits every bid at or above it), users' orders included. Returns the trades.
   */
  tradeThrough(
    ticker: string,
    side: BookSide,
    price: PriceUnits,
    participant = "sim-sweeper",
  ): Result<SimTrade[]> {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return ms;
    if (ms.market.status !== "active") return marketInactive(ms.market);
    const paused = this.pausedRejection();
    if (paused) return paused;
    if (!Number.isInteger(price) || price <= 0 || price >= PRICE_SCALE) {
      return reject(400, "invalid_price", "price must lie strictly between $0 and $1");
    }
    const ladder = oppositeLadder(ms.book, side);
    let depth = 0;
    for (const l of ladder.levels) if (crosses(side, price, l.price)) depth += l.total;
    const before = this.tradeSeq;
    if (depth > 0) this.participantOrder(participant, ms, side, price, depth, "immediate_or_cancel", "maker");
    const made = this.tradeSeq - before;
    this.flushTickers();
    return { ok: true, value: made === 0 ? [] : this.tape.slice(-made).map((t) => ({ ...t })) };
  }

  /** Pause (`inactive`) or resume trading; resuming cancels every resting order in the market. */
  setTradingPaused(ticker: string, paused: boolean): Result<true> {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return ms;
    const m = ms.market;
    if (paused) {
      if (m.status !== "active") return marketInactive(m);
      m.status = "inactive";
      this.cancelAllIn(ms, "HaltCancel", (e) => e.order.cancelOrderOnPause);
      this.lifecycle(ms, "deactivated");
    } else {
      if (m.status !== "inactive") return reject(400, "invalid_order", `market ${ticker} is not paused`);
      m.status = "active";
      this.cancelAllIn(ms, "HaltCancel");
      this.lifecycle(ms, "activated");
    }
    m.updatedTimeMs = this.now();
    this.dirty.add(ms);
    this.flushTickers();
    return { ok: true, value: true };
  }

  /** Close now: close time moves to now (close_date_updated), resting orders go (CloseCancel). */
  closeMarket(ticker: string): Result<true> {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return ms;
    const m = ms.market;
    if (m.status !== "active" && m.status !== "inactive" && m.status !== "initialized")
      return marketInactive(m);
    const now = this.now();
    m.closeTimeMs = now;
    if (m.expectedExpirationTimeMs < now) m.expectedExpirationTimeMs = now;
    this.lifecycle(ms, "close_date_updated");
    this.doClose(ms, now);
    this.nextLifecycleMs = 0;
    this.flushTickers();
    return { ok: true, value: true };
  }

  /** Determine the result (closing the market first if it is still open). */
  determineMarket(ticker: string, result?: "yes" | "no"): Result<true> {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return ms;
    const m = ms.market;
    if (m.status === "determined" || m.status === "finalized") {
      return reject(400, "invalid_order", `market ${ticker} is already ${m.status}`);
    }
    if (m.status !== "closed") {
      const closed = this.closeMarket(ticker);
      if (!closed.ok) return closed;
    }
    this.doDetermine(ms, result ?? m.eventualOutcome, this.now());
    this.nextLifecycleMs = 0;
    return { ok: true, value: true };
  }

  /** Settle (finalize): pay $1 per winning contract; determines first if needed. */
  settleMarket(ticker: string): Result<true> {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return ms;
    if (ms.market.status === "finalized")
      return reject(400, "invalid_order", `market ${ticker} is already finalized`);
    if (ms.market.status !== "determined") {
      const d = this.determineMarket(ticker);
      if (!d.ok) return d;
    }
    this.doSettle(ms, this.now());
    this.flushTickers();
    return { ok: true, value: true };
  }

  /**
   * Sets (both values) or clears (both null) an event's fee override, effective at once for the
   * fees of its markets' next fills; recorded for `GET /events/fee_changes` and announced with
   * `event_fee_update`.
   */
  setEventFeeOverride(
    eventTicker: string,
    feeType: FeeType | null,
    feeMultiplierPpm: number | null,
  ): Result<SimEvent> {
    this.catchUp();
    const e = this.eventList.find((x) => x.eventTicker === eventTicker);
    if (!e) return notFound(`event ${eventTicker}`);
    if ((feeType === null) !== (feeMultiplierPpm === null)) {
      return reject(400, "invalid_parameters", "fee type and multiplier are set or cleared together");
    }
    if (feeMultiplierPpm !== null && (!Number.isInteger(feeMultiplierPpm) || feeMultiplierPpm < 0)) {
      return reject(400, "invalid_parameters", "fee multiplier must be a non-negative number");
    }
    const now = this.now();
    e.feeTypeOverride = feeType;
    e.feeMultiplierOverridePpm = feeMultiplierPpm;
    e.lastUpdatedMs = now;
    this.feeChanges.push({
      id: stableId(this.seed, 6, this.feeChanges.length + 1),
      eventTicker,
      seriesTicker: e.seriesTicker,
      feeTypeOverride: feeType,
      feeMultiplierOverridePpm: feeMultiplierPpm,
      scheduledMs: now,
    });
    this.emit({ kind: "event_fee_update", eventTicker, tsMs: now });
    return { ok: true, value: { ...e } };
  }

  /** Every event fee change so far, oldest first. */
  eventFeeChanges(): SimEventFeeChange[] {
    return this.feeChanges.map((c) => ({ ...c }));
  }

  /**
   * Updates a market's subtitle or strike and announces exactly what changed with
   * `metadata_updated`. Refused for multivariate markets: their lifecycle channel carries no
   * such event.
   */
  updateMarketMetadata(ticker: string, update: MarketMetadataUpdate): Result<SimMarket> {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return ms;
    const m = ms.market;
    if (isMultivariate(m.seriesTicker)) {
      return reject(400, "invalid_parameters", "multivariate markets publish no metadata_updated");
    }
    const changed: MarketMetadataUpdate = {};
    if (update.yesSubTitle !== undefined && update.yesSubTitle !== m.yesSubTitle) {
      m.yesSubTitle = update.yesSubTitle;
      changed.yesSubTitle = update.yesSubTitle;
    }
    if (update.strikeType !== undefined && update.strikeType !== m.strikeType) {
      m.strikeType = update.strikeType;
      changed.strikeType = update.strikeType;
    }
    if (update.floorStrike !== undefined && update.floorStrike !== m.floorStrike) {
      m.floorStrike = update.floorStrike;
      changed.floorStrike = update.floorStrike;
    }
    if (update.capStrike !== undefined && update.capStrike !== m.capStrike) {
      m.capStrike = update.capStrike;
      changed.capStrike = update.capStrike;
    }
    if (Object.keys(changed).length === 0) return reject(400, "invalid_parameters", "nothing to update");
    m.updatedTimeMs = this.now();
    this.emit({
      kind: "lifecycle",
      ticker,
      eventType: "metadata_updated",
      tsMs: this.now(),
      metadata: changed,
    });
    return { ok: true, value: this.marketCopy(m) };
  }

  /** Switch a market's price level structure; resting orders are carried over as they are. */
  setPriceLevelStructure(ticker: string, structure: string): Result<SimMarket> {
    const ms = this.scenarioMarket(ticker);
    if ("ok" in ms) return ms;
    const ranges = priceRangesForStructure(structure);
    if (!ranges) return reject(400, "invalid_parameters", `unknown price level structure ${structure}`);
    if (isMultivariate(ms.market.seriesTicker)) {
      return reject(
        400,
        "invalid_parameters",
        "multivariate markets publish no price_level_structure_updated",
      );
    }
    ms.market.priceLevelStructure = structure;
    ms.market.priceRanges = ranges;
    ms.market.updatedTimeMs = this.now();
    this.lifecycle(ms, "price_level_structure_updated");
    return { ok: true, value: this.marketCopy(ms.market) };
  }

  /** List a new market (and its event if new); emits `created`. */
  createMarket(input: CreateMarketInput = {}): Result<SimMarket> {
    this.catchUp();
    const now = this.now();
    const n = ++this.marketSeq;
    const seriesTicker = input.seriesTicker ?? (seriesCatalogue()[0] as SimSeries).ticker;
    if (!this.seriesList.some((s) => s.ticker === seriesTicker)) return notFound(`series ${seriesTicker}`);
    const eventTicker = input.eventTicker ?? `${seriesTicker}-SIM${n}`;
    const ticker = input.ticker ?? `${eventTicker}-N${n}`;
    if (this.marketMap.has(ticker)) return reject(409, "market_already_exists", `market ${ticker} exists`);
    const structure = input.priceLevelStructure ?? "linear_cent";
    const ranges = priceRangesForStructure(structure);
    if (!ranges) return reject(400, "invalid_parameters", `unknown price level structure ${structure}`);
    let event = this.eventList.find((e) => e.eventTicker === eventTicker);
    if (event && event.seriesTicker !== seriesTicker) {
      return reject(
        400,
        "invalid_parameters",
        `event ${eventTicker} belongs to series ${event.seriesTicker}`,
      );
    }
    if (!event) {
      event = buildEvent(
        {
          eventTicker,
          seriesTicker,
          title: `Simulated event ${n}`,
          subTitle: `event ${n}`,
          exchangeIndex: shardOfSeries(seriesTicker),
        },
        now,
      );
      this.eventList.push(event);
      this.emit({ kind: "event_lifecycle", eventTicker, tsMs: now });
    }
    const rng = new Rng((this.seed ^ Math.imul(n, 0x9e3779b1)) >>> 0);
    const kind = input.kind ?? (MARKET_KINDS[n % MARKET_KINDS.length] as MarketKind);
    const fair = input.fair ?? PRICE_SCALE / 2;
    const market = buildMarket(
      {
        seriesTicker,
        eventTicker,
        ticker,
        marketId: stableId(this.seed, 4, n),
        exchangeIndex: event.exchangeIndex,
        priceLevelStructure: structure,
        priceRanges: ranges,
        openTimeMs: input.openTimeMs ?? now,
        closeTimeMs: input.closeTimeMs ?? now + 24 * HOUR,
        eventualOutcome: input.eventualOutcome ?? (rng.float() * PRICE_SCALE < fair ? "yes" : "no"),
        fair,
      },
      now,
    );
    market.lastPrice = snapDown(ranges, fair);
    const ms = this.addMarketState(market, makeProfile(kind, fair, ticker, rng));
    this.nextLifecycleMs = 0;
    this.lifecycle(ms, "created");
    return { ok: true, value: this.marketCopy(market) };
  }

  private addMarketState(market: SimMarket, profile: MarketProfile): MarketState {
    const idx = this.marketMap.size;
    const ms: MarketState = {
      market,
      book: new OrderBook((side, price, delta, cause) => {
        const ev: ExchangeEvent = {
          kind: "book_delta",
          ticker: market.ticker,
          marketId: market.marketId,
          side,
          price,
          delta,
          tsMs: this.now(),
        };
        if (cause.isUser) {
          ev.user = cause.order.userId;
          if (cause.order.clientOrderId !== "") ev.clientOrderId = cause.order.clientOrderId;
        }
        this.emit(ev);
        this.dirty.add(ms);
      }),
      profile,
      rng: new Rng((this.seed ^ Math.imul(idx + 1, 0x27d4eb2d)) >>> 0),
      shockRng: new Rng((this.seed ^ Math.imul(idx + 1, 0x165667b1)) >>> 0),
      quotes: new Map(),
      nextParticipantMs: 0,
      lastParticipantMs: this.now(),
      determinedAtMs: 0,
    };
    this.marketMap.set(market.ticker, ms);
    return ms;
  }

  private marketCopy(m: SimMarket): SimMarket {
    return { ...m, priceRanges: m.priceRanges.map((r) => ({ ...r })) };
  }
}

/** Build an exchange with a seeded universe of `markets` markets and the given funded users. */
export function createExchange(opts: ExchangeOptions): Exchange {
  return new Exchange(opts);
}
