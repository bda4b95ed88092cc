/**
 * The feed's orchestration, free of Durable Object APIs: one connection at a time through an
 * injected socket opener, the subscription registry, the liveness heartbeat, the market
 * universe, resyncs, quiet-sid proofs, the REST cross-check and the disconnect breaker.
 * Everything it touches comes in through `FeedDeps` (clock, randomness, storage, REST, books,
 * socket), so the Durable Object (`feed-object.ts`) only builds the deps, forwards RPCs and
 * arms the alarm, and tests can drive every path with fakes. The decisions and the state they
 * need live in modules next to it (liveness, breaker, stale-resnapshot, sid-activity, quiet-proof,
 * feed-status, feed-counters, ...); this class carries their answers out.
 */
import { nextBackoffMs } from "./backoff.ts";
import type { BreakerState } from "./breaker.ts";
import { breakerMayClear, closedBreaker, entriesAllowed, trippedBreaker } from "./breaker.ts";
import { takeRandom, topsMatch } from "./cross-check.ts";
import type { FeedConfig } from "./feed-config.ts";
import { FeedCounters } from "./feed-counters.ts";
import type { BookStatus, FeedStatus, SubscriptionStatus } from "./feed-status.ts";
import { bookStatus, channelSilences, frameAgesByType, subscriptionStatuses } from "./feed-status.ts";
import type { CommandOutcome, ServerError } from "./kalshi-session.ts";
import { bindSocket, KalshiSession } from "./kalshi-session.ts";
import { changesUniverse } from "./lifecycle-events.ts";
import type { LivenessAction, LivenessState, SocketState } from "./liveness.ts";
import { checkLiveness } from "./liveness.ts";
import type { BookDepth, BookPort, FrameResult, OpenSocketResult, RestPort, SocketOpener } from "./ports.ts";
import type { ProofRequest } from "./quiet-proof.ts";
import { proofParams, proofsDue } from "./quiet-proof.ts";
import { SidActivity } from "./sid-activity.ts";
import { StaleResnapshots } from "./stale-resnapshot.ts";
import type { Channel, LiveSubscriptions, SubscriptionCommand } from "./subscriptions.ts";
import { applyConfirmed, isChannel, planSubscriptions, snapshotParams } from "./subscriptions.ts";
import type { MarketInfo } from "./universe.ts";
import { selectUniverse } from "./universe.ts";

/** Persisted (SQLite-backed sync KV) keys. */
export const STORE_KEYS = {
  running: "feed/running",
  wanted: "feed/wanted",
  breaker: "feed/breaker",
} as const;

export interface FeedStore {
  get<T = unknown>(key: string): T | undefined;
  put<T>(key: string, value: T): void;
}

export interface FeedDeps {
  config: FeedConfig;
  nowMs: () => number;
  random: () => number;
  store: FeedStore;
  books: BookPort;
  rest: RestPort;
  openSocket: SocketOpener;
  /** Structured log line; never receives secrets. */
  log: (event: string, data?: Record<string, unknown>) => void;
}

export type { BookStatus, BreakerState, FeedStatus, SubscriptionStatus };

export class FeedRuntime {
  readonly #d: FeedDeps;
  #running = false;
  #wanted: string[] = [];
  #breaker: BreakerState = closedBreaker();
  #session: KalshiSession | null = null;
  #socket: SocketState = "idle";
  #openedAtMs: number | null = null;
  #lastFrameMs: number | null = null;
  #downSinceMs: number | null = null;
  #probeSentMs: number | null = null;
  /** send time of the last answered probe on this socket */
  #probeAnsweredSentMs: number | null = null;
  #attempt = 0;
  #nextReconnectAtMs: number | null = null;
  #live: LiveSubscriptions = {};
  #synced = false;
  #busy = { connecting: false, syncing: false, refreshing: false, crossChecking: false };
  #lastFrameByType: Record<string, number> = {};
  /** per-sid frames, proofs and pending snapshots on this socket */
  readonly #sids = new SidActivity();
  /** books the heartbeat has seen stale: since when, and the per-market backoff of its re-requests */
  readonly #staleBooks = new StaleResnapshots();
  #universeDueMs = 0;
  #crossCheckDueMs = 0;
  #markets = new Map<string, MarketInfo>();
  readonly #counters: FeedCounters;

