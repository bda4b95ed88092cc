/**
 * Market data: the account's Kalshi WebSocket, its subscriptions, the order books and the feed's
 * liveness. One module owns all of it, because the states depend on each other: a book is only
 * trusted on the socket whose subscription delivered its snapshot.
 *
 * The connection is a state machine (`#conn.state`):
 *
 *   idle ──start/tick──▶ connecting ──socket accepted──▶ open ──closed / silent / probe unanswered──▶ down
 *     ▲                      │                              │                                        │
 *     └──────stop────────────┴──connect failed──▶ down ◀────┘                 backoff elapsed (tick) ─┘──▶ connecting
 *
 * - `open` holds the session, the live subscriptions (channel -> sid and markets, `synced` when
 *   they match the wanted markets), the probe in flight and the per-sid activity.
 * - Leaving `open` (for `down` or `idle`) forgets every sid and marks every book stale: books are
 *   trusted again only after their snapshot on the next socket.
 * - `down` remembers since when the feed has been unusable (the feed breaker trips after
 *   `breakerMs`), the next attempt's time (backoff 1 s doubling to 30 s with jitter) and the last
 *   connect failure exactly as the exchange gave it (status and Kalshi code), for the status.
 *
 * The heartbeat (`tick`, from the object's alarm) acts on the pure liveness decision
 * (`liveness.ts`), replays subscriptions, asks again for stale snapshots, proves quiet sids and
 * trips or clears the feed breaker. It never awaits a paged REST read: the universe is loaded by
 * the object's scheduler and handed in with `applyUniverse`.
 *
 * Frames: every frame goes through the book port (parse, seq, book). A frame about a book tells
 * the sink which market changed; any other validated message (fills, orders, positions,
 * lifecycle, order groups) goes to the sink as is. The account object routes both.
 */
import type { BookView, MarketInfo } from "../../shared/domain.ts";
import type { WsMessage } from "../../shared/kalshi/ws-messages.ts";
import { nextBackoffMs } from "./backoff.ts";
import type { BreakerState } from "./breaker.ts";
import { breakerMayClear, closedBreaker, trippedBreaker } from "./breaker.ts";
import type { FeedConfig } from "./feed-config.ts";
import { FeedCounters } from "./feed-counters.ts";
import type { BookStatus, FeedStatus, SubscriptionStatus } from "./feed-status.ts";
import { bookStatus, channelSilences, frameAgesByType, subscriptionStatuses } from "./feed-status.ts";
import type { CommandOutcome, ServerError } from "./kalshi-session.ts";
import { bindSocket, KalshiSession } from "./kalshi-session.ts";
import type { LivenessAction, LivenessState, SocketState } from "./liveness.ts";
import { checkLiveness } from "./liveness.ts";
import type { BookDepth, BookPort, ConnectFailure, OpenSocketResult, SocketOpener } from "./ports.ts";
import type { ProofRequest } from "./quiet-proof.ts";
import { proofParams, proofsDue } from "./quiet-proof.ts";
import { SidActivity } from "./sid-activity.ts";
import { StaleResnapshots } from "./stale-resnapshot.ts";
import type { Channel, LiveSubscriptions, SubscriptionCommand } from "./subscriptions.ts";
import { applyConfirmed, isChannel, planSubscriptions, snapshotParams } from "./subscriptions.ts";

/** What survives a restart: the running flag, the wanted markets and the feed breaker. */
export interface FeedPersisted {
  running: boolean;
  wanted: string[];
  breaker: BreakerState;
}

/** Where the persisted part lives (the object's `feed_state` table). */
export interface FeedStore {
  load(): FeedPersisted | undefined;
  save(s: FeedPersisted): void;
}

/** Who hears about frames and connection changes (the account object). */
export interface FeedSink {
  /** A snapshot or delta about `ticker` was handled (its book may have changed). */
  onBookChanged(ticker: string): void;
  /** A validated non-book message: fill, user_order, market_position, lifecycle, order group ... */
  onMessage(message: WsMessage): void;
  /** A socket was accepted (after a drop too): private channels may have missed events. */
  onConnected(): void;
}

export interface MarketDataDeps {
  config: FeedConfig;
  nowMs: () => number;
  random: () => number;
  store: FeedStore;
  books: BookPort;
  openSocket: SocketOpener;
  sink: FeedSink;
  /** Structured log line; never receives secrets. */
  log: (event: string, data?: Record<string, unknown>) => void;
}

