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
import type { Intent } from "../../shared/domain.ts";
import { resolveTarget, secretsStatus } from "../../shared/environment.ts";
import { type FrameHandlerBookPortOptions, frameHandlerBookPort } from "../feed/book-port.ts";
import { MarketCatalogue } from "../feed/catalogue.ts";
import { lazySigner, restClientFor, signedSocketOpener } from "../feed/feed-adapters.ts";
import { historyClientFromEnv } from "../history/flush.ts";
import { type Account, Account as AccountCore, type AccountDeps, type AccountStatus } from "./account.ts";
import type { ConfigUpdate } from "./account-config.ts";
import { sqlHistory } from "./history-recorder.ts";

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

  /** Idempotent: starts the feed and the jobs (the cron keep-alive calls it too). */
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

  /** Re-arms the alarm when it is missing or late (the cron watchdog). */
  async watchdog(): Promise<{ rearmed: boolean }> {
    if (!this.#account.feed.running) return { rearmed: false };
    const at = await this.ctx.storage.getAlarm();
    const late = at === null || at < Date.now() - 60_000;
    if (late) await this.ctx.storage.setAlarm(Date.now());
    return { rearmed: late };
  }

  config(): unknown {
    return this.#account.config.get();
  }

  updateConfig(patch: unknown): ConfigUpdate {
    return this.#account.updateConfig(patch);
  }

  orders(limit = 100, beforeMs?: number): unknown[] {
    return this.#account.orders.journal
      .recentOrders(Math.min(Math.max(limit, 1), 500), beforeMs)
      .map(({ body: _b, ...o }) => o);
  }

  positions(): unknown[] {
    return this.#account.orders.positions();
  }

  submitOrder(intent: Intent): ReturnType<Account["submitManual"]> {
    return this.#account.submitManual(intent);
  }

  async cancelOrder(intentId: string): Promise<{ result: string }> {
    return { result: await this.#account.orders.cancel(intentId, "operator") };
  }

  async cancelAll(): Promise<{ cancelled: number }> {
    return { cancelled: await this.#account.orders.cancelAll("operator cancel-all") };
  }

  async flatten(): Promise<{ cancelled: number; exiting: number }> {
    return this.#account.orders.flatten("operator flatten");
  }

  reconciliationDifferences(onlyOpen = false): unknown[] {
    return this.#account.orders.journal.diffs(200, onlyOpen);
  }

  reviewDifference(id: string): { reviewed: boolean } {
    return { reviewed: this.#account.orders.journal.reviewDiff(id, Date.now()) };
  }

  /** Sends the history outbox to Supabase now (the cron's flush job). */
  async flushHistory(): Promise<{ ok: boolean; detail?: string; error?: string }> {
    await this.#account.scheduler.runNow("flush");
    const j = this.#account.scheduler.status().find((x) => x.job === "flush");
    return j?.lastOk ? { ok: true } : { ok: false, error: j?.lastError ?? "not run" };
  }

  roundTrips(limit = 100, beforeMs?: number): unknown[] {
    return this.#account.orders.journal.roundTrips(Math.min(Math.max(limit, 1), 500), 0, beforeMs);
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
    const log =
      o.log ??
      ((event: string, data?: Record<string, unknown>) => console.log(JSON.stringify({ event, ...data })));
    const signer = lazySigner(env.KALSHI_KEY_ID ?? "", env.KALSHI_PRIVATE_KEY ?? "");
    const resolved = resolveTarget(env);
    const target: AccountDeps["target"] = resolved.ok
      ? { ok: true, env: resolved.env, accountKey: resolved.accountKey }
      : { ok: false, code: resolved.code, message: resolved.message, accountKey: accountKeyOf(env) };
    // An unresolved target gets unroutable URLs: nothing is ever sent while `start` refuses.
    const restBase = resolved.ok ? resolved.restBase : "http://invalid.invalid/trade-api/v2";
    const wsUrl = resolved.ok ? resolved.wsUrl : "http://invalid.invalid/trade-api/ws/v2";
    const rest = o.rest ?? restClientFor(restBase, signer);
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
      groups: o.groups ?? null,
      books: o.books ?? frameHandlerBookPort(bookOpts),
      openSocket: o.openSocket ?? signedSocketOpener(wsUrl, signer),
      history: o.history ?? sqlHistory(this.ctx.storage.sql, target.accountKey, nowMs),
      historyClient: o.historyClient !== undefined ? o.historyClient : historyClientFromEnv(env),
      nowMs,
      random: o.random ?? Math.random,
      newId: o.newId ?? (() => crypto.randomUUID()),
      log,
    };
  }
}