  constructor(deps: FeedDeps) {
    this.#d = deps;
    this.#counters = new FeedCounters((event, data) => deps.log(event, data));
    const s = deps.store;
    this.#running = s.get<boolean>(STORE_KEYS.running) ?? false;
    this.#wanted = s.get<string[]>(STORE_KEYS.wanted) ?? [];
    this.#breaker = s.get<BreakerState>(STORE_KEYS.breaker) ?? this.#breaker;
    this.#d.books.setMarkets(this.#wanted);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Idempotent. The caller arms the alarm; the first heartbeat connects. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#d.store.put(STORE_KEYS.running, true);
    this.#universeDueMs = 0;
  }

  stop(): void {
    this.#running = false;
    this.#d.store.put(STORE_KEYS.running, false);
    this.shutdown();
  }

  /** Closes the socket without touching persisted state (the object is being replaced). */
  shutdown(): void {
    this.#dropSession("stopped");
    this.#socket = "idle";
  }

  /** The heartbeat: expire commands, act on the liveness decision, refresh and cross-check when due. */
  async tick(): Promise<void> {
    if (!this.#running) return;
    const now = this.#d.nowMs();
    this.#session?.expire(now);
    const actions = checkLiveness(this.#livenessState(), now, this.#d.config);
    const reconnecting = actions.some((a) => a.kind === "reconnect");
    for (const a of actions) await this.#act(a, reconnecting);
    this.#pruneBooks();
    if (this.#socket !== "open") return;
    if (!this.#synced) await this.syncSubscriptions();
    this.#resnapshotStale(now);
    this.#proveQuietSids(now);
    if (now >= this.#universeDueMs) await this.refreshUniverse();
    if (now >= this.#crossCheckDueMs && this.#synced) await this.crossCheck();
    this.#maybeClearBreaker();
  }

  /** May the strategy open a position on `ticker` now? */
  canEnter(ticker: string): boolean {
    if (!this.#entriesAllowed()) return false;
    return this.#bookStatus(ticker, this.#d.nowMs()).fresh;
  }

  /** Closes the socket and opens a new, freshly signed one (unless backing off). */
  async reconnect(reason: string): Promise<void> {
    if (this.#busy.connecting || !this.#running) return;
    this.#busy.connecting = true;
    try {
      this.#dropSession(reason);
      this.#socket = "connecting";
      this.#count("connect_attempts");
      let r: OpenSocketResult;
      try {
        r = await this.#d.openSocket();
      } catch (err) {
        // An opener bug must not leave the feed "connecting" forever: treat it as a failed connect.
        r = { ok: false, reason: `opener threw: ${String(err).slice(0, 200)}` };
      }
      const now = this.#d.nowMs();
      if (!r.ok) {
        this.#socket = "closed";
        this.#nextReconnectAtMs = now + this.#backoff();
        this.#count("connect_failures");
        this.#d.log("feed.connect_failed", { reason: r.reason, attempt: this.#attempt });
        return;
      }
      if (!this.#running) {
        r.socket.close(1000, "stopped");
        this.#socket = "idle";
        return;
      }
      this.#attach(r.socket, now, reason);
    } finally {
      this.#busy.connecting = false;
    }
    if (this.#isOpen()) {
      await this.syncSubscriptions();
      const ok = await this.#d.rest.reconcilePrivate();
      this.#count(ok ? "reconciles" : "reconcile_failures");
    }
  }

  /** Wraps an accepted socket in a session and makes it the current one. */
  #attach(socket: WebSocket, now: number, reason: string): void {
    const session = new KalshiSession(
      { send: (s) => socket.send(s), close: (c, why) => socket.close(c, why) },
      {
        onFrame: (text) => this.#onFrame(text),
        onClose: (code, why) => this.#onClose(session, code, why),
        onServerError: (e) => this.#onServerError(e),
        onHandlerError: (err) => this.#logOnce("handler_error", String(err)),
      },
      { nowMs: this.#d.nowMs, timeoutMs: this.#d.config.commandTimeoutMs },
    );
    bindSocket(socket, session);
    this.#session = session;
    this.#socket = "open";
    this.#openedAtMs = now;
    this.#lastFrameMs = null;
    this.#nextReconnectAtMs = null;
    this.#d.log("feed.connected", { attempt: this.#attempt, reason });
  }

  /** Sends the commands that make the socket's subscriptions match `wanted`, until in sync. */
  async syncSubscriptions(): Promise<void> {
    if (this.#busy.syncing) return;
    this.#busy.syncing = true;
    try {
      for (let round = 0; round < 4; round++) {
        const session = this.#session;
        if (!session || session.closed) return;
        const plan = planSubscriptions(this.#wanted, this.#live);
        if (plan.length === 0) {
          if (!this.#synced) this.#attempt = 0; // a healthy session resets the backoff
          this.#synced = true;
          return;
        }
        this.#synced = false;
        const outcomes = await Promise.all(plan.map((c) => this.#sendSubscription(session, c)));
        if (session !== this.#session) return;
        if (outcomes.some((ok) => !ok)) return; // retried on the next heartbeat
      }
    } finally {
      this.#busy.syncing = false;
    }
  }

  /** Reloads markets over REST, applies the filters and moves the subscriptions. */
  async refreshUniverse(): Promise<void> {
    if (this.#busy.refreshing) return;
    this.#busy.refreshing = true;
    try {
      const now = this.#d.nowMs();
      this.#universeDueMs = now + this.#d.config.universeRefreshMs;
      const markets = await this.#d.rest.listMarkets();
      if (markets === null) {
        this.#count("universe_failures");
        return;
      }
      this.#markets = new Map(markets.map((m) => [m.ticker, m]));
      const tops = (t: string) => {
        const b = this.#bookStatus(t, now);
        return b.fresh ? this.#d.books.view(t)?.top : undefined;
      };
      const r = selectUniverse(markets, tops, this.#d.config.universe, now);
      this.setWanted(r.selected.map((e) => e.ticker));
      this.#d.books.setMarketInfo?.(markets);
      this.#count("universe_refreshes");
    } finally {
      this.#busy.refreshing = false;
    }
    await this.syncSubscriptions();
  }

  /** Replaces the wanted market set (persisted); the next sync moves the socket. */
  setWanted(tickers: readonly string[]): void {
    const next = [...new Set(tickers)].sort();
    if (next.length === this.#wanted.length && next.every((t, i) => t === this.#wanted[i])) return;
    this.#wanted = next;
    this.#d.store.put(STORE_KEYS.wanted, next);
    this.#d.books.setMarkets(next);
    this.#synced = false;
    this.#pruneBooks();
  }

  /** Compares a sample of streamed tops with REST; counts mismatches. */
  async crossCheck(): Promise<void> {
    if (this.#busy.crossChecking) return;
    this.#busy.crossChecking = true;
    try {
      const now = this.#d.nowMs();
      this.#crossCheckDueMs = now + this.#d.config.crossCheckMs;
      const fresh = this.#wanted.filter((t) => this.#bookStatus(t, now).fresh);
      const n = Math.min(this.#d.config.crossCheckSample, fresh.length);
      for (let i = 0; i < n; i++) {
        const pick = takeRandom(fresh, this.#d.random());
        if (pick === undefined) break;
        const rest = await this.#d.rest.orderbookTop(pick);
        const ours = this.#d.books.view(pick)?.top;
        if (!rest || !ours) continue;
        this.#count("cross_checks");
        if (!topsMatch(rest, ours)) {
          this.#count("cross_check_mismatches");
          this.#logOnce("cross_check_mismatch", JSON.stringify({ ticker: pick, rest, ours }));
        }
      }
    } finally {
      this.#busy.crossChecking = false;
    }
  }

  /** Full depth of a fresh book (tests, admin). */
  bookDepth(ticker: string): BookDepth | undefined {
    return this.#d.books.depth?.(ticker);
  }

  /**
   * Resolves once every frame the server sent before now has been handled: the server answers
   * commands in order, so the reply to a `list_subscriptions` sent now comes after them.
   */
  async barrier(): Promise<boolean> {
    const session = this.#session;
    if (!session || session.closed) return false;
    const o = await session.send("list_subscriptions");
    return o.ok;
  }

  market(ticker: string): MarketInfo | undefined {
    return this.#markets.get(ticker);
  }

  status(): FeedStatus {
    const now = this.#d.nowMs();
    return {
      running: this.#running,
      socket: this.#socket,
      openedAtMs: this.#openedAtMs,
      lastFrameAgeMs: this.#lastFrameMs === null ? null : now - this.#lastFrameMs,
      reconnectAttempt: this.#attempt,
      nextReconnectAtMs: this.#nextReconnectAtMs,
      breaker: { ...this.#breaker },
      entriesAllowed: this.#entriesAllowed(),
      wanted: [...this.#wanted],
      subscriptions: subscriptionStatuses(
        this.#live,
        (sid) => this.#heardOnSid(sid, now),
        this.#d.config.channelSilenceMs,
        now,
      ),
      lastFrameAgeByType: frameAgesByType(this.#lastFrameByType, now),
      books: this.#wanted.map((t) => this.#bookStatus(t, now)),
      counters: { ...this.#d.books.counters(), ...this.#counters.snapshot() },
    };
  }

  /** Test and admin hook: drop the socket as if the network failed. */
  dropSocket(reason: string): void {
    this.#session?.close(4000, reason);
  }

  async #act(a: LivenessAction, reconnecting: boolean): Promise<void> {
    const now = this.#d.nowMs();
    if (a.kind === "reconnect") {
      this.#count("reconnects");
      this.#d.log("feed.reconnect", { reason: a.reason });
      await this.reconnect(a.reason);
    } else if (a.kind === "probe") {
      const session = this.#session;
      if (!session) return;
      this.#probeSentMs = now;
      this.#count("probes");
      void session.send("list_subscriptions").then((o) => {
        if (session !== this.#session || !o.ok) return;
        this.#probeSentMs = null;
        this.#probeAnsweredSentMs = now;
      });
    } else if (a.kind === "resubscribe") {
      this.#resubscribeSilent(a.channel, a.reason);
    } else if (a.kind === "trip-breaker") {
      this.#setBreaker(trippedBreaker(a.reason, now));
      this.#count("breaker_trips");
      this.#d.log("feed.breaker_tripped", { reason: a.reason });
      // Entries resume only on fresh snapshots: a silent socket is replaced, not trusted again.
      if (this.#socket === "open" && !reconnecting) await this.reconnect(a.reason);
    } else {
      this.#maybeClearBreaker();
    }
  }

  #onFrame(text: string): void {
    const now = this.#d.nowMs();
    this.#lastFrameMs = now;
    const r: FrameResult = this.#d.books.onFrame(text, now);
    if (r.type !== undefined) this.#lastFrameByType[r.type] = now;
    this.#sids.frame(r.sid, r.type, now);
    for (const e of r.effects) {
      if (e.kind === "resync") this.#resync(e.sid, e.tickers);
      else this.#resubscribe(e.sid, `subscription error ${e.code}`);
    }
    if (r.type === "market_lifecycle_v2") this.#onLifecycle(text, now);
    else if (r.type === "orderbook_snapshot" && this.#breaker.tripped) this.#maybeClearBreaker();
  }

  #resync(sid: number, requested: string[]): void {
    const session = this.#session;
    // Only markets the socket holds: a get_snapshot naming another one would be refused.
    const held = new Set(this.#live.orderbook_delta?.markets ?? []);
    const tickers = requested.filter((t) => held.has(t));
    if (!session || tickers.length === 0) return;
    this.#count("resyncs_requested");
    this.#d.log("feed.resync", { sid, markets: tickers.length, tickers: tickers.slice(0, 20) });
    void this.#requestSnapshots(session, sid, tickers).then((o) => {
      // No answer: the seq stream is not trustworthy any more; start over.
      if (!o.ok && session === this.#session) void this.reconnect(`resync failed (${o.kind})`);
    });
  }

  #onLifecycle(text: string, now: number): void {
    this.#count("lifecycle_events");
    if (changesUniverse(text)) this.#universeDueMs = now; // the next heartbeat refreshes; bursts of events coalesce
  }

  /** An error frame no command claims: counted per code, logged once per code with a sample. */
  #onServerError(e: ServerError): void {
    this.#count("server_errors");
    this.#count(`server_error_${e.code}`);
    this.#logOnce(`server_error_${e.code}`, e.sample);
    // 10 channel error and 25 buffer overflow end that subscription only: subscribe the channel again.
    if ((e.code === 10 || e.code === 25) && e.sid !== undefined)
      this.#resubscribe(e.sid, `server error ${e.code}`);
  }

  /**
   * A channel silent past its limit on a socket that answers probes: end the old subscription
   * (best effort, it may still be live on the server, where subscribing again would be a no-op)
   * and subscribe the channel again, with fresh snapshots for the books.
   */
  #resubscribeSilent(channel: string, reason: string): void {
    const sub = isChannel(channel) ? this.#live[channel] : undefined;
    const session = this.#session;
    if (!sub || !session) return;
    this.#count("silent_channel_resubscribes");
    void session.send("unsubscribe", { sids: [sub.sid] });
    this.#resubscribe(sub.sid, reason);
  }

  /** Forgets the channel on `sid` (idempotent) and lets the planner subscribe it again, with fresh snapshots. */
  #resubscribe(sid: number, reason: string): void {
    const entry = Object.entries(this.#live).find(([, s]) => s.sid === sid);
    if (!entry) return;
    const next: LiveSubscriptions = { ...this.#live };
    delete next[entry[0] as Channel];
    this.#live = next;
    this.#synced = false;
    this.#sids.forget(sid);
    this.#count("resubscribes_requested");
    this.#d.log("feed.resubscribe", { channel: entry[0], sid, reason });
    void this.syncSubscriptions();
  }

  #onClose(session: KalshiSession, code: number, reason: string): void {
    if (session !== this.#session) return;
    this.#d.log("feed.socket_closed", { code, reason });
    this.#session = null;
    this.#afterLoss();
    this.#nextReconnectAtMs = this.#d.nowMs() + this.#backoff();
  }

  #dropSession(reason: string): void {
    const s = this.#session;
    this.#session = null;
    if (s) s.close(1000, reason);
    this.#afterLoss();
  }

  #afterLoss(): void {
    this.#socket = "closed";
    this.#openedAtMs = null;
    this.#probeSentMs = null;
    this.#probeAnsweredSentMs = null;
    this.#live = {};
    this.#synced = false;
    this.#sids.clear();
    this.#staleBooks.clear();
    this.#downSinceMs ??= this.#d.nowMs();
    this.#d.books.resetConnection("reconnecting");
    this.#pruneBooks();
  }

  async #sendSubscription(session: KalshiSession, c: SubscriptionCommand): Promise<boolean> {
    const o = await session.send(c.cmd, c.params);
    if (session !== this.#session) return false;
    if (!o.ok) {
      this.#count(o.kind === "timeout" ? "command_timeouts" : "command_errors");
      this.#d.log("feed.subscription_failed", { cmd: c.cmd, channel: c.channel, outcome: o.kind });
      return false;
    }
    let sid: number | undefined;
    if (c.cmd === "subscribe") {
      const msg = o.reply.msg as { sid?: unknown; channel?: unknown } | undefined;
      if (typeof msg?.sid !== "number") return false;
      sid = msg.sid;
      this.#sids.subscribed(sid, this.#d.nowMs());
    }
    this.#live = applyConfirmed(this.#live, c, sid);
    // delete_markets or unsubscribe confirmed: no more frames for those books, drop them.
    if (c.cmd !== "subscribe") this.#pruneBooks();
    return true;
  }

  /** Drops the books of markets neither wanted nor held by the orderbook subscription. */
  #pruneBooks(): void {
    const wanted = new Set(this.#wanted);
    const held = new Set(this.#live.orderbook_delta?.markets ?? []);
    const removed = this.#d.books.retain((t) => wanted.has(t) || held.has(t));
    for (const t of removed) this.#staleBooks.forget(t);
    if (removed.length > 0)
      this.#d.log("feed.books_removed", { markets: removed.length, tickers: removed.slice(0, 20) });
  }

  /**
   * Heartbeat: asks again, in one get_snapshot for the orderbook sid, for every held book stale
   * for `staleResnapshotMs`, each market backing off up to `staleResnapshotMaxMs`
   * (stale-resnapshot.ts); a failed request is counted, not escalated (the probe and the breaker
   * judge the socket).
   */
  #resnapshotStale(now: number): void {
    const sub = this.#live.orderbook_delta;
    const session = this.#session;
    if (!sub || !session) return;
    const c = this.#d.config;
    const due = this.#staleBooks.due({
      held: sub.markets,
      wanted: this.#wanted,
      isFresh: (t) => this.#d.books.view(t)?.fresh === true,
      nowMs: now,
      random: () => this.#d.random(),
      bounds: { baseMs: c.staleResnapshotMs, maxMs: c.staleResnapshotMaxMs, jitter: c.backoffJitter },
    });
    if (due.length === 0) return;
    this.#count("stale_resnapshots", due.length);
    this.#d.log("feed.stale_resnapshot", { sid: sub.sid, markets: due.length, tickers: due.slice(0, 20) });
    void this.#requestSnapshots(session, sub.sid, due).then((o) => {
      if (o.ok || session !== this.#session) return;
      this.#count("stale_resnapshot_failures");
      this.#logOnce(
        "stale_resnapshot_failed",
        JSON.stringify({ outcome: o.kind, tickers: due.slice(0, 20) }),
      );
    });
  }

  /** `get_snapshot` on `sid`, counted as a pending resync until answered (quiet-sid proofs wait for it). */
  #requestSnapshots(
    session: KalshiSession,
    sid: number,
    tickers: readonly string[],
  ): Promise<CommandOutcome> {
    this.#sids.snapshotSent(sid);
    return session.send("update_subscription", snapshotParams(sid, tickers)).finally(() => {
      if (session !== this.#session) return; // the sids were cleared with the old socket
      this.#sids.snapshotSettled(sid);
    });
  }

  /**
   * Heartbeat: proves the orderbook sid current when it has been quiet for `quietProofMs`
   * (quiet-proof.ts). The proof's `ok` goes through the book store's seq check like any frame:
   * exactly the next seq confirms every book on the sid, a gap resyncs them. None while a socket
   * probe is out: the probe judges the socket, and its answer decides what happens next.
   */
  #proveQuietSids(now: number): void {
    const sub = this.#live.orderbook_delta;
    const session = this.#session;
    if (!sub || !session || this.#probeSentMs !== null) return;
    const wanted = new Set(this.#wanted);
    const markets = sub.markets.filter((t) => wanted.has(t));
    const due = proofsDue([this.#sids.quietSid(sub.sid, markets, now)], now, this.#d.config.quietProofMs);
    for (const req of due) this.#sendProof(session, req, now);
  }

  /** Sends one proof; its reply is counted confirmed only when its seq came exactly in order. */
  #sendProof(session: KalshiSession, req: ProofRequest, now: number): void {
    const params = proofParams(req);
    if (params === null) return;
    const proof = this.#sids.proofSent(req.sid, now);
    this.#count("proofs_sent");
    void session.send("update_subscription", params).then((o) => {
      proof.inFlight = false;
      if (session !== this.#session) return;
      if (!o.ok) {
        // Counted, not escalated: the probe and the breaker judge the socket.
        this.#count("proof_failures");
        this.#logOnce("proof_failed", JSON.stringify({ sid: req.sid, outcome: o.kind }));
        return;
      }
      // The reply went through the book store before this runs: its seq state is the reply's.
      const st = this.#d.books.sidSeq?.(req.sid);
      const inOrder =
        o.reply.sid === req.sid && st !== undefined && st.lastSeq === o.reply.seq && st.inSequence;
      this.#count(inOrder ? "proofs_confirmed" : "proofs_unconfirmed");
    });
  }

  /** Last data frame on `sid` (`ok` replies aside), else when it was subscribed, else now. */
  #heardOnSid(sid: number, now: number): number {
    return this.#sids.heardDataMs(sid, now);
  }

  #bookStatus(ticker: string, now: number): BookStatus {
    const sid = this.#live.orderbook_delta?.sid;
    return bookStatus({
      ticker,
      view: this.#d.books.view(ticker),
      sidHeardMs: sid === undefined ? undefined : this.#sids.lastFrameMs(sid),
      socketOpen: this.#socket === "open",
      maxBookAgeMs: this.#d.config.maxBookAgeMs,
      nowMs: now,
    });
  }

  #booksFresh(): boolean {
    const now = this.#d.nowMs();
    return this.#synced && this.#wanted.every((t) => this.#bookStatus(t, now).fresh);
  }

  /** Read through a method so narrowing from an earlier assignment does not hide later changes. */
  #isOpen(): boolean {
    return this.#socket === "open";
  }

  #entriesAllowed(): boolean {
    return entriesAllowed({
      running: this.#running,
      breaker: this.#breaker,
      socketOpen: this.#socket === "open",
      synced: this.#synced,
    });
  }

  #maybeClearBreaker(): void {
    if (!breakerMayClear(this.#breaker, this.#socket === "open", () => this.#booksFresh())) return;
    this.#setBreaker(closedBreaker());
    this.#downSinceMs = null;
    this.#d.log("feed.breaker_cleared");
  }

  #setBreaker(b: BreakerState): void {
    this.#breaker = b;
    this.#d.store.put(STORE_KEYS.breaker, b);
  }

  #livenessState(): LivenessState {
    if (this.#socket === "open" && this.#lastFrameMs !== null && this.#booksFresh()) this.#downSinceMs = null;
    const now = this.#d.nowMs();
    return {
      channels: channelSilences(
        this.#live,
        (sid) => this.#heardOnSid(sid, now),
        this.#d.config.channelSilenceMs,
      ),
      probeAnsweredSentMs: this.#probeAnsweredSentMs,
      socket: this.#socket,
      openedAtMs: this.#openedAtMs,
      lastFrameMs: this.#lastFrameMs,
      downSinceMs: this.#downSinceMs,
      probeSentMs: this.#probeSentMs,
      nextReconnectAtMs: this.#nextReconnectAtMs,
      breakerTripped: this.#breaker.tripped,
      booksFresh: this.#booksFresh(),
      running: this.#running,
    };
  }

  #backoff(): number {
    const c = this.#d.config;
    const ms = nextBackoffMs(this.#attempt, this.#d.random(), {
      baseMs: c.backoffBaseMs,
      maxMs: c.backoffMaxMs,
      jitter: c.backoffJitter,
    });
    this.#attempt++;
    return ms;
  }

  #count(k: string, n = 1): void {
    this.#counters.count(k, n);
  }

  #logOnce(kind: string, sample: string): void {
    this.#counters.logOnce(kind, sample);
  }
}

export type { Channel };