export type { BookStatus, BreakerState, FeedStatus, SubscriptionStatus };

/** The connection state machine (see the file's docblock). */
type Conn =
  | { state: "idle" }
  | { state: "connecting" }
  | {
      state: "open";
      session: KalshiSession;
      openedAtMs: number;
      lastFrameMs: number | null;
      probeSentMs: number | null;
      /** send time of the last answered probe on this socket */
      probeAnsweredSentMs: number | null;
      live: LiveSubscriptions;
      synced: boolean;
    }
  | { state: "down"; retryAtMs: number };

export class MarketData {
  readonly #d: MarketDataDeps;
  #running: boolean;
  #wanted: string[];
  #breaker: BreakerState;
  #conn: Conn = { state: "idle" };
  /** Reconnect attempts since the last healthy session (drives the backoff). */
  #attempt = 0;
  /** Since when the feed has been unusable (no socket, or socket lost); null while usable. */
  #downSinceMs: number | null = null;
  #lastConnectFailure: (ConnectFailure & { atMs: number }) | null = null;
  #lastFrameByType: Record<string, number> = {};
  /** the most frequent type kept apart from the map: one field store per delta on the hot path */
  #lastDeltaMs: number | null = null;
  #busy = { connecting: false, syncing: false };
  /** per-sid frames, proofs and pending snapshots on the current socket */
  readonly #sids = new SidActivity();
  /** books the heartbeat has seen stale: since when, and the per-market backoff of its re-requests */
  readonly #staleBooks = new StaleResnapshots();
  readonly #counters: FeedCounters;

  constructor(deps: MarketDataDeps) {
    this.#d = deps;
    this.#counters = new FeedCounters((event, data) => deps.log(event, data));
    const p = deps.store.load();
    this.#running = p?.running ?? false;
    this.#wanted = p?.wanted ?? [];
    this.#breaker = p?.breaker ?? closedBreaker();
    this.#d.books.setMarkets(this.#wanted);
  }

  get running(): boolean {
    return this.#running;
  }

  get wanted(): readonly string[] {
    return this.#wanted;
  }

  /** Idempotent. The caller arms the alarm; the first heartbeat connects. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#persist();
  }

  stop(): void {
    this.#running = false;
    this.#persist();
    this.shutdown();
  }

  /** Closes the socket without touching persisted state (the object is being replaced). */
  shutdown(): void {
    this.#leaveOpen("stopped");
    this.#conn = { state: "idle" };
  }

