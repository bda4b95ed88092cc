/**
 * One Kalshi account's trading core, free of Durable Object APIs: it composes the modules that own
 * state (market data, the order path, the risk keeper, the notifier, the scheduler, the config
 * store) and routes between them. The Durable Object (`account-object.ts`) builds it from `env`
 * and `ctx.storage`, forwards RPCs and runs `alarm()`; tests build it with fakes.
 *
 * Routing (the hot path first):
 * - a book changed -> the exit keeper for a held market; the strategy's entry decision for a
 *   watched one, then the risk gate, then the order path (all synchronous, nothing awaited);
 * - `fill` / `user_order` / `order_group_updates` -> the order path;
 * - lifecycle (`market_lifecycle_v2`) and fee overrides (`event_fee_update`) -> the market table,
 *   exit signals for held markets, and a universe refresh when the tradable set may have changed;
 * - a new socket -> reconciliation now (entries wait for it).
 *
 * The heartbeat (from the alarm): liveness, exits, the feed and equity marks into the risk state,
 * time-based exit signals (timeout, pre-close), then due jobs: universe, cross-check,
 * reconciliation, unknown-order resolution, exchange status, balance, order groups, history
 * flush and retention, alerts and the daily report.
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import type {
  BookView,
  ExitReason,
  Intent,
  MarketInfo,
  MarketStatus,
  MoneyMicros,
  PriceUnits,
  RoundTrip,
  Side,
  TradingState,
} from "../../shared/domain.ts";
import { bidOf, isExitPurpose, openCount } from "../../shared/domain.ts";
import type { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import { toBalance } from "../../shared/kalshi/rest-schemas.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { WsMessage } from "../../shared/kalshi/ws-messages.ts";
import {
  toFillEvent,
  toLifecycleEvent,
  toOrderGroupUpdate,
  toUserOrderUpdate,
} from "../../shared/kalshi/ws-messages.ts";
import { checkIntent, type RiskContext } from "../../shared/risk/check.ts";
import type { RiskEvent } from "../../shared/risk/state.ts";
import { type AccountView, type Explanation, evaluateMarket } from "../../shared/strategy/decide.ts";
import { exitLimitPrice, exitPlanFor, exitSignal } from "../../shared/strategy/exits.ts";
import { sizingLimitsOf } from "../../shared/strategy/sizing.ts";
import {
  fillOfEvent,
  type HistoryRecorder,
  type OrderGroupApi,
  OrderPath,
  type PathEvent,
} from "../executor/order-path.ts";
import type { MarketCatalogue } from "../feed/catalogue.ts";
import type { FeedStatus } from "../feed/feed-status.ts";
import { FEED_SCHEMA, sqlFeedStore } from "../feed/feed-store.ts";
import { MarketData } from "../feed/market-data.ts";
import type { BookPort, SocketOpener } from "../feed/ports.ts";
import { selectUniverse } from "../feed/universe.ts";
import { flushHistory } from "../history/flush.ts";
import {
  type AccountSnapshot,
  guardRows,
  type HistoryRow,
  logRow,
  marketRow,
  newEventId,
  reportRow,
  riskEventRow,
  snapshotRow,
} from "../history/rows.ts";
import {
  appendHistory,
  applyRetention,
  enforceBound,
  ensureHistorySchema,
  type OutboxState,
  outboxState,
  requeueRejected,
} from "../history/store.ts";
import { type Alert, positionClosedAlert, positionOpenedAlert } from "../notify/alerts.ts";
import type { Send } from "../notify/notify-jobs.ts";
import type { DailyReportData } from "../notify/report-data.ts";
import { tradingDayOf } from "../notify/trading-day.ts";
import { type AccountConfig, CONFIG_SCHEMA, ConfigStore, type ConfigUpdate } from "./account-config.ts";
import { ACCOUNT_SCHEMA, AccountLedger } from "./account-ledger.ts";
import { takeRandom, topsMatch } from "./cross-check.ts";
import { NOTIFY_SCHEMA, Notifier } from "./notifier.ts";
import { RISK_SCHEMA, RiskKeeper } from "./risk-keeper.ts";
import { type JobOutcome, type JobStatus, SCHEDULER_SCHEMA, Scheduler } from "./scheduler.ts";
import { applySchema, readRow } from "./sql-schema.ts";

export interface AccountDeps {
  sql: SqlStorage;
  transaction: <T>(fn: () => T) => T;
  /** Arms the object's one alarm at `atMs`. */
  setAlarm: (atMs: number) => Promise<void>;
  /** Where this account trades, or why it must not. */
  target:
    | { ok: true; env: string; accountKey: string }
    | { ok: false; code: string; message: string; accountKey: string };
  /** Which secrets are configured (never their values). */
  secrets: { kalshiKey: boolean };
  rest: KalshiRestClient;
  catalogue: MarketCatalogue;
  groups: OrderGroupApi | null;
  books: BookPort;
  openSocket: SocketOpener;
  history: HistoryRecorder;
  /** Supabase, when configured; history stays local (with retention) without it. */
  historyClient: SupabaseClient | null;
  /** Resend, when configured; alerts stay queued and reports are stored without it. */
  mail: Send | null;
  /** Prepares the order create's signatures ahead; the heartbeat keeps its pool fresh. */
  presigner: { refresh(): Promise<void> } | null;
  nowMs: () => number;
  random: () => number;
  newId: () => string;
  log: (event: string, data?: Record<string, unknown>) => void;
}

/** While the cash is uncertain (a balance read raced a fill), the balance is read again this soon. */
const BALANCE_RECHECK_MS = 500;

/** Jobs run at once when the account starts, and when a new instance of a running one is built. */
const START_JOBS = ["universe", "reconcile", "exchange", "limits"] as const;

/** Why the bot cannot trade right now (each with a stable code for the dashboard and alerts). */
export interface Cause {
  code: string;
  message: string;
}

export interface PositionView {
  ticker: string;
  positionId: string;
  side: Side;
  contracts: number;
  avgEntry: PriceUnits;
  cost: MoneyMicros;
  fees: MoneyMicros;
  mark: PriceUnits | null;
  unrealized: MoneyMicros | null;
  openedMs: number;
  takeProfit: PriceUnits | null;
  stop: PriceUnits | null;
  deadlineMs: number | null;
  exitMode: string;
  exitReason: string | null;
  /** working exit orders: the take-profit's working size and any exit in flight */
  takeProfitWorking: number;
  exitWorking: number;
}

