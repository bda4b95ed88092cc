/**
 * Runtime tests of market data (`workers/feed/market-data.ts`) inside workerd. The Kalshi side is
 * the other end of a real `WebSocketPair` answering commands like Kalshi's published examples;
 * books are a fake behind the book port, except in the cases that run shared/book's real frame
 * handler (the simulator end-to-end tests are in feed-sim.worker.test.ts). The module is built
 * directly, with an injected clock, an in-memory feed store and a recording sink.
 */

import { describe, expect, it } from "vitest";
import type { MarketInfo } from "../../shared/domain.ts";
import snapshotFixture from "../../shared/kalshi/fixtures/ws_orderbook_snapshot.json" with { type: "json" };
import type { WsMessage } from "../../shared/kalshi/ws-messages.ts";
import { frameHandlerBookPort } from "../../workers/feed/book-port.ts";
import { FeedConfig } from "../../workers/feed/feed-config.ts";
import { type FeedPersisted, MarketData } from "../../workers/feed/market-data.ts";
import type { BookPort, FrameResult, SocketOpener, StoredBook } from "../../workers/feed/ports.ts";
import { watchedMarket } from "../support/market-info.ts";

const TICKER = "FED-23DEC-T3.00";

function market(ticker = TICKER): MarketInfo {
  return watchedMarket(ticker);
}

/** Plays Kalshi: answers subscribe/update/list commands and records them, with a seq per sid. */
class FakeKalshi {
  commands: { id: number; cmd: string; params?: Record<string, unknown> }[] = [];
  sockets: WebSocket[] = [];
  nextSid = 1;
  seqs = new Map<number, number>();
  /** sid -> markets, as subscribed */
  subs = new Map<number, { channel: string; markets: string[] }>();
  mute = false;
  refuse = false;
  /** leave get_snapshot unanswered (a market whose snapshot does not come) */
  holdSnapshots = false;
  /** leave unanswered an add_markets that adds nothing (the feed's quiet-sid proofs) */
  ignoreReAdds = false;

  open = async () => {
    if (this.refuse) return { ok: false as const, failure: { kind: "network" as const, message: "refused" } };
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    client.accept();
    server.accept();
    server.addEventListener("message", (ev) => this.#onCommand(server, String(ev.data)));
    this.sockets.push(server);
    this.seqs.clear();
    this.subs.clear();
    return { ok: true as const, socket: client };
  };

  get server(): WebSocket {
    const s = this.sockets.at(-1);
    if (!s) throw new Error("no socket yet");
    return s;
  }

  send(frame: unknown): void {
    this.server.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  sidOf(channel: string): number {
    for (const [sid, s] of this.subs) if (s.channel === channel) return sid;
    throw new Error(`not subscribed to ${channel}`);
  }

  commandsOf(cmd: string, action?: string) {
    return this.commands.filter(
      (c) => c.cmd === cmd && (action === undefined || c.params?.action === action),
    );
  }

  /** The next seq on `sid`, for frames a test sends itself. */
  seq(sid: number): number {
    return this.#seq(sid);
  }

  #seq(sid: number): number {
    const n = (this.seqs.get(sid) ?? 0) + 1;
    this.seqs.set(sid, n);
    return n;
  }

  /** Kalshi's published snapshot, for `ticker` on `sid` (answering command `id` when given). */
  #snapshot(server: WebSocket, sid: number, ticker: string, id?: number): void {
    const frame = {
      ...(id === undefined ? {} : { id }),
      ...snapshotFixture,
      sid,
      seq: this.#seq(sid),
      msg: { ...snapshotFixture.msg, market_ticker: ticker },
    };
    server.send(JSON.stringify(frame));
  }