  /** The heartbeat: expire commands, act on the liveness decision, keep subscriptions and books whole. */
  async tick(): Promise<void> {
    if (!this.#running) return;
    const now = this.#d.nowMs();
    const c0 = this.#conn;
    if (c0.state === "open") c0.session.expire(now);
    const actions = checkLiveness(this.#livenessState(), now, this.#d.config);
    const reconnecting = actions.some((a) => a.kind === "reconnect");
    for (const a of actions) await this.#act(a, reconnecting);
    this.#pruneBooks();
    const c = this.#conn;
    if (c.state !== "open") return;
    if (!c.synced) await this.syncSubscriptions();
    this.#resnapshotStale(now);
    this.#proveQuietSids(now);
    this.#maybeClearBreaker();
  }

  /** Is the feed usable for entries at all (running, breaker closed, socket open and synced)? */
  feedLive(): boolean {
    const c = this.#conn;
    return this.#running && !this.#breaker.tripped && c.state === "open" && c.synced;
  }

  /** May the strategy open a position on `ticker` now: feed live and its book fresh this instant. */
  canEnter(ticker: string): boolean {
    return this.feedLive() && this.#bookStatus(ticker, this.#d.nowMs()).fresh;
  }

  /**
   * The book of `ticker` as the strategy and the exit keeper see it: fresh only when the store
   * trusts it, it was confirmed within `maxBookAgeMs` and the socket is open, checked now.
   */
  book(ticker: string): BookView | undefined {
    const v = this.#d.books.view(ticker);
    if (v === undefined) return undefined;
    const now = this.#d.nowMs();
    const s = this.#bookStatus(ticker, now, v);
    return {
      ticker,
      fresh: s.fresh && this.feedLive(),
      staleReason: s.fresh
        ? null
        : (v.staleReason ?? (s.staleReason === "too old" ? "aged" : "disconnected")),
      confirmedAtMs: v.confirmedAtMs,
      top: v.top,
    };
  }

  /** Closes the socket and opens a new, freshly signed one. */
  async reconnect(reason: string): Promise<void> {
    if (this.#busy.connecting || !this.#running) return;
    this.#busy.connecting = true;
    try {
      this.#leaveOpen(reason);
      this.#conn = { state: "connecting" };
      this.#count("connect_attempts");
      let r: OpenSocketResult;
      try {
        r = await this.#d.openSocket();
      } catch (err) {
        // An opener bug must not leave the feed "connecting" forever: treat it as a failed connect.
        r = {
          ok: false,
          failure: { kind: "network", message: `opener threw: ${String(err).slice(0, 200)}` },
        };
      }
      const now = this.#d.nowMs();
      if (!r.ok) {
        this.#connectFailed(r.failure, now);
        return;
      }
      if (!this.#running) {
        r.socket.close(1000, "stopped");
        this.#conn = { state: "idle" };
        return;
      }
      this.#attach(r.socket, now, reason);
    } finally {
      this.#busy.connecting = false;
    }
    if (this.#isOpen()) {
      this.#d.sink.onConnected();
      await this.syncSubscriptions();
    }
  }

  /** connecting -> down: remember the failure exactly, back off. Logged once per distinct failure. */
  #connectFailed(f: ConnectFailure, now: number): void {
    const prev = this.#lastConnectFailure;
    this.#lastConnectFailure = { ...f, atMs: now };
    this.#downSinceMs ??= now;
    this.#conn = { state: "down", retryAtMs: now + this.#backoff() };
    this.#count("connect_failures");
    if (!prev || prev.kind !== f.kind || prev.status !== f.status || prev.code !== f.code)
      this.#d.log("feed.connect_failed", { ...f, attempt: this.#attempt });
  }

  /** connecting -> open: wrap the accepted socket in a session. */
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
    this.#conn = {
      state: "open",
      session,
      openedAtMs: now,
      lastFrameMs: null,
      probeSentMs: null,
      probeAnsweredSentMs: null,
      live: {},
      synced: false,
    };
    this.#d.log("feed.connected", { attempt: this.#attempt, reason });
    this.#lastConnectFailure = null;
  }