export interface AccountStatus {
  account: string;
  env: string;
  running: boolean;
  /** trading may go on: no cause below and at least one fresh book */
  ready: boolean;
  trading: {
    state: TradingState;
    /** the breakers and the admin halt behind the state, with their numbers */
    reasons: {
      breaker: string;
      since: number;
      sets: string;
      message: string;
      numbers: Record<string, number>;
    }[];
  };
  /** what stops new entries now, most fundamental first; empty when entries may go out */
  causes: Cause[];
  equity: MoneyMicros | null;
  dayPnl: MoneyMicros | null;
  startOfDayEquity: MoneyMicros | null;
  consecutiveLosses: number;
  positions: PositionView[];
  feed: FeedStatus;
  exchange: { tradingActive: boolean | null; exchangeActive: boolean | null; checkedAgoMs: number | null };
  orders: { working: number; unknown: number };
  reconcile: { needed: boolean; failures: number; lastOkAgoMs: number | null; openDifferences: number };
  balance: MoneyMicros | null;
  crossCheck: { compared: number; mismatches: number };
  outbox: OutboxState & { supabase: boolean };
  mail: boolean;
  jobs: JobStatus[];
  configVersion: number;
}

/** The one column `differenceReviewedMs` reads from the journal's `recon_diffs`. */
const ReviewedRow = z.object({ reviewed_ms: z.number().int().nullable() });

/** History rows kept for these log events (the rest only go to the Worker's log). */
const KEPT_LOG_EVENTS = new Set([
  "order.anomaly",
  "order.lapsed",
  "reconcile.failed",
  "exit.denied",
  "exit.not_sent",
  "feed.connect_failed",
  "feed.breaker_tripped",
  "order_group.triggered",
  "order_group.create_failed",
  "risk.state_invalid",
  "config.load_error",
  "alarm.failed",
]);

