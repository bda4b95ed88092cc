/**
 * The account Durable Object: one per (environment, Kalshi account), reached by name
 * (`env.ACCOUNT.getByName(accountKey)`). Wiring only: it builds the `Account` (market data, the
 * order path, the scheduler, config) from `env` and `ctx.storage.sql`, forwards the typed RPC
 * methods the Worker calls (admin API, cron), and runs the alarm: the heartbeat, then due jobs,
 * re-armed last. Everything that must survive an eviction or a deploy is in SQLite; books live in
 * memory and are rebuilt from snapshots after a restart.
 *
 * Eviction and the outbound socket: there is no hook that runs before a Durable Object is evicted,
 * and none is needed. An open outbound WebSocket keeps the object resident, so workerd never
 * evicts an object holding one. When the object does go away (deploy, crash, host move) the
 * runtime tears the isolate down with the socket in it; the next alarm or RPC builds a new object,
 * which restores its state from SQLite, resolves every order whose answer it never saw,
 * reconnects with a fresh signature and trades only on fresh snapshots.
 *
 * Only the methods below are RPC. Tests reach the internals through `runInDurableObject` and the
 * `INTERNALS` symbol (symbol-keyed members are not exposed over RPC).
 */
import { DurableObject } from "cloudflare:workers";
import type { Intent, MoneyMicros, RoundTrip } from "../../shared/domain.ts";
import { resolveTarget, secretsStatus } from "../../shared/environment.ts";
import { PresigningSigner } from "../../shared/kalshi/presign.ts";
import { formatCount } from "../../shared/kalshi/units.ts";
import type { JournalOrder, ReconDiff } from "../executor/journal.ts";
import type { OrderGroupApi, OrderPath } from "../executor/order-path.ts";
import { type FrameHandlerBookPortOptions, frameHandlerBookPort } from "../feed/book-port.ts";
import { MarketCatalogue } from "../feed/catalogue.ts";
import { lazySigner, restClientFor, signedSocketOpener } from "../feed/feed-adapters.ts";
import { historyClientFromEnv } from "../history/flush.ts";
import type { AccountSnapshot, HistoryTable } from "../history/rows.ts";
import { queryHistory } from "../history/store.ts";
import { mailSettings } from "../notify/config.ts";
import { resendSender } from "../notify/notify-jobs.ts";
import {
  type Account,
  Account as AccountCore,
  type AccountDeps,
  type AccountStatus,
  type PositionView,
} from "./account.ts";
import type { AccountConfig, ConfigUpdate } from "./account-config.ts";
import type { StoredReport } from "./account-ledger.ts";
import { sqlHistory } from "./history-recorder.ts";

/** A journal order as RPC hands it out: everything but the create request's raw body. */
export type OrderView = Omit<JournalOrder, "body">;

/** An equity mark: cash plus positions at marks, in micro-dollars, taken by each `snapshot()`. */
export interface EquityMark {
  atMs: number;
  equity: MoneyMicros;
}

/**
 * What `reviewDifference` did: `found: false` for an id the journal never had; otherwise
 * `reviewed` says whether this call reviewed it (false: reviewed before) and `reviewedMs` when.
 */
export type DifferenceReview =
  | { found: false; reviewed: false; reviewedMs: null }
  | { found: true; reviewed: boolean; reviewedMs: number };

/** Symbol-keyed test seam: not part of the RPC surface. */
export const INTERNALS: unique symbol = Symbol("account-internals");

export interface Internals {
  account: Account;
  /** Rebuilds the account with some deps replaced (clock, socket, books, REST ...), state kept. */
  rebuild(overrides: Partial<AccountDeps>): Account;
}

/**
 * Name of the account's object: state is kept per environment and account. A configuration that
 * does not resolve still gets an object (named after what was given), so its status can say why.
 */