  /** Sends the commands that make the socket's subscriptions match `wanted`, until in sync. */
  async syncSubscriptions(): Promise<void> {
    if (this.#busy.syncing) return;
    this.#busy.syncing = true;
    try {
      for (let round = 0; round < 4; round++) {
        const c = this.#conn;
        if (c.state !== "open" || c.session.closed) return;
        const plan = planSubscriptions(this.#wanted, c.live);
        if (plan.length === 0) {
          if (!c.synced) this.#attempt = 0; // a healthy session resets the backoff
          c.synced = true;
          return;
        }
        c.synced = false;
        const outcomes = await Promise.all(plan.map((cmd) => this.#sendSubscription(c.session, cmd)));
        if (this.#conn !== c) return;
        if (outcomes.some((ok) => !ok)) return; // retried on the next heartbeat
      }
    } finally {
      this.#busy.syncing = false;
    }
  }

  /**
   * The markets to watch, chosen by the universe job from a fresh REST load: their tick grids go
   * to the book store and the subscriptions move on the next sync.
   */
  applyUniverse(markets: readonly MarketInfo[], selected: readonly string[]): void {
    this.setWanted(selected);
    this.#d.books.setMarketInfo?.(markets);
  }

  /** Replaces the wanted market set (persisted); the next sync moves the socket. */
  setWanted(tickers: readonly string[]): void {
    const next = [...new Set(tickers)].sort();
    if (next.length === this.#wanted.length && next.every((t, i) => t === this.#wanted[i])) return;
    this.#wanted = next;
    this.#persist();
    this.#d.books.setMarkets(next);
    const c = this.#conn;
    if (c.state === "open") c.synced = false;
    this.#pruneBooks();
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
    const c = this.#conn;
    if (c.state !== "open" || c.session.closed) return false;
    const o = await c.session.send("list_subscriptions");
    return o.ok;
  }

  status(): FeedStatus {
    const now = this.#d.nowMs();
    const c = this.#conn;
    const open = c.state === "open" ? c : null;
    const books = this.#wanted.map((t) => this.#bookStatus(t, now));
    const live = this.feedLive();
    return {
      running: this.#running,
      socket: this.#socketState(),
      openedAtMs: open?.openedAtMs ?? null,
      lastFrameAgeMs: open?.lastFrameMs == null ? null : now - open.lastFrameMs,
      downSinceMs: this.#downSinceMs,
      reconnectAttempt: this.#attempt,
      nextReconnectAtMs: c.state === "down" ? c.retryAtMs : null,
      lastConnectFailure: this.#lastConnectFailure === null ? null : { ...this.#lastConnectFailure },
      breaker: { ...this.#breaker },
      feedLive: live,
      entriesAllowed: live && books.some((b) => b.fresh),
      freshBooks: books.filter((b) => b.fresh).length,
      wanted: [...this.#wanted],
      subscriptions: open
        ? subscriptionStatuses(
            open.live,
            (sid) => this.#sids.heardDataMs(sid, now),
            this.#d.config.channelSilenceMs,
            now,
          )
        : [],
      lastFrameAgeByType: frameAgesByType(
        this.#lastDeltaMs === null
          ? this.#lastFrameByType
          : { ...this.#lastFrameByType, orderbook_delta: this.#lastDeltaMs },
        now,
      ),
      books,
      counters: { ...this.#d.books.counters(), ...this.#counters.snapshot() },
    };
  }

  /** Drops the socket as if the network failed (the admin's "reconnect", tests). */
  dropSocket(reason: string): void {
    const c = this.#conn;
    if (c.state === "open") c.session.close(4000, reason);
  }

  async #act(a: LivenessAction, reconnecting: boolean): Promise<void> {
    const now = this.#d.nowMs();
    if (a.kind === "reconnect") {
      this.#count("reconnects");
      if (a.reason !== "socket closed" && a.reason !== "not connected")
        this.#d.log("feed.reconnect", { reason: a.reason });
      await this.reconnect(a.reason);
    } else if (a.kind === "probe") {
      const c = this.#conn;
      if (c.state !== "open") return;
      c.probeSentMs = now;
      this.#count("probes");
      void c.session.send("list_subscriptions").then((o) => {
        if (this.#conn !== c || !o.ok) return;
        c.probeSentMs = null;
        c.probeAnsweredSentMs = now;
      });
    } else if (a.kind === "resubscribe") {
      this.#resubscribeSilent(a.channel, a.reason);
    } else if (a.kind === "trip-breaker") {
      this.#setBreaker(trippedBreaker(a.reason, now));
      this.#count("breaker_trips");
      this.#d.log("feed.breaker_tripped", { reason: a.reason });
      // Entries resume only on fresh snapshots: a silent socket is replaced, not trusted again.
      if (this.#conn.state === "open" && !reconnecting) await this.reconnect(a.reason);
    } else {
      this.#maybeClearBreaker();
    }
  }

  /** Returns whether the frame may answer a command (the session then looks for its id). */
  #onFrame(text: string): boolean {
    const now = this.#d.nowMs();
    const c = this.#conn;
    if (c.state === "open") c.lastFrameMs = now;
    const r = this.#d.books.onFrame(text, now);
    const type = r.type;
    if (type === "orderbook_delta") this.#lastDeltaMs = now;
    else if (type !== undefined) this.#lastFrameByType[type] = now;
    this.#sids.frame(r.sid, type, now);
    if (r.effects.length > 0) {
      for (const e of r.effects) {
        if (e.kind === "resync") this.#resync(e.sid, e.tickers);
        else this.#resubscribe(e.sid, `subscription error ${e.code}`);
      }
    }
    if (r.bookTicker !== null) {
      if (type === "orderbook_snapshot" && this.#breaker.tripped) this.#maybeClearBreaker();
      this.#d.sink.onBookChanged(r.bookTicker);
      return type === "orderbook_snapshot"; // a get_snapshot answer carries the command id
    }
    if (r.message !== null) this.#d.sink.onMessage(r.message);
    return true;
  }

  #resync(sid: number, requested: string[]): void {
    const c = this.#conn;
    if (c.state !== "open") return;
    // Only markets the socket holds: a get_snapshot naming another one would be refused.
    const held = new Set(c.live.orderbook_delta?.markets ?? []);
    const tickers = requested.filter((t) => held.has(t));
    if (tickers.length === 0) return;
    this.#count("resyncs_requested");
    this.#d.log("feed.resync", { sid, markets: tickers.length, tickers: tickers.slice(0, 20) });
    void this.#requestSnapshots(c.session, sid, tickers).then((o) => {
      // No answer: the seq stream is not trustworthy any more; start over.
      if (!o.ok && this.#conn === c) void this.reconnect(`resync failed (${o.kind})`);
    });
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
    const c = this.#conn;
    if (c.state !== "open") return;
    const sub = isChannel(channel) ? c.live[channel] : undefined;
    if (!sub) return;
    this.#count("silent_channel_resubscribes");
    void c.session.send("unsubscribe", { sids: [sub.sid] });
    this.#resubscribe(sub.sid, reason);
  }

  /** Forgets the channel on `sid` (idempotent) and lets the planner subscribe it again, with fresh snapshots. */
  #resubscribe(sid: number, reason: string): void {
    const c = this.#conn;
    if (c.state !== "open") return;
    const entry = Object.entries(c.live).find(([, s]) => s.sid === sid);
    if (!entry) return;
    const next: LiveSubscriptions = { ...c.live };
    delete next[entry[0] as Channel];
    c.live = next;
    c.synced = false;
    this.#sids.forget(sid);
    this.#count("resubscribes_requested");
    this.#d.log("feed.resubscribe", { channel: entry[0], sid, reason });
    void this.syncSubscriptions();
  }

  /** open -> down: the socket closed under us. */
  #onClose(session: KalshiSession, code: number, reason: string): void {
    const c = this.#conn;
    if (c.state !== "open" || c.session !== session) return;
    this.#logOnce(`socket_closed_${code}`, reason);
    this.#afterLoss();
    this.#conn = { state: "down", retryAtMs: this.#d.nowMs() + this.#backoff() };
  }

  /** open -> (caller's next state): close our side, forget the socket's state. */
  #leaveOpen(reason: string): void {
    const c = this.#conn;
    if (c.state !== "open") return;
    this.#conn = { state: "connecting" }; // transient: the caller sets the real next state
    c.session.close(1000, reason);
    this.#afterLoss();
  }

  /** Whatever follows a lost socket: sids die with it, every book waits for its replay snapshot. */
  #afterLoss(): void {
    this.#sids.clear();
    this.#staleBooks.clear();
    this.#downSinceMs ??= this.#d.nowMs();
    this.#d.books.resetConnection("reconnecting");
    this.#pruneBooks();
  }

  async #sendSubscription(session: KalshiSession, cmd: SubscriptionCommand): Promise<boolean> {
    const o = await session.send(cmd.cmd, cmd.params);
    const c = this.#conn;
    if (c.state !== "open" || c.session !== session) return false;
    if (!o.ok) {
      this.#count(o.kind === "timeout" ? "command_timeouts" : "command_errors");
      this.#logOnce(`subscription_failed_${cmd.channel}_${o.kind}`, `${cmd.cmd} ${cmd.channel}: ${o.kind}`);
      return false;
    }
    let sid: number | undefined;
    if (cmd.cmd === "subscribe") {
      const msg = o.reply.msg as { sid?: unknown; channel?: unknown } | undefined;
      if (typeof msg?.sid !== "number") return false;
      sid = msg.sid;
      this.#sids.subscribed(sid, this.#d.nowMs());
    }
    c.live = applyConfirmed(c.live, cmd, sid);
    // delete_markets or unsubscribe confirmed: no more frames for those books, drop them.
    if (cmd.cmd !== "subscribe") this.#pruneBooks();
    return true;
  }

  /** Drops the books of markets neither wanted nor held by the orderbook subscription. */
  #pruneBooks(): void {
    const wanted = new Set(this.#wanted);
    const c = this.#conn;
    const held = new Set(c.state === "open" ? (c.live.orderbook_delta?.markets ?? []) : []);
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
    const c = this.#conn;
    if (c.state !== "open") return;
    const sub = c.live.orderbook_delta;
    if (!sub) return;
    const cfg = this.#d.config;
    const due = this.#staleBooks.due({
      held: sub.markets,
      wanted: this.#wanted,
      isFresh: (t) => this.#d.books.view(t)?.fresh === true,
      nowMs: now,
      random: () => this.#d.random(),
      bounds: { baseMs: cfg.staleResnapshotMs, maxMs: cfg.staleResnapshotMaxMs, jitter: cfg.backoffJitter },
    });
    if (due.length === 0) return;
    this.#count("stale_resnapshots", due.length);
    this.#d.log("feed.stale_resnapshot", { sid: sub.sid, markets: due.length, tickers: due.slice(0, 20) });
    void this.#requestSnapshots(c.session, sub.sid, due).then((o) => {
      if (o.ok || this.#conn !== c) return;
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
    const c = this.#conn;
    this.#sids.snapshotSent(sid);
    return session.send("update_subscription", snapshotParams(sid, tickers)).finally(() => {
      if (this.#conn !== c) return; // the sids were cleared with the old socket
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
    const c = this.#conn;
    if (c.state !== "open" || c.probeSentMs !== null) return;
    const sub = c.live.orderbook_delta;
    if (!sub) return;
    const wanted = new Set(this.#wanted);
    const markets = sub.markets.filter((t) => wanted.has(t));
    const due = proofsDue([this.#sids.quietSid(sub.sid, markets, now)], now, this.#d.config.quietProofMs);
    for (const req of due) this.#sendProof(c.session, req, now);
  }

  /** Sends one proof; its reply is counted confirmed only when its seq came exactly in order. */
  #sendProof(session: KalshiSession, req: ProofRequest, now: number): void {
    const params = proofParams(req);
    if (params === null) return;
    const c = this.#conn;
    const proof = this.#sids.proofSent(req.sid, now);
    this.#count("proofs_sent");
    void session.send("update_subscription", params).then((o) => {
      proof.inFlight = false;
      if (this.#conn !== c) return;
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

  #bookStatus(ticker: string, now: number, view = this.#d.books.view(ticker)): BookStatus {
    const c = this.#conn;
    const sid = c.state === "open" ? c.live.orderbook_delta?.sid : undefined;
    return bookStatus({
      ticker,
      view,
      sidHeardMs: sid === undefined ? undefined : this.#sids.lastFrameMs(sid),
      socketOpen: c.state === "open",
      maxBookAgeMs: this.#d.config.maxBookAgeMs,
      nowMs: now,
    });
  }

  #booksFresh(): boolean {
    const c = this.#conn;
    if (c.state !== "open" || !c.synced) return false;
    const now = this.#d.nowMs();
    return this.#wanted.every((t) => this.#bookStatus(t, now).fresh);
  }

  /** Read through a method: narrowing from an earlier check would hide a transition made since. */
  #isOpen(): boolean {
    return this.#conn.state === "open";
  }

  #socketState(): SocketState {
    const s = this.#conn.state;
    return s === "down" ? "closed" : s;
  }

  #maybeClearBreaker(): void {
    if (!breakerMayClear(this.#breaker, this.#conn.state === "open", () => this.#booksFresh())) return;
    this.#setBreaker(closedBreaker());
    this.#downSinceMs = null;
    this.#d.log("feed.breaker_cleared");
  }

  #setBreaker(b: BreakerState): void {
    this.#breaker = b;
    this.#persist();
  }

  #persist(): void {
    this.#d.store.save({ running: this.#running, wanted: this.#wanted, breaker: this.#breaker });
  }

  #livenessState(): LivenessState {
    const c = this.#conn;
    const open = c.state === "open" ? c : null;
    if (open && open.lastFrameMs !== null && this.#booksFresh()) this.#downSinceMs = null;
    const now = this.#d.nowMs();
    return {
      channels: open
        ? channelSilences(
            open.live,
            (sid) => this.#sids.heardDataMs(sid, now),
            this.#d.config.channelSilenceMs,
          )
        : [],
      probeAnsweredSentMs: open?.probeAnsweredSentMs ?? null,
      socket: this.#socketState(),
      openedAtMs: open?.openedAtMs ?? null,
      lastFrameMs: open?.lastFrameMs ?? null,
      downSinceMs: this.#downSinceMs,
      probeSentMs: open?.probeSentMs ?? null,
      nextReconnectAtMs: c.state === "down" ? c.retryAtMs : null,
      breakerTripped: this.#breaker.tripped,
      booksFresh: this.#booksFresh(),
      running: this.#running,
    };
  }

  #backoff(): number {
    const cfg = this.#d.config;
    const ms = nextBackoffMs(this.#attempt, this.#d.random(), {
      baseMs: cfg.backoffBaseMs,
      maxMs: cfg.backoffMaxMs,
      jitter: cfg.backoffJitter,
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