  #onCommand(server: WebSocket, text: string): void {
    const c = JSON.parse(text) as { id: number; cmd: string; params?: Record<string, unknown> };
    this.commands.push(c);
    if (this.mute) return;
    const p = c.params ?? {};
    const sid = typeof p.sid === "number" ? p.sid : (((p.sids as number[] | undefined) ?? [])[0] ?? 0);
    const tickers = (p.market_tickers as string[] | undefined) ?? [];
    if (c.cmd === "subscribe") {
      const channel = ((p.channels ?? []) as string[])[0] ?? "";
      const newSid = this.nextSid++;
      this.subs.set(newSid, { channel, markets: [...tickers] });
      server.send(JSON.stringify({ id: c.id, type: "subscribed", msg: { channel, sid: newSid } }));
      if (channel === "orderbook_delta") for (const t of tickers) this.#snapshot(server, newSid, t);
    } else if (c.cmd === "update_subscription" && p.action === "get_snapshot") {
      if (this.holdSnapshots) return;
      for (const t of tickers) this.#snapshot(server, sid, t, c.id);
    } else if (c.cmd === "update_subscription") {
      const sub = this.subs.get(sid);
      const held = new Set(sub?.markets ?? []);
      // Re-adding a market already subscribed is a no-op answered by `ok` alone (Kalshi's WebSocket docs: update_subscription).
      const added = tickers.filter((t) => !held.has(t));
      if (this.ignoreReAdds && p.action === "add_markets" && added.length === 0) return;
      if (sub) {
        const set = new Set(sub.markets);
        for (const t of tickers) p.action === "add_markets" ? set.add(t) : set.delete(t);
        sub.markets = [...set];
      }
      const reply = {
        id: c.id,
        sid,
        seq: this.#seq(sid),
        type: "ok",
        msg: { market_tickers: sub?.markets ?? [] },
      };
      server.send(JSON.stringify(reply));
      if (p.action === "add_markets") for (const t of added) this.#snapshot(server, sid, t);
    } else if (c.cmd === "unsubscribe") {
      this.subs.delete(sid);
      server.send(JSON.stringify({ id: c.id, sid, seq: this.#seq(sid), type: "unsubscribed" }));
    } else if (c.cmd === "list_subscriptions") {
      const msg = [...this.subs].map(([s, v]) => ({ channel: v.channel, sid: s }));
      server.send(JSON.stringify({ id: c.id, type: "ok", msg }));
    }
  }
}

/** A book port that trusts a ticker once its snapshot has arrived on the current connection. */
class FakeBooks implements BookPort {
  fresh = new Map<string, number>();
  resyncNext: { sid: number; tickers: string[] } | null = null;
  frames = 0;
  /** markets whose snapshots never make the book fresh (e.g. always off-grid) */
  neverFresh = new Set<string>();
  /** every book the runtime has seen (a snapshot), until it drops it */
  held = new Set<string>();
  removed: string[] = [];
  onFrame(text: string, nowMs: number): FrameResult {
    this.frames++;
    let v: { type?: string; sid?: number; msg?: { market_ticker?: string } };
    try {
      v = JSON.parse(text);
    } catch {
      return { type: undefined, sid: 0, bookTicker: null, message: null, effects: [] };
    }
    let bookTicker: string | null = null;
    if ((v.type === "orderbook_snapshot" || v.type === "orderbook_delta") && v.msg?.market_ticker) {
      bookTicker = v.msg.market_ticker;
      if (v.type === "orderbook_snapshot") {
        if (!this.neverFresh.has(bookTicker)) this.fresh.set(bookTicker, nowMs);
        this.held.add(bookTicker);
      }
    }
    const effects = this.resyncNext ? [{ kind: "resync" as const, ...this.resyncNext }] : [];
    this.resyncNext = null;
    return { type: v.type, sid: typeof v.sid === "number" ? v.sid : 0, bookTicker, message: null, effects };
  }
  resetConnection() {
    this.fresh.clear();
  }
  setMarkets() {}
  retain(keep: (t: string) => boolean) {
    const drop = [...this.held].filter((t) => !keep(t));
    for (const t of drop) {
      this.held.delete(t);
      this.fresh.delete(t);
      this.removed.push(t);
    }
    return drop;
  }
  view(t: string): StoredBook | undefined {
    const at = this.fresh.get(t);
    const top = { yesBid: 9_000, yesBidSize: 100_000, noBid: 900, noBidSize: 5_000 };
    return at === undefined
      ? { fresh: false, staleReason: "no_snapshot", confirmedAtMs: 0, top }
      : { fresh: true, staleReason: null, confirmedAtMs: at, top };
  }
  counters() {
    return { frames_seen: this.frames };
  }
}

/** Lets socket events queued by the other end be delivered. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
};

interface SetupOptions {
  markets?: MarketInfo[];
  config?: FeedConfig;
  openSocket?: SocketOpener;
}

function setup(_name: string, books: BookPort = new FakeBooks(), opts: SetupOptions = {}) {
  const kalshi = new FakeKalshi();
  const clock = { now: 1_000_000 };
  const universe = { markets: opts.markets ?? [market()] };
  const logs: { event: string; data?: Record<string, unknown> }[] = [];
  const routed: { books: string[]; messages: WsMessage[]; connects: number } = {
    books: [],
    messages: [],
    connects: 0,
  };
  let persisted: FeedPersisted | undefined;
  const build = () =>
    new MarketData({
      config: opts.config ?? FeedConfig.parse({}),
      nowMs: () => clock.now,
      random: () => 0,
      store: {
        load: () => persisted,
        save: (s) => {
          persisted = structuredClone(s);
        },
      },
      books,
      openSocket: opts.openSocket ?? kalshi.open,
      sink: {
        onBookChanged: (t) => routed.books.push(t),
        onMessage: (m) => routed.messages.push(m),
        onConnected: () => {
          routed.connects++;
        },
      },
      log: (event, data) => logs.push(data === undefined ? { event } : { event, data }),
    });
  let md = build();
  const act = async (fn: () => void) => {
    fn();
    await settle();
  };
  const beat = async () => {
    await md.tick();
    await settle();
  };
  /** Heartbeats every `stepMs` of the injected clock for `forMs`. */
  const beatFor = async (forMs: number, stepMs = 5_000) => {
    for (let t = 0; t < forMs; t += stepMs) {
      clock.now += stepMs;
      await beat();
    }
  };
  return {
    kalshi,
    books,
    clock,
    universe,
    logs,
    routed,
    get md() {
      return md;
    },
    /** The universe job's hand-over, then start: the first heartbeat connects and subscribes. */
    start: () => {
      md.applyUniverse(
        universe.markets,
        universe.markets.map((m) => m.ticker),
      );
      md.start();
    },
    /** A new instance on the same persisted state, as after an eviction or a deploy. */
    restart: () => {
      md.shutdown();
      md = build();
    },
    status: () => md.status(),
    canEnter: (t: string) => md.canEnter(t),
    beat,
    beatFor,
    act,
  };
}

describe("MarketData", () => {
  it("connects, loads the universe and subscribes every channel, orderbook with use_yes_price", async () => {
    const t = setup("subscribe");
    t.start();
    await t.beat();
    const subs = t.kalshi.commands.filter((c) => c.cmd === "subscribe").map((c) => c.params);
    expect(subs).toContainEqual({
      channels: ["orderbook_delta"],
      market_tickers: [TICKER],
      use_yes_price: true,
    });
    for (const ch of ["ticker", "trade"])
      expect(subs).toContainEqual({ channels: [ch], market_tickers: [TICKER] });
    for (const ch of [
      "fill",
      "user_orders",
      "market_positions",
      "market_lifecycle_v2",
      "order_group_updates",
    ]) {
      expect(subs).toContainEqual({ channels: [ch] });
    }
    const s = t.status();
    expect(s.socket).toBe("open");
    expect(s.wanted).toEqual([TICKER]);
    expect(s.subscriptions).toHaveLength(8);
    expect(s.entriesAllowed).toBe(true);
    expect(t.canEnter(TICKER)).toBe(true);
    expect(t.routed.connects).toBe(1);
  });

  it("reconnects a dropped socket after backoff, replays the subscriptions and blocks entries in between", async () => {
    const t = setup("drop");
    t.start();
    await t.beat();
    await t.act(() => t.kalshi.server.close(1011, "server going away"));
    let s = t.status();
    expect(s.socket).toBe("closed");
    expect(t.canEnter(TICKER)).toBe(false);
    await t.beat(); // backoff (1 s) not elapsed on the injected clock
    expect(t.kalshi.sockets).toHaveLength(1);
    t.clock.now += 1_000;
    await t.beat();
    expect(t.kalshi.sockets).toHaveLength(2);
    s = t.status();
    expect(s.socket).toBe("open");
    expect(s.subscriptions).toHaveLength(8);
    expect(t.canEnter(TICKER)).toBe(true);
  });

  it("asks for a snapshot with update_subscription get_snapshot when the book handler reports a gap", async () => {
    const books = new FakeBooks();
    const t = setup("gap", books);
    t.start();
    await t.beat();
    books.resyncNext = { sid: 1, tickers: [TICKER] };
    await t.act(() =>
      t.kalshi.send({ type: "orderbook_delta", sid: 1, seq: 9, msg: { market_ticker: TICKER } }),
    );
    expect(t.kalshi.commands.at(-1)).toMatchObject({
      cmd: "update_subscription",
      params: { sids: [1], action: "get_snapshot", market_tickers: [TICKER] },
    });
    expect(t.status().counters.resyncs_requested).toBe(1);
  });

  it("trips the disconnect breaker after 15 s down and clears it only on fresh snapshots", async () => {
    const t = setup("breaker");
    t.start();
    await t.beat();
    t.kalshi.refuse = true;
    await t.act(() => t.kalshi.server.close(1011, "gone"));
    for (let i = 0; i < 16; i++) {
      t.clock.now += 1_000;
      await t.beat();
    }
    let s = t.status();
    expect(s.breaker.tripped).toBe(true);
    expect(s.entriesAllowed).toBe(false);
    t.kalshi.refuse = false;
    t.clock.now += 30_000;
    await t.beat();
    s = t.status();
    expect(s.socket).toBe("open");
    expect(s.breaker.tripped).toBe(false);
    expect(t.canEnter(TICKER)).toBe(true);
  });

  it("reconnects a silent feed after an unanswered probe", async () => {
    const t = setup("silent");
    t.start();
    await t.beat();
    t.kalshi.mute = true;
    t.clock.now += 10_000;
    await t.beat();
    expect(t.kalshi.commands.at(-1)?.cmd).toBe("list_subscriptions");
    t.kalshi.mute = false;
    t.clock.now += 5_000;
    await t.beat();
    expect(t.kalshi.sockets).toHaveLength(2);
    expect(t.status().counters.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("restores the running flag and wanted markets after a restart, then rebuilds books before trading", async () => {
    const t = setup("evict");
    t.start();
    await t.beat();
    t.restart(); // a new instance on the persisted state; the old socket died with the old one
    const s = t.status();
    expect(s.running).toBe(true);
    expect(s.wanted).toEqual([TICKER]);
    expect(s.socket).toBe("idle");
    expect(t.canEnter(TICKER)).toBe(false);
    await t.beat();
    const after = t.status();
    expect(after.socket).toBe("open");
    expect(after.subscriptions).toHaveLength(8); // replayed from the persisted wanted set
    expect(t.canEnter(TICKER)).toBe(true);
  });

  it("keeps running through a barrage of malformed frames", async () => {
    const t = setup("barrage");
    t.start();
    await t.beat();
    const barrage = [
      "{",
      "null",
      "[]",
      '{"type":7}',
      '{"id":"x"}',
      '{"type":"orderbook_delta","sid":"a"}',
      "\u0000",
    ];
    await t.act(() => {
      for (const f of barrage) t.kalshi.send(f);
    });
    const s = t.status();
    expect(s.socket).toBe("open");
    expect(s.counters.frames_seen).toBeGreaterThanOrEqual(7);
  });

  it("with the real frame handler, a malformed frame about a book marks it stale and asks for its snapshot", async () => {
    const logs: string[] = [];
    const clock = { now: 1_000_000 };
    const books = frameHandlerBookPort({ nowMs: () => clock.now, log: (e) => logs.push(e) });
    const t = setup("barrage-real", books);
    t.start();
    await t.beat();
    const sid = t.status().subscriptions.find((x) => x.channel === "orderbook_delta")?.sid;
    if (sid === undefined) throw new Error("no orderbook subscription");
    t.kalshi.holdSnapshots = true; // see the book stale before its snapshot comes back
    // Kalshi's published snapshot on our sid.
    await t.act(() => t.kalshi.send({ ...snapshotFixture, sid, seq: t.kalshi.seq(sid) }));
    expect(t.canEnter(TICKER)).toBe(true);
    const badDelta = {
      type: "orderbook_delta",
      sid,
      seq: t.kalshi.seq(sid),
      msg: { market_ticker: TICKER, price_dollars: "0.96x", delta_fp: "-54.00", side: "yes" },
    };
    await t.act(() => {
      for (const f of ["{", "null", "[]", '{"type":7}', '{"id":"x"}', "\u0000", JSON.stringify(badDelta)])
        t.kalshi.send(f);
    });
    const s = t.status();
    expect(s.socket).toBe("open");
    expect(s.counters.parse_failures).toBeGreaterThanOrEqual(7);
    expect(s.books.find((b) => b.ticker === TICKER)).toMatchObject({
      fresh: false,
      staleReason: "bad_frame",
    });
    expect(t.canEnter(TICKER)).toBe(false);
    expect(t.kalshi.commands.at(-1)).toMatchObject({
      cmd: "update_subscription",
      params: { sids: [sid], action: "get_snapshot", market_tickers: [TICKER] },
    });
    expect(logs.filter((e) => e === "feed.bad_frame").length).toBeLessThanOrEqual(
      s.counters.parse_failures ?? 0,
    );
    await t.act(() => t.kalshi.send({ ...snapshotFixture, sid, seq: t.kalshi.seq(sid) }));
    expect(t.canEnter(TICKER)).toBe(true);
  });

  it("resubscribes only the channel that error 25 ended, on the same socket", async () => {
    // The real frame handler turns the subscription-scoped error (no command id) into a resubscribe.
    const t = setup("error25", frameHandlerBookPort({ nowMs: () => 1_000_000, log: () => {} }));
    t.start();
    await t.beat();
    const before = t.status();
    const trade = before.subscriptions.find((x) => x.channel === "trade");
    await t.act(() =>
      t.kalshi.send({ type: "error", sid: trade?.sid, msg: { code: 25, msg: "Buffer overflow" } }),
    );
    const after = t.status();
    expect(t.kalshi.sockets).toHaveLength(1);
    expect(t.kalshi.commands.at(-1)).toMatchObject({ cmd: "subscribe", params: { channels: ["trade"] } });
    expect(after.subscriptions).toHaveLength(8);
    expect(after.subscriptions.find((x) => x.channel === "trade")?.sid).not.toBe(trade?.sid);
    expect(after.counters.resubscribes_requested).toBe(1);
  });

  it("keeps a market's book until Kalshi confirms delete_markets, then drops it", async () => {
    const OTHER = "KXHIGHNY-26JAN09-T60";
    const clock = { now: 1_000_000 };
    const books = frameHandlerBookPort({ nowMs: () => clock.now, log: () => {} });
    // The live tops (Kalshi's published snapshot, a 0.22 / 0.54 book) would fail the default filters.
    const config = FeedConfig.parse({
      universe: { minFavouritePrice: 0, minVolume24h: 0 },
    });
    const t = setup("universe-shrinks", books, { markets: [market(TICKER), market(OTHER)], config });
    t.clock.now = clock.now;
    t.start();
    await t.beat();
    expect(t.status().counters.books).toBe(2);
    expect(t.canEnter(OTHER)).toBe(true);
    t.universe.markets = [market(TICKER)];
    t.kalshi.mute = true;
    // Not awaited: the muted command would hold the call until its (wall-clock) timeout.
    await t.act(() => {
      t.md.applyUniverse(t.universe.markets, [TICKER]);
      void t.md.syncSubscriptions();
    });
    const sid = t.kalshi.sidOf("orderbook_delta");
    expect(t.kalshi.commandsOf("update_subscription", "delete_markets").map((c) => c.params)).toContainEqual({
      sids: [sid],
      action: "delete_markets",
      market_tickers: [OTHER],
    });
    // Not confirmed yet: frames for OTHER may still come, so its book stays.
    expect(t.status().counters.books).toBe(2);
    t.kalshi.mute = false;
    t.clock.now += 5_000; // this heartbeat times the unanswered commands out ...
    clock.now = t.clock.now;
    await t.beat();
    expect(t.status().counters.command_timeouts).toBe(3);
    await t.beat(); // ... and the next one sends them again
    const s = t.status();
    expect(s.wanted).toEqual([TICKER]);
    expect(s.counters.books).toBe(1);
    expect(s.counters.books_removed).toBe(1);
    expect(t.md.bookDepth(OTHER)).toBeUndefined();
    expect(t.canEnter(TICKER)).toBe(true);
  });

  it("re-requests quiet stale books in one get_snapshot per heartbeat, backing off per market", async () => {
    const OTHER = "KXHIGHNY-26JAN09-T60";
    const books = new FakeBooks();
    const t = setup("stale-quiet", books, { markets: [market(TICKER), market(OTHER)] });
    t.start();
    await t.beat();
    // Both books go stale and no delta ever comes to trigger the store's own re-request;
    // their snapshots never make them fresh (a persistently failing market).
    for (const m of [TICKER, OTHER]) {
      books.neverFresh.add(m);
      books.fresh.delete(m);
    }
    const before = t.kalshi.commandsOf("update_subscription", "get_snapshot").length;
    await t.beatFor(110_000);
    const asks = t.kalshi.commandsOf("update_subscription", "get_snapshot").slice(before);
    const sid = t.kalshi.sidOf("orderbook_delta");
    // Seen stale at +5 s; asked at +15, +35, +75 s (10 s, then doubling), not on each of 22 beats.
    expect(asks).toHaveLength(3);
    for (const a of asks) {
      expect(a.params?.sids).toEqual([sid]);
      expect([...((a.params?.market_tickers as string[]) ?? [])].sort()).toEqual([OTHER, TICKER].sort());
    }
    const s = t.status();
    expect(s.counters.stale_resnapshots).toBe(6);
    expect(s.socket).toBe("open");
    expect(t.kalshi.sockets).toHaveLength(1);
  });

  it("stops re-requesting a book once it is fresh again", async () => {
    const books = new FakeBooks();
    const t = setup("stale-recovers", books);
    t.start();
    await t.beat();
    books.fresh.delete(TICKER);
    const before = t.kalshi.commandsOf("update_subscription", "get_snapshot").length;
    const asked = () => t.kalshi.commandsOf("update_subscription", "get_snapshot").length - before;
    await t.beatFor(15_000);
    // Seen stale at +5 s, asked at +15 s; the snapshot that answered made it fresh ...
    expect(asked()).toBe(1);
    expect(t.canEnter(TICKER)).toBe(true);
    await t.beatFor(45_000);
    expect(asked()).toBe(1); // ... so it is never asked again
  });

  it("probes a channel silent past its limit, reports it, then resubscribes that channel alone", async () => {
    const t = setup("channel-silent");
    t.start();
    await t.beat();
    const sid = t.kalshi.sidOf("orderbook_delta");
    // The socket answers every probe; nothing comes on the orderbook sid (default limit 60 s).
    await t.beatFor(60_000);
    let s = t.status();
    expect(s.subscriptions.find((x) => x.channel === "orderbook_delta")).toMatchObject({
      sid,
      silenceLimitMs: 60_000,
      silent: true,
    });
    expect(s.subscriptions.find((x) => x.channel === "fill")).toMatchObject({
      silenceLimitMs: null,
      silent: false,
    });
    expect(t.kalshi.commandsOf("unsubscribe")).toHaveLength(0);
    await t.beatFor(5_000); // the probe sent after the limit was answered: the channel alone is dead
    expect(t.kalshi.commandsOf("unsubscribe").map((c) => c.params)).toEqual([{ sids: [sid] }]);
    const resub = t.kalshi.commandsOf("subscribe").at(-1);
    expect(resub?.params).toEqual({
      channels: ["orderbook_delta"],
      market_tickers: [TICKER],
      use_yes_price: true,
    });
    s = t.status();
    expect(t.kalshi.sockets).toHaveLength(1);
    expect(s.counters.silent_channel_resubscribes).toBe(1);
    expect(s.subscriptions).toHaveLength(8);
    expect(s.subscriptions.find((x) => x.channel === "orderbook_delta")).toMatchObject({ silent: false });
    expect(s.subscriptions.find((x) => x.channel === "orderbook_delta")?.sid).not.toBe(sid);
    expect(t.canEnter(TICKER)).toBe(true);
  });

  // Regression: error frames without a command id were ignored by the session.
  it("routes error frames without a command id: counted, logged once per code, 25 on a sid resubscribes", async () => {
    const t = setup("error-no-id");
    t.start();
    await t.beat();
    const trade = t.kalshi.sidOf("trade");
    const overflow = { type: "error", sid: trade, msg: { code: 25, msg: "Subscription buffer overflow" } };
    await t.act(() => {
      t.kalshi.send(overflow);
      t.kalshi.send(overflow); // the same sid again: already being replaced
      t.kalshi.send({ type: "error", msg: { code: 10, msg: "Channel error" } }); // no sid: nothing to resubscribe
    });
    const s = t.status();
    expect(s.counters.server_errors).toBe(3);
    expect(s.counters.server_error_25).toBe(2);
    expect(s.counters.server_error_10).toBe(1);
    expect(s.counters.resubscribes_requested).toBe(1);
    expect(t.kalshi.commandsOf("subscribe").at(-1)?.params).toEqual({
      channels: ["trade"],
      market_tickers: [TICKER],
    });
    expect(s.subscriptions.find((x) => x.channel === "trade")?.sid).not.toBe(trade);
    expect(t.kalshi.sockets).toHaveLength(1);
    const once = t.logs.filter((l) => l.event === "feed.once").map((l) => l.data?.kind);
    expect(once.filter((k) => k === "server_error_25")).toHaveLength(1);
    expect(once.filter((k) => k === "server_error_10")).toHaveLength(1);
  });

  /** A feed on the real frame handler whose orderbook sid carries no frame after the snapshot. */
  async function quietFeed(name: string, kalshi: (k: FakeKalshi) => void = () => {}) {
    let now = () => 0;
    const books = frameHandlerBookPort({ nowMs: () => now(), log: () => {} });
    // Kalshi's published snapshot (a 0.22 / 0.54 book) would fail the default filters.
    const config = FeedConfig.parse({
      universe: { minFavouritePrice: 0, minVolume24h: 0 },
    });
    const t = setup(name, books, { config });
    now = () => t.clock.now;
    kalshi(t.kalshi);
    t.start();
    await t.beat();
    expect(t.canEnter(TICKER)).toBe(true);
    return t;
  }

  it("keeps a quiet market enterable past maxBookAgeMs: each proof's in-sequence ok confirms its sid", async () => {
    const t = await quietFeed("quiet-proof");
    const sid = t.kalshi.sidOf("orderbook_delta");
    for (let i = 0; i < 6; i++) {
      await t.beatFor(5_000);
      expect(t.canEnter(TICKER)).toBe(true); // 30 s without a delta, default maxBookAgeMs 10 s
    }
    const proofs = t.kalshi.commandsOf("update_subscription", "add_markets");
    expect(proofs).toHaveLength(6); // one per heartbeat, never more than one per quietProofMs
    for (const p of proofs)
      expect(p.params).toEqual({ sid, action: "add_markets", market_tickers: [TICKER] });
    const s = t.status();
    expect(s.counters.proofs_sent).toBe(6);
    expect(s.counters.proofs_confirmed).toBe(6);
    expect(s.counters.gaps).toBe(0);
    expect(s.subscriptions.find((x) => x.channel === "orderbook_delta")?.lastFrameAgeMs).toBe(30_000);
    expect(t.kalshi.sockets).toHaveLength(1);
  });

  it("lets a quiet market's book grow too old when the proofs go unanswered", async () => {
    const t = await quietFeed("quiet-proof-unanswered", (k) => {
      k.ignoreReAdds = true;
    });
    await t.beatFor(10_000);
    expect(t.canEnter(TICKER)).toBe(true); // exactly maxBookAgeMs old: still current
    await t.beatFor(5_000);
    expect(t.canEnter(TICKER)).toBe(false);
    const s = t.status();
    expect(s.books.find((b) => b.ticker === TICKER)).toMatchObject({ fresh: false, staleReason: "too old" });
    expect(s.counters.proofs_sent).toBeGreaterThanOrEqual(1);
    expect(s.counters.proofs_confirmed).toBeUndefined();
    expect(s.socket).toBe("open");
  });

  it("resyncs the sid's books when a proof's ok skips a seq", async () => {
    const t = await quietFeed("quiet-proof-gap");
    const sid = t.kalshi.sidOf("orderbook_delta");
    t.kalshi.seq(sid); // a frame the feed never sees: the next ok is one seq too far
    const before = t.kalshi.commandsOf("update_subscription", "get_snapshot").length;
    await t.beatFor(5_000);
    const s = t.status();
    expect(s.counters.gaps).toBe(1);
    expect(s.counters.proofs_unconfirmed).toBe(1);
    expect(s.counters.proofs_confirmed).toBeUndefined();
    const asks = t.kalshi.commandsOf("update_subscription", "get_snapshot").slice(before);
    expect(asks.map((c) => c.params)).toEqual([
      { sids: [sid], action: "get_snapshot", market_tickers: [TICKER] },
    ]);
    expect(t.canEnter(TICKER)).toBe(true); // the requested snapshot came back
  });

  it("recovers from a socket opener that throws instead of returning a failure", async () => {
    const kalshi = new FakeKalshi();
    let calls = 0;
    const t = setup("opener-throws", new FakeBooks(), {
      openSocket: async () => {
        calls++;
        if (calls === 1) throw new Error("opener bug");
        return kalshi.open();
      },
    });
    t.start();
    await t.beat();
    expect(t.status().socket).toBe("closed");
    t.clock.now += 1_000; // backoff
    await t.beat();
    expect(t.status().socket).toBe("open");
    expect(calls).toBe(2);
  });
});
