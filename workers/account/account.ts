/**
 * One Kalshi account's trading core, free of Durable Object APIs: it composes the modules that own
 * state (market data, the order path, the scheduler, the config store) and routes between them.
 * The Durable Object (`account-object.ts`) builds it from `env` and `ctx.storage`, forwards RPCs
 * and runs `alarm()`; tests build it with fakes.
 *
 * Routing (the hot path first):
 * - a book changed -> the exit keeper for a held market; the entry decision for a watched one;
 * - `fill` / `user_order` / `order_group_updates` -> the order path;
 * - lifecycle (`market_lifecycle_v2`) and fee overrides (`event_fee_update`) -> the market table,
 *   and a universe refresh when the set of tradable markets may have changed;
 * - a new socket -> reconciliation now (entries wait for it).
 *
 * Jobs (the scheduler): universe, cross-check, reconciliation, unknown-order resolution, exchange
 * status, balance, order groups.
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import type {
  BookView,
  ExitPlan,
  ExitReason,
  Intent,
  MarketInfo,
  MarketStatus,
  PriceUnits,
  Side,
} from "../../shared/domain.ts";
import { bidOf } from "../../shared/domain.ts";
import type { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import { snapForBuy, snapForSell, snapPrice } from "../../shared/kalshi/tick-grid.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { WsMessage } from "../../shared/kalshi/ws-messages.ts";
import {
  toFillEvent,
  toLifecycleEvent,
  toOrderGroupUpdate,
  toUserOrderUpdate,
} from "../../shared/kalshi/ws-messages.ts";
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
  applyRetention,
  enforceBound,
  ensureHistorySchema,
  type OutboxState,
  outboxState,
} from "../history/store.ts";
import { type AccountConfig, CONFIG_SCHEMA, ConfigStore, type ConfigUpdate } from "./account-config.ts";
import { takeRandom, topsMatch } from "./cross-check.ts";
import { type JobOutcome, type JobStatus, SCHEDULER_SCHEMA, Scheduler } from "./scheduler.ts";
import { applySchema } from "./sql-schema.ts";

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
  nowMs: () => number;
  random: () => number;
  newId: () => string;
  log: (event: string, data?: Record<string, unknown>) => void;
}

/** Why the bot cannot trade right now (each with a stable code for the dashboard and alerts). */
export interface Cause {
  code: string;
  message: string;
}

export interface AccountStatus {
  account: string;
  env: string;
  running: boolean;
  ready: boolean;
  /** what stops new entries now, most fundamental first; empty when entries may go out */
  causes: Cause[];
  feed: FeedStatus;
  exchange: { tradingActive: boolean | null; exchangeActive: boolean | null; checkedAgoMs: number | null };
  orders: { working: number; unknown: number };
  positions: number;
  reconcile: { needed: boolean; failures: number; lastOkAgoMs: number | null; openDifferences: number };
  balance: number | null;
  crossCheck: { compared: number; mismatches: number };
  outbox: OutboxState & { supabase: boolean };
  jobs: JobStatus[];
  configVersion: number;
}

/** The built-in exit plan until the strategy supplies one: take-profit +2 points, stop -1 point. */
export function defaultExitPlan(
  side: Side,
  avgEntry: PriceUnits,
  market: MarketInfo | undefined,
  nowMs: number,
): ExitPlan {
  const tpRaw = Math.min(avgEntry + 200, 9_900);
  const stopRaw = Math.max(avgEntry - 100, 100);
  if (!market) return { takeProfit: tpRaw, stop: stopRaw, deadlineMs: nowMs + 2 * 3_600_000 };
  const yes = (p: PriceUnits) => (side === "yes" ? p : PRICE_SCALE - p);
  // Sell at the TP: never below it (snap up on our leg). The stop triggers at or above its price.
  const tpYes = side === "yes" ? snapForSell(market.grid, tpRaw) : snapForBuy(market.grid, yes(tpRaw));
  const stopYes = snapPrice(market.grid, yes(stopRaw), side === "yes" ? "up" : "down");
  return {
    takeProfit: tpYes === null ? tpRaw : yes(tpYes),
    stop: stopYes === null ? stopRaw : yes(stopYes),
    deadlineMs: nowMs + 2 * 3_600_000,
  };
}

/** The built-in bounded exit price: the bid, minus one more tick per attempt, at most 5 ticks below. */
export function defaultExitPrice(
  side: Side,
  bid: PriceUnits | null,
  attempt: number,
  market: MarketInfo | undefined,
): PriceUnits | null {
  if (bid === null) return null;
  const raw = Math.max(100, bid - 100 * Math.min(attempt - 1, 5));
  if (!market) return raw;
  const yes = side === "yes" ? raw : PRICE_SCALE - raw;
  const s = side === "yes" ? snapForSell(market.grid, yes) : snapForBuy(market.grid, yes);
  return s === null ? null : side === "yes" ? s : PRICE_SCALE - s;
}