export class Account {
  readonly #d: AccountDeps;
  readonly config: ConfigStore;
  readonly scheduler: Scheduler;
  readonly feed: MarketData;
  readonly orders: OrderPath;
  readonly risk: RiskKeeper;
  readonly notifier: Notifier;
  readonly ledger: AccountLedger;
  readonly #markets = new Map<string, MarketInfo>();
  /** markets already recorded in history by this instance */
  readonly #seenMarkets = new Set<string>();
  /** the last decision explained, per watched market (`GET /api/why/{ticker}`) */
  readonly #why = new Map<string, Explanation>();
  #exchange: { tradingActive: boolean | null; exchangeActive: boolean | null; checkedMs: number | null } = {
    tradingActive: null,
    exchangeActive: null,
    checkedMs: null,
  };
  #lastReconcileOkMs: number | null = null;
  /** streamed tops compared with REST, and how many differed */
  readonly #crossCheck = { compared: 0, mismatches: 0 };
  /** job promises started by the alarm (tests await them) */
  readonly #jobs = new Set<Promise<void>>();
  /** Whether entries may go out at all, recomputed each heartbeat and on every change that matters. */
  #gate: { open: boolean; causes: Cause[] } = { open: false, causes: [] };
  #lastTradingState: TradingState = "active";

  /** the log sink as given (the account's own `log` also keeps some events in history) */
  readonly #sink: (event: string, data?: Record<string, unknown>) => void;

  constructor(deps: AccountDeps) {
    this.#sink = deps.log;
    const log = (event: string, data?: Record<string, unknown>) => this.#log(event, data);
    this.#d = { ...deps, log };
    for (const s of [
      CONFIG_SCHEMA,
      SCHEDULER_SCHEMA,
      FEED_SCHEMA,
      RISK_SCHEMA,
      NOTIFY_SCHEMA,
      ACCOUNT_SCHEMA,
    ])
      applySchema(deps.sql, s);
    ensureHistorySchema(deps.sql);
    this.config = new ConfigStore(deps.sql);
    if (this.config.loadError) log("config.load_error", { error: this.config.loadError });
    const cfg = () => this.config.get();
    this.scheduler = new Scheduler(deps.sql, deps.nowMs, log);
    this.ledger = new AccountLedger(deps.sql);
    this.risk = new RiskKeeper(
      deps.sql,
      () => cfg().risk,
      deps.nowMs,
      (e) => this.#onRiskEvents(e),
      log,
    );
    this.#lastTradingState = this.risk.view().state;
    this.notifier = new Notifier({
      sql: deps.sql,
      account: deps.target.accountKey,
      nowMs: deps.nowMs,
      alertConfig: () => cfg().alerts,
      reportConfig: () => cfg().report,
      send: deps.mail,
      loadReportInput: (day, bounds) => this.#reportInput(day, bounds),
      onReport: (day, data, delivered, emailId) => this.#recordReport(day, data, delivered, emailId),
      log,
    });
    this.feed = new MarketData({
      // A getter: config updates apply at once.
      get config() {
        return cfg().feed;
      },
      nowMs: deps.nowMs,
      random: deps.random,
      store: sqlFeedStore(deps.sql, deps.nowMs),
      books: deps.books,
      openSocket: deps.openSocket,
      sink: {
        onBookChanged: (t) => this.#onBookChanged(t),
        onMessage: (m) => this.#onMessage(m),
        onConnected: () => this.#onConnected(),
      },
      log,
    });
    this.orders = new OrderPath({
      sql: deps.sql,
      transaction: deps.transaction,
      rest: deps.rest,
      groups: deps.groups,
      config: () => cfg().executor,
      nowMs: deps.nowMs,
      newId: deps.newId,
      log,
      history: deps.history,
      market: (t) => this.#markets.get(t),
      book: (t) => this.feed.book(t),
      tradable: (t) => this.#tradable(t),
      exitPlanFor: (side, avgEntry, market, nowMs) =>
        exitPlanFor(side, avgEntry, market?.grid ?? DEFAULT_GRID, cfg().strategy, nowMs),
      // Attempts counted from 0 (the order path converts its keeper's count), as the strategy's slippage schedule.
      exitPrice: (side, bid, attempt, market) =>
        exitLimitPrice(side, bid, attempt, market?.grid ?? DEFAULT_GRID, cfg().strategy),
      checkExit: (intent) => this.#check(intent),
      mayResendEntries: () => this.risk.view().state === "active",
      onEvent: (e) => this.#onPathEvent(e),
    });
    this.#defineJobs();
    // An unreadable risk state started the account halted: announced like any trip (alert,
    // history), and what adds risk is cancelled as on any halt.
    const startup = this.risk.takeStartupEvents();
    if (startup.length > 0) {
      this.#lastTradingState = "active";
      this.#onRiskEvents(startup);
    }
    // A new instance of a running account (a deploy, an eviction) knows no market until the
    // universe job runs, and its held positions get no take-profit without their market's grid:
    // the jobs start() runs come first, not at their next period.
    if (this.feed.running) for (const job of START_JOBS) this.scheduler.runSoon(job);
  }

  get accountKey(): string {
    return this.#d.target.accountKey;
  }

  market(ticker: string): MarketInfo | undefined {
    return this.#markets.get(ticker);
  }

  book(ticker: string): BookView | undefined {
    return this.feed.book(ticker);
  }

  #log(event: string, data?: Record<string, unknown>): void {
    this.#sink(event, data);
    if (!KEPT_LOG_EVENTS.has(event)) return;
    const now = this.#d.nowMs();
    const payload = JSON.parse(JSON.stringify(data ?? {})) as Record<string, never>;
    appendHistory(
      this.#d.sql,
      guardRows(this.accountKey, now, () => [
        logRow(this.accountKey, {
          eventId: newEventId("log", now),
          atMs: now,
          level: event.includes("failed") || event.includes("anomaly") ? "error" : "warn",
          event,
          message: String(data?.message ?? data?.error ?? data?.reason ?? event).slice(0, 500),
          data: payload,
        }),
      ]),
      now,
    );
  }

  // ================================================================ lifecycle

  /** Starts the feed and the jobs. Refused when the environment does not check out. */
  async start(): Promise<{ ok: true } | { ok: false; cause: Cause }> {
    const t = this.#d.target;
    if (!t.ok) return { ok: false, cause: { code: t.code, message: t.message } };
    if (!this.#d.secrets.kalshiKey)
      return {
        ok: false,
        cause: {
          code: "kalshi_key_missing",
          message: "KALSHI_KEY_ID / KALSHI_PRIVATE_KEY are not configured",
        },
      };
    this.feed.start();
    this.orders.markReconcileNeeded();
    for (const job of START_JOBS) this.scheduler.runSoon(job);
    if (this.#d.presigner) this.#trackAny(this.#d.presigner.refresh());
    this.#refreshGate();
    await this.#d.setAlarm(this.#d.nowMs());
    return { ok: true };
  }

  stop(): void {
    this.feed.stop();
    this.#refreshGate();
  }

  /** The heartbeat and the scheduler, from the object's alarm. Returns when the next alarm should fire. */
  async alarm(): Promise<number | null> {
    if (!this.feed.running) return null;
    try {
      await this.feed.tick();
    } catch (err) {
      this.#d.log("alarm.failed", { where: "feed.tick", error: String(err).slice(0, 200) });
      this.notifier.alert({
        kind: "critical_error",
        atMs: this.#d.nowMs(),
        where: "feed.tick",
        message: String(err).slice(0, 300),
      });
    }
    const now = this.#d.nowMs();
    if (this.#d.presigner) this.#trackAny(this.#d.presigner.refresh());
    this.risk.feed(this.feed.feedLive());
    if (!this.#markEquity()) this.scheduler.runSoon("balance", BALANCE_RECHECK_MS);
    this.#exitSignals();
    this.orders.keepAll();
    this.orders.refreshRestTops();
    this.#refreshGate();
    const check = this.orders.nextCheckMs();
    if (check !== null) this.scheduler.runSoon("resolve", Math.max(0, check - now));
    for (const p of this.scheduler.startDue()) this.#track(p);
    const heartbeat = now + this.config.get().feed.heartbeatMs;
    const due = this.scheduler.nextDueMs();
    return due === null ? heartbeat : Math.max(now + 50, Math.min(heartbeat, due));
  }

  #trackAny(p: Promise<unknown>): void {
    this.#track(p.then(() => undefined).catch(() => undefined));
  }

  #track(p: Promise<void>): void {
    this.#jobs.add(p);
    void p.finally(() => this.#jobs.delete(p));
  }

  /** Resolves when every job and request started so far has finished (tests). */
  async settled(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (this.#jobs.size > 0) await Promise.all([...this.#jobs]);
      await this.orders.settled();
      if (this.#jobs.size === 0) return;
    }
  }

  // ================================================================ routing

  #onBookChanged(ticker: string): void {
    if (this.orders.holds(ticker)) {
      this.orders.onBook(ticker);
      return;
    }
    if (this.#gate.open) this.#considerEntry(ticker);
  }

  #onMessage(m: WsMessage): void {
    switch (m.type) {
      case "fill": {
        const f = toFillEvent(m);
        this.orders.onFill(fillOfEvent(f), f.clientOrderId);
        return;
      }
      case "user_order":
        this.orders.onUserOrder(toUserOrderUpdate(m));
        return;
      case "market_lifecycle_v2":
        this.#onLifecycle(m);
        return;
      case "event_fee_update":
        this.#d.catalogue.setFeeOverride(m.msg.event_ticker, {
          feeType: (m.msg.fee_type_override as never) ?? null,
          multiplierPpm:
            m.msg.fee_multiplier_override == null
              ? null
              : Math.round(Number(m.msg.fee_multiplier_override) * 1_000_000),
        });
        for (const [t, info] of this.#markets)
          if (info.eventTicker === m.msg.event_ticker)
            this.#markets.set(t, { ...info, fee: this.#d.catalogue.feeOf(info) });
        return;
      case "order_group_updates":
        this.orders.onOrderGroupUpdate(toOrderGroupUpdate(m));
        return;
      default:
        return;
    }
  }

  #onLifecycle(m: Extract<WsMessage, { type: "market_lifecycle_v2" }>): void {
    const e = toLifecycleEvent(m);
    const info = this.#markets.get(e.ticker);
    const set = (patch: Partial<MarketInfo>) => {
      if (info) this.#markets.set(e.ticker, { ...(this.#markets.get(e.ticker) ?? info), ...patch });
    };
    let status: MarketStatus | undefined;
    switch (e.eventType) {
      case "activated":
        status = "active";
        break;
      case "deactivated":
        status = "inactive";
        break;
      case "close_date_updated":
        if (e.closeTsMs !== undefined) set({ closeTimeMs: e.closeTsMs });
        break;
      case "determined":
        status = "determined";
        break;
      case "settled":
        status = "finalized";
        break;
      case "price_level_structure_updated":
        if (e.tickGrid) set({ grid: e.tickGrid });
        break;
      default:
        break;
    }
    if (status !== undefined) set({ status });
    if (this.orders.holds(e.ticker)) {
      this.#exitSignals(e.ticker);
      this.orders.keep(e.ticker);
    }
    if (e.eventType === "settled" && this.orders.holds(e.ticker)) this.scheduler.runSoon("reconcile");
    if (e.eventType !== "metadata_updated") this.scheduler.runSoon("universe", 1_000);
  }

  #onConnected(): void {
    this.orders.markReconcileNeeded();
    this.scheduler.runSoon("reconcile");
    this.#refreshGate();
  }

  #onPathEvent(e: PathEvent): void {
    const now = this.#d.nowMs();
    switch (e.kind) {
      case "position_opened":
        this.#d.log("position.opened", {
          ticker: e.position.ticker,
          side: e.position.side,
          contracts: e.position.contracts,
        });
        this.notifier.alert(positionOpenedAlert(e.position, now));
        this.scheduler.runSoon("balance", 1_000);
        return;
      case "position_closed":
        this.#d.log("position.closed", {
          ticker: e.roundTrip.ticker,
          reason: e.roundTrip.reason,
          pnl: e.roundTrip.pnl,
        });
        this.notifier.alert(positionClosedAlert(e.roundTrip, now));
        this.risk.roundTrip(e.roundTrip);
        this.scheduler.runSoon("balance", 1_000);
        this.#refreshGate();
        return;
      case "recon_diff":
        this.#d.log("reconcile.difference", {
          kind: e.diff.kind,
          ticker: e.diff.ticker,
          blocking: e.diff.blocking,
        });
        this.notifier.alert({
          kind: "recon_difference",
          atMs: now,
          diffKind: e.diff.kind,
          ticker: e.diff.ticker,
          detail: e.diff.detail.slice(0, 400),
          blocksEntries: e.diff.blocking,
        });
        this.#refreshGate();
        return;
      case "reconciled":
        this.#lastReconcileOkMs = e.atMs;
        this.#refreshGate();
        return;
      case "api_result":
        // Only the exchange failing to answer counts against it: an explicit refusal is an answer.
        if (e.ok) this.risk.apiResult(true);
        else if (e.failure?.retryable) this.risk.apiResult(false);
        return;
      case "order_rejected":
        this.#d.log("order.rejected", {
          ticker: e.order.ticker,
          purpose: e.order.purpose,
          error: e.error.slice(0, 200),
        });
        return;
      case "exit_attempt":
        // The exit keeps trying at its widest price; past maxAttempts the operator must know.
        if (e.attempt === this.config.get().strategy.exitOrders.maxAttempts)
          this.notifier.alert({
            kind: "critical_error",
            atMs: now,
            where: `exit ${e.ticker}`,
            message: `the ${e.reason} exit of ${e.ticker} has sent ${e.attempt} immediate-or-cancel sells without closing the position; it goes on at the widest price`,
          });
        return;
      case "order_group_triggered":
        this.risk.halt(
          `the exchange-side order group on shard ${e.exchangeIndex} triggered (contracts cap exceeded)`,
        );
        return;
      case "anomaly":
        this.notifier.alert({
          kind: "critical_error",
          atMs: now,
          where: "order_state",
          message: `${e.anomaly.kind}: ${e.anomaly.detail}`.slice(0, 300),
        });
        return;
    }
  }

  #onRiskEvents(events: RiskEvent[]): void {
    const view = this.risk.view();
    const now = this.#d.nowMs();
    const rows: HistoryRow[] = [];
    for (const ev of events) {
      this.ledger.riskEvent(ev);
      rows.push(
        ...guardRows(this.accountKey, now, () => [
          riskEventRow(this.accountKey, {
            eventId: newEventId(`risk_${ev.kind}`, ev.atMs),
            atMs: ev.atMs,
            kind: ev.kind === "trip" ? "breaker_trip" : "breaker_clear",
            code: ev.code,
            message: ev.message.slice(0, 500),
            ticker: null,
            tradingState: view.state,
            numbers: ev.numbers,
          }),
        ]),
      );
      this.#d.log(ev.kind === "trip" ? "risk.trip" : "risk.clear", {
        breaker: ev.breaker,
        code: ev.code,
        message: ev.message,
      });
      if (ev.kind === "trip") {
        if (ev.breaker === "feed_loss") {
          this.notifier.alert({
            kind: "feed_loss",
            atMs: ev.atMs,
            silentMs: ev.numbers.downMs ?? 0,
            reason: ev.message.slice(0, 300),
          });
        } else {
          this.notifier.alert({
            kind: "breaker_trip",
            atMs: ev.atMs,
            breaker: ev.breaker,
            reason: ev.message.slice(0, 300),
            numbers: ev.numbers,
            tradingState: view.state,
          });
        }
      } else {
        this.notifier.alert({
          kind: "resume",
          atMs: ev.atMs,
          what: ev.breaker,
          detail: ev.message.slice(0, 300),
          tradingState: view.state,
        });
      }
    }
    appendHistory(this.#d.sql, rows, now);
    if (view.state !== this.#lastTradingState) {
      const was = this.#lastTradingState;
      this.#lastTradingState = view.state;
      this.#d.log("trading.state", { from: was, to: view.state });
      // Halted: cancel what adds risk. Exits stay protected (the keeper keeps them).
      if (view.state === "halted")
        void this.orders.cancelAll(
          "halted: cancel what adds risk",
          (o) => !isExitPurpose(o.purpose) && o.action === "buy",
        );
    }
    this.#refreshGate();
  }

  // ================================================================ entries

  /** Recomputes whether entries may go out at all (cheap checks per book change use it). */
  #refreshGate(): void {
    const causes = this.#accountCauses();
    this.#gate = { open: causes.length === 0, causes };
  }

  /** The strategy's decision for one watched market, then the risk gate, then the order path. */
  #considerEntry(ticker: string): void {
    const market = this.#markets.get(ticker);
    if (!market) return;
    const book = this.feed.book(ticker);
    if (!book?.fresh) return;
    const now = this.#d.nowMs();
    const cfg = this.config.get();
    const working = this.orders.hasWorking(ticker) ? this.orders.workingOrders(ticker) : [];
    const decision = evaluateMarket(
      {
        market,
        book,
        position: null,
        workingOrders: working,
        hasUnknownOrder: working.some((o) => o.state === "pending"),
        nowMs: now,
      },
      this.accountView(),
      cfg.strategy,
      sizingLimitsOf(cfg.risk),
    );
    this.#why.set(ticker, decision.explanation);
    if (decision.entry === null) return;
    const verdict = this.#check(decision.entry);
    if (!verdict.ok) {
      this.#d.log("entry.denied", { ticker, code: verdict.code, message: verdict.message });
      return;
    }
    const r = this.orders.submit(decision.entry);
    if (r.ok)
      this.#d.log("entry.sent", {
        ticker,
        side: decision.entry.side,
        price: decision.entry.price,
        count: decision.entry.count,
      });
    else this.#d.log("entry.not_sent", { ticker, code: r.code, message: r.message });
  }

  /** The risk gate for any intent, with the account as it is now. */
  #check(intent: Intent): { ok: true } | { ok: false; code: string; message: string } {
    const market = this.#markets.get(intent.ticker);
    const book = this.feed.book(intent.ticker);
    if (!market || !book) {
      if (isExitPurpose(intent.purpose)) return { ok: true }; // an exit never waits for market info
      return { ok: false, code: "market_unknown", message: `${intent.ticker} is not a watched market` };
    }
    const view = this.risk.view();
    const ctx: RiskContext = {
      tradingState: view.state,
      entriesBlockedBy: [...view.entriesBlockedBy, ...this.entryBlockers(intent.ticker).map((c) => c.code)],
      market,
      book,
      positions: this.orders.positions().map((h) => h.position),
      workingOrders: this.orders.workingOrders(),
      equity: this.equity() ?? 0,
      nowMs: this.#d.nowMs(),
    };
    return checkIntent(intent, ctx, this.config.get().risk);
  }

  /** Why no entry may go out in `ticker` now (empty: it may). */
  entryBlockers(ticker?: string): Cause[] {
    const out: Cause[] = [...this.#accountCauses()];
    if (ticker !== undefined) {
      const b = this.feed.book(ticker);
      if (!b) out.push({ code: "not_watched", message: `${ticker} is not watched` });
      else if (!b.fresh)
        out.push({
          code: "book_stale",
          message: `${ticker} book is not fresh (${b.staleReason ?? "stale"})`,
        });
      if (this.orders.unknownMarkets().has(ticker))
        out.push({ code: "unknown_order", message: `${ticker} has an order whose outcome is unknown` });
      const m = this.#markets.get(ticker);
      if (m && m.status !== "active")
        out.push({ code: "market_not_active", message: `${ticker} is ${m.status}` });
    }
    return out;
  }

  /** Account-wide causes that block entries. */
  #accountCauses(): Cause[] {
    const out: Cause[] = [];
    const t = this.#d.target;
    if (!t.ok) out.push({ code: t.code, message: t.message });
    if (!this.#d.secrets.kalshiKey)
      out.push({
        code: "kalshi_key_missing",
        message: "KALSHI_KEY_ID / KALSHI_PRIVATE_KEY are not configured",
      });
    const fs = this.feed.status();
    if (!fs.running) out.push({ code: "not_started", message: "the bot is not started" });
    const f = fs.lastConnectFailure;
    if (f) {
      const code =
        f.kind === "refused" && (f.status === 401 || f.status === 403)
          ? "kalshi_key_rejected"
          : f.kind === "signing"
            ? "kalshi_key_invalid"
            : f.kind === "config"
              ? "config_error"
              : "exchange_unreachable";
      out.push({ code, message: f.message + (f.code ? ` (${f.code})` : "") });
    } else if (fs.running && !fs.feedLive) {
      out.push({
        code: fs.breaker.tripped ? "feed_breaker" : "feed_down",
        message: fs.breaker.tripped ? `feed breaker: ${fs.breaker.reason ?? "tripped"}` : `feed ${fs.socket}`,
      });
    }
    if (this.#exchange.exchangeActive === false)
      out.push({ code: "exchange_closed", message: "the exchange is not active" });
    if (this.#exchange.tradingActive === false)
      out.push({ code: "exchange_paused", message: "trading is paused on the exchange" });
    for (const b of this.orders.blockers())
      out.push({
        code: b.startsWith("reconciliation pending") ? "reconciliation_pending" : "reconciliation_review",
        message: b,
      });
    const view = this.risk.view();
    if (view.state !== "active")
      out.push({
        code: `trading_${view.state}`,
        message: `trading is ${view.state}: ${view.reasons.map((r) => r.message).join("; ")}`.slice(0, 300),
      });
    for (const b of view.entriesBlockedBy)
      out.push({ code: b, message: view.reasons.find((r) => r.breaker === b)?.message ?? b });
    return out;
  }

  /** New orders are accepted in `ticker` now (exits included): market active, exchange trading. */
  #tradable(ticker: string): boolean {
    if (this.#exchange.tradingActive === false) return false;
    const m = this.#markets.get(ticker);
    return m === undefined || m.status === "active";
  }

  /** Time- and status-based exits (timeout, pre-close, deactivation) for held markets. */
  #exitSignals(only?: string): void {
    const cfg = this.config.get().strategy;
    const now = this.#d.nowMs();
    for (const h of this.orders.positions()) {
      if (only !== undefined && h.position.ticker !== only) continue;
      if (h.exit.mode === "exiting" || h.exitRequest !== null) continue;
      const market = this.#markets.get(h.position.ticker);
      if (!market) continue;
      const sig = exitSignal({ position: h.position, market, config: cfg, nowMs: now });
      if (sig !== null) {
        this.#d.log("exit.signal", { ticker: h.position.ticker, reason: sig.reason });
        this.orders.requestExit(h.position.ticker, sig.reason);
      }
    }
  }

  /**
   * A manual order from the operator: the same journal and checks as any entry. A sell of a held
   * position is an exit; anything else must pass the entry gates and the risk gate.
   */
  submitManual(
    intent: Intent,
  ): { ok: true; intentId: string } | { ok: false; code: string; message: string } {
    const held = this.orders.positions().find((h) => h.position.ticker === intent.ticker);
    const exit = intent.action === "sell" && held !== undefined && held.position.side === intent.side;
    if (!exit) {
      const first = this.entryBlockers(intent.ticker)[0];
      if (first) return { ok: false, code: first.code, message: first.message };
    } else if (intent.count > held.position.contracts) {
      return {
        ok: false,
        code: "exceeds_position",
        message: `a sell of ${intent.count} exceeds the position of ${held.position.contracts}`,
      };
    }
    const final: Intent = { ...intent, positionId: exit ? held.position.positionId : intent.positionId };
    const v = this.#check(final);
    if (!v.ok) return v;
    const r = this.orders.submit(final);
    return r.ok ? { ok: true, intentId: r.order.intentId } : r;
  }

  requestExit(ticker: string, reason: ExitReason): void {
    this.orders.requestExit(ticker, reason);
  }

  halt(reason: string): AccountStatus {
    this.risk.halt(reason);
    return this.status();
  }

  resume(): { events: RiskEvent[]; status: AccountStatus } {
    const events = this.risk.resume();
    return { events, status: this.status() };
  }

  /** The last decision explained for `ticker`; evaluated now when the market is watched. */
  why(ticker: string): Explanation | { ticker: string; watched: false; reason: string } {
    const market = this.#markets.get(ticker);
    const book = this.feed.book(ticker);
    if (market && book) {
      const cfg = this.config.get();
      const held = this.orders.positions().find((h) => h.position.ticker === ticker);
      const working = this.orders.workingOrders(ticker);
      const d = evaluateMarket(
        {
          market,
          book,
          position: held?.position ?? null,
          workingOrders: working,
          hasUnknownOrder: working.some((o) => o.state === "pending"),
          nowMs: this.#d.nowMs(),
        },
        this.accountView(),
        cfg.strategy,
        sizingLimitsOf(cfg.risk),
      );
      return d.explanation;
    }
    const last = this.#why.get(ticker);
    if (last) return last;
    return { ticker, watched: false, reason: "not in the watched universe (see /api/markets)" };
  }

  // ================================================================ marks and equity

  /** Best bid of `ticker` on `side` from a fresh book; null when none. */
  markOf(ticker: string, side: Side): PriceUnits | null {
    const b = this.feed.book(ticker);
    return b?.fresh ? bidOf(b.top, side) : null;
  }

  /**
   * Cash (the last balance plus the fills' cash since, see `OrderPath.cash`) plus open positions
   * marked at the best bid (at cost when no fresh bid); null before a balance.
   */
  equity(): MoneyMicros | null {
    return this.#equityMark()?.equity ?? null;
  }

  #equityMark(): { equity: MoneyMicros; certain: boolean } | null {
    const c = this.orders.cash();
    if (c === null) return null;
    let value = 0;
    for (const h of this.orders.positions()) {
      const mark = this.markOf(h.position.ticker, h.position.side);
      value += mark === null ? h.position.cost : mark * h.position.contracts;
    }
    return { equity: c.cash + value, certain: c.certain };
  }

  /**
   * Hands the daily-loss breaker an equity mark, only one whose cash is certain: a balance read
   * that raced a fill could show the fill's cash without its position (or the reverse) and trip
   * the breaker on a loss that never happened. False when the mark was uncertain: the caller has
   * the balance read again soon.
   */
  #markEquity(): boolean {
    const m = this.#equityMark();
    if (m === null) return true;
    if (m.certain) this.risk.equity(m.equity);
    return m.certain;
  }

  /** The account as the sizing sees it. */
  accountView(): AccountView {
    const positions = this.orders.positions();
    const working = this.orders.workingOrders();
    const entryMarkets = new Set<string>();
    let exposure = 0;
    for (const h of positions) {
      entryMarkets.add(h.position.ticker);
      exposure += h.position.cost;
    }
    let open = 0;
    for (const o of working) {
      open += openCount(o);
      if (isExitPurpose(o.purpose)) continue;
      entryMarkets.add(o.ticker);
      exposure += o.price * openCount(o);
    }
    const limit = this.config.get().executor.orderGroup.contractsLimit;
    return {
      equity: this.equity() ?? 0,
      openPositions: entryMarkets.size,
      totalExposure: exposure,
      orderGroupRoom: Math.max(0, limit - open),
    };
  }

  positionViews(): PositionView[] {
    const out: PositionView[] = [];
    for (const h of this.orders.positions()) {
      const p = h.position;
      const mark = this.markOf(p.ticker, p.side);
      const working = this.orders.workingOrders(p.ticker);
      out.push({
        ticker: p.ticker,
        positionId: p.positionId,
        side: p.side,
        contracts: p.contracts,
        avgEntry: p.contracts === 0 ? 0 : Math.round(p.cost / p.contracts),
        cost: p.cost,
        fees: p.fees,
        mark,
        unrealized: mark === null ? null : mark * p.contracts - p.cost,
        openedMs: p.openedMs,
        takeProfit: p.exits?.takeProfit ?? null,
        stop: p.exits?.stop ?? null,
        deadlineMs: p.exits?.deadlineMs ?? null,
        exitMode: h.exit.mode,
        exitReason: h.exit.reason ?? h.exitRequest,
        takeProfitWorking: working
          .filter((o) => o.purpose === "take_profit")
          .reduce((n, o) => n + openCount(o), 0),
        exitWorking: working
          .filter((o) => o.purpose === "stop" || o.purpose === "exit")
          .reduce((n, o) => n + openCount(o), 0),
      });
    }
    return out;
  }

  /** An account snapshot (the 5-minute cron): recorded in history and kept for the report's equity curve. */
  snapshot(): AccountSnapshot {
    const now = this.#d.nowMs();
    const views = this.positionViews();
    const balance = this.orders.journal.state().balance ?? 0;
    const tz = this.config.get().report.timeZone;
    const day = tradingDayOf(now, tz);
    const realizedToday = this.orders.journal
      .roundTrips(10_000, now - 36 * 3_600_000)
      .filter((rt) => tradingDayOf(rt.closedMs, tz) === day)
      .reduce((n, rt) => n + rt.pnl, 0);
    const portfolioValue = views.reduce((n, v) => n + (v.mark === null ? v.cost : v.mark * v.contracts), 0);
    const working = this.orders.workingOrders();
    const snap: AccountSnapshot = {
      takenMs: now,
      cash: balance,
      portfolioValue,
      exposure: this.accountView().totalExposure,
      realizedToday,
      unrealized: views.reduce((n, v) => n + (v.unrealized ?? 0), 0),
      openPositions: views.length,
      openOrders: working.length,
      tradingState: this.risk.view().state,
    };
    this.ledger.equityMark(now, balance + portfolioValue);
    appendHistory(
      this.#d.sql,
      guardRows(this.accountKey, now, () => [snapshotRow(this.accountKey, snap)]),
      now,
    );
    return snap;
  }

  // ================================================================ reports

  #reportInput(day: string, bounds: { startMs: number; endMs: number }) {
    const marks = this.ledger.equityMarks(bounds.startMs, bounds.endMs);
    return {
      account: this.accountKey,
      day,
      timeZone: this.config.get().report.timeZone,
      roundTrips: this.orders.journal.roundTrips(10_000, bounds.startMs, bounds.endMs),
      fills: this.orders.journal.fillsSince(bounds.startMs, 50_000).filter((f) => f.tsMs < bounds.endMs),
      equity: marks.map((m) => ({ atMs: m.atMs, equity: m.equity })),
      breakerTrips: this.ledger
        .riskEvents(bounds.startMs, bounds.endMs)
        .filter((e) => e.kind === "trip")
        .map((e) => ({ atMs: e.atMs, breaker: e.breaker, reason: e.message, numbers: e.numbers })),
      reconDiffs: this.orders.journal
        .diffs(1_000)
        .filter((d) => d.atMs >= bounds.startMs && d.atMs < bounds.endMs)
        .map((d) => ({
          atMs: d.atMs,
          kind: d.kind,
          ...(d.ticker ? { ticker: d.ticker } : {}),
          detail: d.detail,
        })),
      startEquity: marks[0]?.equity ?? null,
      endEquity: marks.at(-1)?.equity ?? null,
      openPositions: this.orders.positions().map((h) => h.position),
    };
  }

  #recordReport(day: string, data: DailyReportData, delivered: boolean, emailId: string | null): void {
    const now = this.#d.nowMs();
    this.ledger.report(day, now, data, delivered, emailId);
    appendHistory(
      this.#d.sql,
      guardRows(this.accountKey, now, () => [
        reportRow(this.accountKey, {
          day,
          generatedMs: now,
          subject: `Daily report ${day}`,
          trades: data.roundTripCount,
          wins: data.wins,
          losses: data.losses,
          netPnl: data.pnl.net,
          fees: data.feesPaid,
          startEquity: data.equity.start,
          endEquity: data.equity.end,
          sentMs: delivered ? now : null,
          emailId,
          data: JSON.parse(JSON.stringify(data)) as Record<string, never>,
        }),
      ]),
      now,
    );
  }

  /** Renders and sends `day`'s report now (today so far by default): the admin's "send report". */
  sendReportNow(day?: string) {
    const d = day ?? tradingDayOf(this.#d.nowMs(), this.config.get().report.timeZone);
    return this.notifier.sendNow(d);
  }

  // ================================================================ jobs

  #defineJobs(): void {
    const cfg = () => this.config.get();
    const s = this.scheduler;
    s.define("universe", {
      intervalMs: cfg().feed.universeRefreshMs,
      retryBaseMs: 5_000,
      run: () => this.#universeJob(),
    });
    s.define(
      "crossCheck",
      { intervalMs: cfg().feed.crossCheckMs, run: () => this.#crossCheckJob() },
      cfg().feed.crossCheckMs,
    );
    s.define("reconcile", {
      intervalMs: cfg().executor.reconcile.intervalMs,
      retryBaseMs: cfg().executor.reconcile.retryBaseMs,
      run: async () => {
        const r = await this.orders.reconcile();
        this.#refreshGate();
        if (r.ok && this.orders.reconcileNeeded)
          // A position moved while it was read: read again soon (entries wait), not a period later.
          return { ok: false, error: "a position changed while it was read; reading again" };
        return r.ok
          ? { ok: true, detail: `${r.diffs} differences` }
          : { ok: false, error: r.error ?? "failed" };
      },
    });
    s.define("resolve", {
      intervalMs: 60_000,
      run: async () => {
        const r = await this.orders.resolvePending();
        return { ok: true, detail: `${r.unresolved} unresolved` };
      },
    });
    s.define("exchange", { intervalMs: cfg().jobs.exchangeStatusMs, run: () => this.#exchangeJob() });
    // The limiter mirrors the account's tier (`/account/limits`, `/account/endpoint_costs`); hourly.
    s.define("limits", {
      intervalMs: 3_600_000,
      retryBaseMs: 5_000,
      run: async () => {
        const r = await this.#d.rest.configureLimiter();
        return r.failures.length === 0
          ? { ok: true }
          : {
              ok: false,
              error: r.failures
                .map((f) => f.message)
                .join("; ")
                .slice(0, 300),
            };
      },
    });
    s.define("balance", { intervalMs: cfg().jobs.balanceMs, run: () => this.#balanceJob() });
    s.define("orderGroups", {
      intervalMs: cfg().jobs.orderGroupsMs,
      run: async () => {
        await this.orders.ensureOrderGroups(this.#shards());
        return { ok: true };
      },
    });
    s.define("flush", {
      intervalMs: cfg().history.flushMs,
      retryBaseMs: 5_000,
      run: () => this.flushHistory(),
    });
    s.define("retention", { intervalMs: 3_600_000, run: async () => this.#retentionJob() }, 60_000);
    s.define("alerts", { intervalMs: 30_000, run: () => this.notifier.alertJob() }, 10_000);
    s.define("report", { intervalMs: 5 * 60_000, run: () => this.notifier.reportJob() }, 60_000);
  }

  #shards(): number[] {
    const out = new Set<number>([0]);
    for (const t of this.feed.wanted) out.add(this.#markets.get(t)?.exchangeIndex ?? 0);
    return [...out];
  }

  async #universeJob(): Promise<JobOutcome> {
    const r = await this.#d.catalogue.loadOpenMarkets();
    if (!r.ok) return { ok: false, error: r.failure.message };
    const now = this.#d.nowMs();
    const mustKeep = new Set([
      ...this.orders.heldTickers(),
      ...this.orders.workingOrders().map((o) => o.ticker),
    ]);
    const sel = selectUniverse(r.value, this.config.get().feed.universe, now, mustKeep);
    const chosen = new Set(sel.selected);
    const withFees = await this.#d.catalogue.withFees(r.value.filter((m) => chosen.has(m.ticker)));
    const rows: HistoryRow[] = [];
    for (const m of withFees) {
      this.#markets.set(m.ticker, m);
      if (!this.#seenMarkets.has(m.ticker)) {
        this.#seenMarkets.add(m.ticker);
        rows.push(...guardRows(this.accountKey, now, () => [marketRow(this.accountKey, m, now)]));
      }
    }
    if (rows.length > 0) appendHistory(this.#d.sql, rows, now);
    // Markets no longer listed as open keep their last info while held (their exits still need it).
    for (const t of [...this.#markets.keys()])
      if (!chosen.has(t) && !mustKeep.has(t)) this.#markets.delete(t);
    for (const t of [...this.#why.keys()]) if (!chosen.has(t)) this.#why.delete(t);
    this.feed.applyUniverse(withFees, sel.selected);
    await this.orders.ensureOrderGroups(this.#shards());
    await this.feed.syncSubscriptions();
    this.#refreshGate();
    return { ok: true, detail: `${sel.selected.length} markets` };
  }

  async #crossCheckJob(): Promise<JobOutcome> {
    const cfg = this.config.get().feed;
    const fresh = this.feed.wanted.filter((t) => this.feed.book(t)?.fresh === true);
    const n = Math.min(cfg.crossCheckSample, fresh.length);
    let mismatches = 0;
    for (let i = 0; i < n; i++) {
      const pick = takeRandom(fresh, this.#d.random());
      if (pick === undefined) break;
      const rest = await this.#d.catalogue.orderbookTop(pick);
      const ours = this.feed.book(pick);
      if (!rest || !ours?.fresh) continue;
      this.#crossCheck.compared++;
      if (!topsMatch(rest, ours.top)) {
        mismatches++;
        this.#crossCheck.mismatches++;
        this.#d.log("crosscheck.mismatch", { ticker: pick, rest, ours: ours.top });
      }
    }
    return { ok: true, detail: `${n} compared, ${mismatches} mismatches` };
  }

  async #exchangeJob(): Promise<JobOutcome> {
    const r = await this.#d.rest.getExchangeStatus();
    if (!r.ok) return { ok: false, error: r.failure.message };
    const was = this.#exchange.tradingActive;
    this.#exchange = {
      tradingActive: r.value.trading_active,
      exchangeActive: r.value.exchange_active,
      checkedMs: this.#d.nowMs(),
    };
    if (was !== r.value.trading_active) this.#d.log("exchange.trading", { active: r.value.trading_active });
    this.#refreshGate();
    return { ok: true };
  }

  async #balanceJob(): Promise<JobOutcome> {
    const read = this.orders.balanceReadStarted();
    const r = await this.#d.rest.getBalance();
    if (!r.ok) return { ok: false, error: r.failure.message };
    const b = toBalance(r.value);
    if (!b.ok) return { ok: false, error: b.error };
    this.orders.balanceAnswered(read, b.value.balance);
    // A read that raced a fill is read again soon rather than a period later.
    return this.#markEquity() ? { ok: true } : { ok: true, againInMs: BALANCE_RECHECK_MS };
  }

  /** Sends the outbox to Supabase in batches until it is empty or a batch fails; keeps it within its bound. */
  async flushHistory(): Promise<JobOutcome> {
    const cfg = this.config.get().history;
    let sent = 0;
    let error: string | undefined;
    for (let round = 0; round < 50; round++) {
      const r = await flushHistory({
        sql: this.#d.sql,
        client: this.#d.historyClient,
        batchSize: cfg.batchSize,
        nowMs: this.#d.nowMs(),
      });
      sent += r.sent;
      if (r.error) {
        error = r.error;
        break;
      }
      if (!r.configured || r.sent + r.rejected < cfg.batchSize) break;
    }
    enforceBound(this.#d.sql, cfg.outboxBound);
    const st = outboxState(this.#d.sql, cfg.outboxBound);
    // Without Supabase nothing waits to be sent: the rows are the local history (kept within the
    // bound and the retention), and an alert about a backlog would be false.
    if (st.nearBound && this.#d.historyClient !== null)
      this.notifier.alert({
        kind: "outbox_near_bound",
        atMs: this.#d.nowMs(),
        rows: st.unflushed,
        bound: st.bound,
      });
    return error === undefined ? { ok: true, detail: `${sent} rows sent` } : { ok: false, error };
  }

  #retentionJob(): JobOutcome {
    const cfg = this.config.get().history;
    let deleted = 0;
    for (let i = 0; i < 20; i++) {
      const r = applyRetention(this.#d.sql, this.#d.nowMs(), {
        retentionMs: cfg.retentionDays * 86_400_000,
        supabaseConfigured: this.#d.historyClient !== null,
      });
      deleted += r.deleted;
      if (!r.more) break;
    }
    deleted += this.ledger.prune(this.#d.nowMs() - cfg.retentionDays * 86_400_000);
    return { ok: true, detail: `${deleted} rows deleted` };
  }

  /**
   * Puts the rows Supabase refused for their content back in the outbox (once the schema or the
   * data is fixed); the flush runs at once. A row refused again is set aside again.
   */
  requeueOutbox(): { requeued: number } {
    const requeued = requeueRejected(this.#d.sql);
    this.#d.log("history.requeued", { rows: requeued });
    if (requeued > 0) this.scheduler.runSoon("flush");
    return { requeued };
  }

  outbox(): OutboxState & { supabase: boolean } {
    return {
      ...outboxState(this.#d.sql, this.config.get().history.outboxBound),
      supabase: this.#d.historyClient !== null,
    };
  }

  // ================================================================ status and config

  /** Watched markets with their book age and whether (and why not) each is tradable now. */
  markets(): {
    ticker: string;
    status: string;
    bookAgeMs: number | null;
    fresh: boolean;
    held: boolean;
    verdict: string | null;
    failed: string[];
  }[] {
    const now = this.#d.nowMs();
    return this.feed.wanted.map((t) => {
      const b = this.feed.book(t);
      const w = this.#why.get(t);
      return {
        ticker: t,
        status: this.#markets.get(t)?.status ?? "unknown",
        bookAgeMs: b && b.confirmedAtMs > 0 ? now - b.confirmedAtMs : null,
        fresh: b?.fresh === true,
        held: this.orders.holds(t),
        verdict: w?.verdict ?? null,
        failed: w ? w.criteria.filter((c) => !c.pass).map((c) => c.name) : [],
      };
    });
  }

  status(): AccountStatus {
    const now = this.#d.nowMs();
    const causes = this.#accountCauses();
    const st = this.orders.journal.state();
    const working = this.orders.workingOrders();
    const view = this.risk.view();
    const rs = this.risk.state;
    const feed = this.feed.status();
    const equity = this.equity();
    return {
      account: this.#d.target.accountKey,
      env: this.#d.target.ok ? this.#d.target.env : "invalid",
      running: this.feed.running,
      ready: causes.length === 0 && feed.freshBooks > 0,
      trading: { state: view.state, reasons: view.reasons },
      causes,
      equity,
      dayPnl: equity !== null && rs.day.startEquity !== null ? equity - rs.day.startEquity : null,
      startOfDayEquity: rs.day.startEquity,
      consecutiveLosses: rs.consecutiveLosses,
      positions: this.positionViews(),
      feed,
      exchange: {
        tradingActive: this.#exchange.tradingActive,
        exchangeActive: this.#exchange.exchangeActive,
        checkedAgoMs: this.#exchange.checkedMs === null ? null : now - this.#exchange.checkedMs,
      },
      orders: { working: working.length, unknown: working.filter((o) => o.state === "pending").length },
      reconcile: {
        needed: this.orders.reconcileNeeded,
        failures: this.orders.reconcileFailures,
        lastOkAgoMs:
          this.#lastReconcileOkMs === null
            ? st.reconciled_ms === null
              ? null
              : now - st.reconciled_ms
            : now - this.#lastReconcileOkMs,
        openDifferences: this.orders.journal.openBlockingDiffs(),
      },
      balance: st.balance,
      crossCheck: { ...this.#crossCheck },
      outbox: this.outbox(),
      mail: this.notifier.mailConfigured,
      jobs: this.scheduler.status(),
      configVersion: this.config.version,
    };
  }

  updateConfig(patch: unknown): ConfigUpdate {
    const r = this.config.update(patch, this.#d.nowMs());
    if (r.ok) this.#applyConfig(r.config);
    return r;
  }

  #applyConfig(c: AccountConfig): void {
    this.scheduler.setInterval("universe", c.feed.universeRefreshMs);
    this.scheduler.setInterval("crossCheck", c.feed.crossCheckMs);
    this.scheduler.setInterval("reconcile", c.executor.reconcile.intervalMs);
    this.scheduler.setInterval("exchange", c.jobs.exchangeStatusMs);
    this.scheduler.setInterval("balance", c.jobs.balanceMs);
    this.scheduler.setInterval("orderGroups", c.jobs.orderGroupsMs);
    this.scheduler.setInterval("flush", c.history.flushMs);
    this.#refreshGate();
  }

  /**
   * When the reconciliation difference `id` was reviewed (`reviewedMs: null` while it is open), or
   * null when there is no such difference (admin review).
   */
  differenceReviewedMs(id: string): { reviewedMs: number | null } | null {
    const r = readRow(
      this.#d.sql,
      "recon_diffs",
      ReviewedRow,
      "SELECT reviewed_ms FROM recon_diffs WHERE id = ?",
      id,
    );
    return r === undefined ? null : { reviewedMs: r.reviewed_ms };
  }

  /** Round trips closed since `sinceMs`, newest first (admin). */
  trades(limit: number, beforeMs?: number): RoundTrip[] {
    return this.orders.journal.roundTrips(limit, 0, beforeMs);
  }

  /** Daily P&L from local round trips, by trading day (newest first). */
  pnlByDay(
    days: number,
  ): { day: string; net: MoneyMicros; fees: MoneyMicros; trades: number; wins: number }[] {
    const tz = this.config.get().report.timeZone;
    const since = this.#d.nowMs() - days * 86_400_000;
    const byDay = new Map<string, { net: number; fees: number; trades: number; wins: number }>();
    for (const rt of this.orders.journal.roundTrips(100_000, since)) {
      const d = tradingDayOf(rt.closedMs, tz);
      const e = byDay.get(d) ?? { net: 0, fees: 0, trades: 0, wins: 0 };
      e.net += rt.pnl;
      e.fees += rt.fees;
      e.trades += 1;
      if (rt.pnl > 0) e.wins += 1;
      byDay.set(d, e);
    }
    return [...byDay].sort((a, b) => (a[0] < b[0] ? 1 : -1)).map(([day, e]) => ({ day, ...e }));
  }
}

/** Until a market's own grid is known: whole cents from 0.01 to 0.99. */
const DEFAULT_GRID = {
  bands: [{ start: 0, end: PRICE_SCALE, step: 100 }],
  min: 0,
  max: PRICE_SCALE,
} as const;

export type { Alert };