export function accountKeyOf(env: Env): string {
  const t = resolveTarget(env);
  if (t.ok) return t.accountKey;
  const name = typeof env.ACCOUNT_NAME === "string" && env.ACCOUNT_NAME !== "" ? env.ACCOUNT_NAME : "default";
  return `invalid:${String(env.KALSHI_ENV || "unset").slice(0, 16)}:${name.slice(0, 64)}`;
}

export class AccountObject extends DurableObject<Env> {
  #account: Account;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#account = new AccountCore(this.#deps({}));
  }

  [INTERNALS](): Internals {
    return {
      account: this.#account,
      rebuild: (overrides) => {
        this.#account.feed.shutdown();
        this.#account = new AccountCore(this.#deps(overrides));
        return this.#account;
      },
    };
  }

  // ---------------------------------------------------------------- RPC

  ping(): string {
    return "pong";
  }

  /** Idempotent: starts the feed and the jobs. */
  async start(): Promise<{ ok: boolean; status: AccountStatus; cause?: { code: string; message: string } }> {
    const r = await this.#account.start();
    return r.ok
      ? { ok: true, status: this.#account.status() }
      : { ok: false, cause: r.cause, status: this.#account.status() };
  }

  async stop(): Promise<AccountStatus> {
    this.#account.stop();
    await this.ctx.storage.deleteAlarm();
    return this.#account.status();
  }

  status(): AccountStatus {
    return this.#account.status();
  }

  /**
   * The cron's watchdog: a running account whose alarm is missing or late gets it re-armed (a
   * deploy or a crash may have lost it). A stopped account is left alone: the cron never starts
   * trading on its own.
   */
  async watchdog(): Promise<{ running: boolean; rearmed: boolean }> {
    if (!this.#account.feed.running) return { running: false, rearmed: false };
    const at = await this.ctx.storage.getAlarm();
    const late = at === null || at < Date.now() - 60_000;
    if (late) await this.ctx.storage.setAlarm(Date.now());
    return { running: true, rearmed: late };
  }

  config(): AccountConfig {
    return this.#account.config.get();
  }

  updateConfig(patch: unknown): ConfigUpdate {
    return this.#account.updateConfig(patch);
  }

  orders(limit = 100, beforeMs?: number): OrderView[] {
    return this.#account.orders.journal.recentOrders(clamp(limit), beforeMs).map(viewOf);
  }

  /** One order by its intent id (= its `client_order_id`), or null when the journal has none. */
  order(intentId: string): OrderView | null {
    const o = this.#account.orders.journal.order(intentId);
    return o === undefined ? null : viewOf(o);
  }

  /**
   * Every order not yet terminal (pending, resting, partially filled), however many, newest
   * first as `orders()` lists them.
   */
  workingOrders(): OrderView[] {
    return this.#account.orders
      .workingOrders()
      .map(viewOf)
      .sort(
        (a, b) =>
          b.createdMs - a.createdMs || (a.intentId < b.intentId ? 1 : a.intentId > b.intentId ? -1 : 0),
      );
  }

  /** The account's equity marks with `sinceMs <= atMs < untilMs`, oldest first. */
  equityMarks(sinceMs: number, untilMs: number): EquityMark[] {
    return this.#account.ledger.equityMarks(sinceMs, untilMs);
  }

  positions(): PositionView[] {
    return this.#account.positionViews();
  }

  submitOrder(intent: Intent): ReturnType<Account["submitManual"]> {
    return this.#account.submitManual(intent);
  }

  async cancelOrder(intentId: string): Promise<{ result: Awaited<ReturnType<OrderPath["cancel"]>> }> {
    return { result: await this.#account.orders.cancel(intentId, "operator") };
  }

  async cancelAll(): Promise<{ cancelled: number }> {
    return { cancelled: await this.#account.orders.cancelAll("operator cancel-all") };
  }

  async flatten(): Promise<{ cancelled: number; exiting: number }> {
    return this.#account.orders.flatten("operator flatten");
  }

  halt(reason: string): AccountStatus {
    return this.#account.halt(reason);
  }

  resume(): AccountStatus {
    return this.#account.resume().status;
  }

  why(ticker: string): ReturnType<Account["why"]> {
    return this.#account.why(ticker);
  }

  markets(): ReturnType<Account["markets"]> {
    return this.#account.markets();
  }

  trades(limit = 100, beforeMs?: number): RoundTrip[] {
    return this.#account.trades(clamp(limit), beforeMs);
  }

  pnlByDay(days = 30): ReturnType<Account["pnlByDay"]> {
    return this.#account.pnlByDay(Math.min(Math.max(days, 1), 366));
  }

  reconciliationDifferences(onlyOpen = false): ReconDiff[] {
    return this.#account.orders.journal.diffs(200, onlyOpen);
  }

  /** Marks a reconciliation difference reviewed (a blocking one stops blocking entries). */
  reviewDifference(id: string): DifferenceReview {
    // Read and write with nothing awaited between them: no other call can review it in between.
    const known = this.#account.differenceReviewedMs(id);
    if (known === null) return { found: false, reviewed: false, reviewedMs: null };
    if (known.reviewedMs !== null) return { found: true, reviewed: false, reviewedMs: known.reviewedMs };
    const now = Date.now();
    this.#account.orders.journal.reviewDiff(id, now);
    return { found: true, reviewed: true, reviewedMs: now };
  }

  /** One page of history from the object's SQLite (newest first). */
  history(
    table: HistoryTable,
    q: { since?: number; until?: number; cursor?: string; limit: number },
  ): ReturnType<typeof queryHistory> {
    return queryHistory(this.ctx.storage.sql, table, q);
  }

  outbox(): ReturnType<Account["outbox"]> {
    return this.#account.outbox();
  }

  /** The rows Supabase refused, back in the outbox for the next flush. */
  requeueOutbox(): { requeued: number } {
    return this.#account.requeueOutbox();
  }

  reports(limit = 30, day?: string): StoredReport[] {
    return this.#account.ledger.reports(clamp(limit), day);
  }

  sendReport(day?: string): ReturnType<Account["sendReportNow"]> {
    return this.#account.sendReportNow(day);
  }

  /** The 5-minute account snapshot (cron). */
  snapshot(): AccountSnapshot {
    return this.#account.snapshot();
  }

  /** Sends the history outbox to Supabase now (cron). */
  async flushHistory(): Promise<{ ok: boolean; error?: string }> {
    await this.#account.scheduler.runNow("flush");
    const j = this.#account.scheduler.status().find((x) => x.job === "flush");
    return j?.lastOk ? { ok: true } : { ok: false, error: j?.lastError ?? "not run" };
  }

  /** Deletes history past its retention now (cron). */
  async retention(): Promise<{ ok: boolean }> {
    await this.#account.scheduler.runNow("retention");
    return { ok: true };
  }

  override async alarm(): Promise<void> {
    let next: number | null = null;
    try {
      next = await this.#account.alarm();
    } catch (err) {
      console.error(JSON.stringify({ event: "alarm_failed", error: String(err).slice(0, 200) }));
      next = Date.now() + 5_000;
    }
    // Armed last, so a slow heartbeat never overlaps the next one.
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  // ---------------------------------------------------------------- wiring

  #deps(o: Partial<AccountDeps>): AccountDeps {
    const env = this.env;
    const nowMs = o.nowMs ?? (() => Date.now());
    const log = o.log ?? deferredConsole();
    const signer = lazySigner(env.KALSHI_KEY_ID ?? "", env.KALSHI_PRIVATE_KEY ?? "");
    const resolved = resolveTarget(env);
    const target: AccountDeps["target"] = resolved.ok
      ? { ok: true, env: resolved.env, accountKey: resolved.accountKey }
      : { ok: false, code: resolved.code, message: resolved.message, accountKey: accountKeyOf(env) };
    // An unresolved target gets unroutable URLs: nothing is ever sent while `start` refuses.
    const restBase = resolved.ok ? resolved.restBase : "http://invalid.invalid/trade-api/v2";
    const wsUrl = resolved.ok ? resolved.wsUrl : "http://invalid.invalid/trade-api/ws/v2";
    // The order create's signature is prepared ahead (the body is not signed): signing leaves the hot path.
    const presigner = new PresigningSigner(signer, {
      paths: [{ method: "POST", path: `${new URL(restBase).pathname}/portfolio/events/orders` }],
    });
    const rest = o.rest ?? restClientFor(restBase, presigner);
    const bookOpts: FrameHandlerBookPortOptions = { nowMs, log };
    return {
      sql: this.ctx.storage.sql,
      transaction: (fn) => this.ctx.storage.transactionSync(fn),
      setAlarm:
        o.setAlarm ??
        (async (atMs) => {
          await this.ctx.storage.setAlarm(atMs);
        }),
      target: o.target ?? target,
      secrets: o.secrets ?? { kalshiKey: secretsStatus(env).kalshiKey === "present" },
      rest,
      catalogue: o.catalogue ?? new MarketCatalogue(rest, { log, nowMs }),
      groups: o.groups !== undefined ? o.groups : orderGroupsOf(rest),
      books: o.books ?? frameHandlerBookPort(bookOpts),
      openSocket: o.openSocket ?? signedSocketOpener(wsUrl, signer),
      history: o.history ?? sqlHistory(this.ctx.storage.sql, target.accountKey, nowMs),
      historyClient: o.historyClient !== undefined ? o.historyClient : historyClientFromEnv(env),
      mail: o.mail !== undefined ? o.mail : mailOf(env),
      presigner: o.presigner !== undefined ? o.presigner : o.rest ? null : presigner,
      nowMs,
      random: o.random ?? Math.random,
      newId: o.newId ?? (() => crypto.randomUUID()),
      log,
    };
  }
}

function viewOf({ body: _body, ...order }: JournalOrder): OrderView {
  return order;
}

function clamp(limit: number): number {
  return Math.min(Math.max(Math.floor(limit) || 1, 1), 500);
}

/**
 * The Worker's log, one JSON line per event, written a moment later in a batch: a log call on the
 * hot path (an entry sent) would otherwise hold the event loop, and with it the order request
 * just handed to `fetch`, for as long as the runtime takes to write the line (measured: ~3 ms at
 * p50 under `wrangler dev`, bench/tick-to-order.bench.ts). What must survive is in history, not here.
 */
export function deferredConsole(
  write: (line: string) => void = (line) => console.log(line),
  delayMs = 20,
): (event: string, data?: Record<string, unknown>) => void {
  let lines: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const out = lines;
    lines = [];
    for (const line of out) write(line);
  };
  return (event, data) => {
    lines.push(JSON.stringify({ event, ...data }));
    if (scheduled) return;
    scheduled = true;
    setTimeout(flush, delayMs);
  };
}

/** Resend from the Worker's secrets and vars, or null (mail off) when they are incomplete. */
function mailOf(env: Env): AccountDeps["mail"] {
  const m = mailSettings(env);
  return m.ok ? resendSender(m.settings) : null;
}

/** Order groups through the REST client: one group per shard, created with the configured cap. */
function orderGroupsOf(rest: AccountDeps["rest"]): OrderGroupApi {
  return {
    async create(exchangeIndex, contractsLimit) {
      const r = await rest.createOrderGroup({
        contracts_limit_fp: formatCount(contractsLimit),
        exchange_index: exchangeIndex,
      });
      return r.ok
        ? { ok: true, value: { groupId: r.value.order_group_id } }
        : { ok: false, failure: r.failure };
    },
    async reset(groupId, exchangeIndex) {
      const r = await rest.resetOrderGroup(groupId, { exchange_index: exchangeIndex });
      return r.ok ? { ok: true, value: r.value } : { ok: false, failure: r.failure };
    },
  };
}
