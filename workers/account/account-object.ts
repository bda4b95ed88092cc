/**
 * The feed Durable Object: one per Kalshi account. Wiring only: it builds the runtime's
 * deps from env and storage (SQLite-backed sync KV for what must survive an eviction:
 * running flag, wanted markets, breaker), forwards the RPCs, and runs the alarm heartbeat,
 * re-armed last. Books live in memory and are rebuilt from snapshots after a restart.
 * Logic lives in `feed-runtime.ts` and the pure modules next to it.
 *
 * Eviction and the outbound socket: there is no hook that runs before a Durable Object is evicted,
 * and none is needed. An open outbound WebSocket keeps the object resident (that is the point: the
 * feed must stay up), so workerd never evicts an object holding one ("still has active references";
 * `evictDurableObject` waits, with `webSockets: "close"` too, which only concerns hibernatable
 * server-side sockets, and an outbound socket cannot be handed to `ctx.acceptWebSocket`). When the
 * object does go away (deploy, crash, host move) the runtime tears the isolate down with the socket
 * in it; the next alarm or RPC builds a new object, which restores running/wanted/breaker from
 * storage, reconnects with a fresh signature and trades only on fresh snapshots. Tests that evict
 * therefore drop the socket first, which is what a real restart does to it.
 */
import { DurableObject } from "cloudflare:workers";
import type { RequestSigner } from "../../shared/kalshi/rest-client.ts";
import { frameHandlerBookPort } from "../feed/book-port.ts";
import { lazySigner, restClientFor, signedSocketOpener } from "../feed/feed-adapters.ts";
import type { FeedConfig } from "../feed/feed-config.ts";
import { DEFAULT_FEED_CONFIG } from "../feed/feed-config.ts";
import type { FeedDeps, FeedStatus } from "../feed/feed-runtime.ts";
import { FeedRuntime } from "../feed/feed-runtime.ts";
import type { BookDepth } from "../feed/ports.ts";
import { kalshiRestPort } from "../feed/rest-port.ts";

export type { FeedStatus } from "../feed/feed-runtime.ts";

export class AccountObject extends DurableObject<Env> {
  #rt: FeedRuntime;
  #config: FeedConfig = DEFAULT_FEED_CONFIG;
  #signer: RequestSigner | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#rt = new FeedRuntime(this.#deps({}));
  }

  ping(): string {
    return "pong";
  }

  /**
   * Idempotent and cheap, so a cron keep-alive or `wrangler dev` can call it every few minutes:
   * marks the feed running (persisted) and arms the heartbeat unless one is already pending.
   */
  async start(): Promise<FeedStatus> {
    this.#rt.start();
    if ((await this.ctx.storage.getAlarm()) === null) await this.#arm(0);
    return this.#rt.status();
  }

  async stop(): Promise<FeedStatus> {
    this.#rt.stop();
    await this.ctx.storage.deleteAlarm();
    return this.#rt.status();
  }

  status(): FeedStatus {
    return this.#rt.status();
  }

  /** May the strategy open a position on this market now (fresh book, no breaker)? */
  canEnter(ticker: string): boolean {
    return this.#rt.canEnter(ticker);
  }

  override async alarm(): Promise<void> {
    try {
      await this.#rt.tick();
    } catch (err) {
      console.error(JSON.stringify({ event: "feed.tick_failed", error: String(err).slice(0, 200) }));
    }
    // Armed last, so a slow tick never overlaps the next one.
    if (this.#rt.running) await this.#arm(this.#config.heartbeatMs);
  }

  /** Test hook: replace some deps (clock, socket opener, books, REST) and rebuild the runtime from storage. */
  __useDeps(overrides: Partial<FeedDeps>): void {
    this.#rt.shutdown();
    this.#rt = new FeedRuntime(this.#deps(overrides));
  }

  /** Full depth of a fresh book (admin, end-to-end tests); undefined when unknown or stale. */
  bookDepth(ticker: string): BookDepth | undefined {
    return this.#rt.bookDepth(ticker);
  }

  /** Test hook: the runtime itself, for driving steps directly. */
  __runtime(): FeedRuntime {
    return this.#rt;
  }

  #deps(o: Partial<FeedDeps>): FeedDeps {
    const config = o.config ?? this.#config;
    this.#config = config;
    const nowMs = o.nowMs ?? (() => Date.now());
    const log =
      o.log ??
      ((event: string, data?: Record<string, unknown>) => console.log(JSON.stringify({ event, ...data })));
    this.#signer ??= lazySigner(this.env.KALSHI_KEY_ID, this.env.KALSHI_PRIVATE_KEY);
    return {
      config,
      nowMs,
      random: o.random ?? Math.random,
      store: o.store ?? this.ctx.storage.kv,
      books: o.books ?? frameHandlerBookPort({ nowMs, log }),
      rest: o.rest ?? kalshiRestPort(restClientFor(this.env, this.#signer), { nowMs: () => Date.now(), log }),
      openSocket: o.openSocket ?? signedSocketOpener(this.env, this.#signer),
      log,
    };
  }

  async #arm(delayMs: number): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + delayMs);
  }
}