export class Account {
  readonly #d: AccountDeps;
  readonly config: ConfigStore;
  readonly scheduler: Scheduler;
  readonly feed: MarketData;
  readonly orders: OrderPath;
  readonly #markets = new Map<string, MarketInfo>();
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

  constructor(deps: AccountDeps) {
    this.#d = deps;
    for (const s of [CONFIG_SCHEMA, SCHEDULER_SCHEMA, FEED_SCHEMA]) applySchema(deps.sql, s);
    ensureHistorySchema(deps.sql);
    this.config = new ConfigStore(deps.sql);
    if (this.config.loadError) deps.log("config.load_error", { error: this.config.loadError });
    this.scheduler = new Scheduler(deps.sql, deps.nowMs, deps.log);
    const cfg = () => this.config.get();
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
      log: deps.log,
    });
    this.orders = new OrderPath({
      sql: deps.sql,
      transaction: deps.transaction,
      rest: deps.rest,
      groups: deps.groups,
      config: () => cfg().executor,
      nowMs: deps.nowMs,
      newId: deps.newId,
      log: deps.log,
      history: deps.history,
      market: (t) => this.#markets.get(t),
      book: (t) => this.feed.book(t),
      tradable: (t) => this.#tradable(t),
      exitPlanFor: defaultExitPlan,
      exitPrice: defaultExitPrice,
      checkExit: () => ({ ok: true }),
      onEvent: (e) => this.#onPathEvent(e),
    });
    this.#defineJobs();
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
    this.scheduler.runSoon("universe");
    this.scheduler.runSoon("reconcile");
    this.scheduler.runSoon("exchange");
    await this.#d.setAlarm(this.#d.nowMs());
    return { ok: true };
  }

  stop(): void {
    this.feed.stop();
  }

  /** The heartbeat and the scheduler, from the object's alarm. Returns when the next alarm should fire. */
  async alarm(): Promise<number | null> {
    if (!this.feed.running) return null;
    try {
      await this.feed.tick();
    } catch (err) {
      this.#d.log("feed.tick_failed", { error: String(err).slice(0, 200) });
    }
    const now = this.#d.nowMs();
    this.orders.keepAll();
    this.orders.refreshRestTops();
    const check = this.orders.nextCheckMs();
    if (check !== null) this.scheduler.runSoon("resolve", Math.max(0, check - now));
    for (const p of this.scheduler.startDue()) this.#track(p);
    const heartbeat = now + this.config.get().feed.heartbeatMs;
    const due = this.scheduler.nextDueMs();
    return due === null ? heartbeat : Math.max(now + 50, Math.min(heartbeat, due));
  }

  #track(p: Promise<void>): void {
    this.#jobs.add(p);
    void p.finally(() => this.#jobs.delete(p));
  }

  /** Resolves when every job started so far has finished (tests). */
  async settled(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (this.#jobs.size > 0) await Promise.all([...this.#jobs]);
      await this.orders.settled();
      if (this.#jobs.size === 0) return;
    }
  }

  // ================================================================ routing

  #onBookChanged(ticker: string): void {
    if (this.orders.holds(ticker)) this.orders.onBook(ticker);
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
      if (info) this.#markets.set(e.ticker, { ...info, ...patch });
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
    if (e.eventType === "deactivated" && this.orders.holds(e.ticker)) this.orders.keep(e.ticker);
    if (e.eventType === "settled" && this.orders.holds(e.ticker)) this.scheduler.runSoon("reconcile");
    if (e.eventType !== "metadata_updated") this.scheduler.runSoon("universe", 1_000);
  }

  #onConnected(): void {
    this.orders.markReconcileNeeded();
    this.scheduler.runSoon("reconcile");
  }

  #onPathEvent(e: PathEvent): void {
    switch (e.kind) {
      case "position_opened":
        this.#d.log("position.opened", {
          ticker: e.position.ticker,
          side: e.position.side,
          contracts: e.position.contracts,
        });
        return;
      case "position_closed":
        this.#d.log("position.closed", {
          ticker: e.roundTrip.ticker,
          reason: e.roundTrip.reason,
          pnl: e.roundTrip.pnl,
        });
        return;
      case "recon_diff":
        this.#d.log("reconcile.difference", {
          kind: e.diff.kind,
          ticker: e.diff.ticker,
          blocking: e.diff.blocking,
        });
        return;
      case "reconciled":
        this.#lastReconcileOkMs = e.atMs;
        return;
      default:
        return;
    }
  }

  // ================================================================ entries

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
    return out;
  }

  /** New orders are accepted in `ticker` now (exits included): market active, exchange trading. */
  #tradable(ticker: string): boolean {
    if (this.#exchange.tradingActive === false) return false;
    const m = this.#markets.get(ticker);
    return m === undefined || m.status === "active";
  }

  /**
   * A manual order from the operator: the same journal and checks as any entry. A sell of a held
   * position is an exit; anything else must pass the entry gates.
   */
  submitManual(
    intent: Intent,
  ): { ok: true; intentId: string } | { ok: false; code: string; message: string } {
    const held = this.orders.positions().find((h) => h.position.ticker === intent.ticker);
    const exit = intent.action === "sell" && held !== undefined && held.position.side === intent.side;
    if (!exit) {
      const blockers = this.entryBlockers(intent.ticker);
      const first = blockers[0];
      if (first) return { ok: false, code: first.code, message: first.message };
    } else if (intent.count > held.position.contracts) {
      return {
        ok: false,
        code: "exceeds_position",
        message: `a sell of ${intent.count} exceeds the position of ${held.position.contracts}`,
      };
    }
    const r = this.orders.submit({
      ...intent,
      positionId: exit ? held.position.positionId : intent.positionId,
    });
    return r.ok ? { ok: true, intentId: r.order.intentId } : r;
  }

  requestExit(ticker: string, reason: ExitReason): void {
    this.orders.requestExit(ticker, reason);
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
    s.define("flush", {
      intervalMs: cfg().history.flushMs,
      retryBaseMs: 5_000,
      run: () => this.flushHistory(),
    });
    s.define("retention", { intervalMs: 3_600_000, run: async () => this.#retentionJob() }, 60_000);
    s.define("orderGroups", {
      intervalMs: cfg().jobs.orderGroupsMs,
      run: async () => {
        await this.orders.ensureOrderGroups(this.#shards());
        return { ok: true };
      },
    });
  }

  #shards(): number[] {
    const out = new Set<number>();
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
    for (const m of withFees) this.#markets.set(m.ticker, m);
    // Markets no longer listed as open keep their last info while held (their exits still need it).
    for (const t of [...this.#markets.keys()])
      if (!chosen.has(t) && !mustKeep.has(t)) this.#markets.delete(t);
    this.feed.applyUniverse(withFees, sel.selected);
    await this.orders.ensureOrderGroups(this.#shards());
    await this.feed.syncSubscriptions();
    return { ok: true, detail: `${sel.selected.length} markets` };
  }

  /** Sends the outbox to Supabase in batches until it is empty or a batch fails; keeps it within its bound. */
  async flushHistory(): Promise<JobOutcome> {
    const cfg = this.config.get().history;
    let sent = 0;
    for (let round = 0; round < 50; round++) {
      const r = await flushHistory({
        sql: this.#d.sql,
        client: this.#d.historyClient,
        batchSize: cfg.batchSize,
        nowMs: this.#d.nowMs(),
      });
      sent += r.sent;
      if (r.error) {
        enforceBound(this.#d.sql, cfg.outboxBound);
        return { ok: false, error: r.error };
      }
      if (!r.configured || r.sent + r.rejected < cfg.batchSize) break;
    }
    enforceBound(this.#d.sql, cfg.outboxBound);
    return { ok: true, detail: `${sent} rows sent` };
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
    return { ok: true, detail: `${deleted} rows deleted` };
  }

  outbox(): OutboxState & { supabase: boolean } {
    return {
      ...outboxState(this.#d.sql, this.config.get().history.outboxBound),
      supabase: this.#d.historyClient !== null,
    };
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
    return { ok: true };
  }

  // ================================================================ status and config

  status(): AccountStatus {
    const now = this.#d.nowMs();
    const causes = this.#accountCauses();
    const st = this.orders.journal.state();
    const working = this.orders.workingOrders();
    return {
      account: this.#d.target.accountKey,
      env: this.#d.target.ok ? this.#d.target.env : "invalid",
      running: this.feed.running,
      ready: causes.length === 0 && this.feed.status().freshBooks > 0,
      causes,
      feed: this.feed.status(),
      exchange: {
        tradingActive: this.#exchange.tradingActive,
        exchangeActive: this.#exchange.exchangeActive,
        checkedAgoMs: this.#exchange.checkedMs === null ? null : now - this.#exchange.checkedMs,
      },
      orders: { working: working.length, unknown: working.filter((o) => o.state === "pending").length },
      positions: this.orders.heldTickers().length,
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
    this.scheduler.setInterval("orderGroups", c.jobs.orderGroupsMs);
    this.scheduler.setInterval("flush", c.history.flushMs);
  }

  /** Best bid of the held side, for marks. */
  markOf(ticker: string, side: Side): PriceUnits | null {
    const b = this.feed.book(ticker);
    return b ? bidOf(b.top, side) : null;
  }
}
