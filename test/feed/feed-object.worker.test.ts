/**
 * Runtime tests of the feed Durable Object inside workerd. The Kalshi side is the other end of
 * a real `WebSocketPair` answering commands like Kalshi's published examples; books and REST are
 * fakes behind the runtime's ports, except in the last case, which runs shared/book's real frame
 * handler (the simulator end-to-end tests are in feed-sim.worker.test.ts).
 */

import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import snapshotFixture from "../../shared/kalshi/fixtures/ws_orderbook_snapshot.json" with { type: "json" };
import { frameHandlerBookPort } from "../../workers/feed/book-port.ts";
import type { FeedObject } from "../../workers/feed/feed-object.ts";
import type { BookPort, BookView, RestPort } from "../../workers/feed/ports.ts";
import type { MarketInfo } from "../../workers/feed/universe.ts";

const TICKER = "FED-23DEC-T3.00";

function market(ticker = TICKER): MarketInfo {
  return {
    ticker,
    eventTicker: "FED-23DEC",
    seriesTicker: "FED",
    status: "active",
    closeTimeMs: 10 * 3_600_000,
    top: { yesBid: 9_000, yesBidSize: 100_000, noBid: 900, noBidSize: 5_000 },
    volume24h: 2_000_000,
    priceLevelStructure: "linear_cent",
    priceRanges: [{ start: 0, end: 10_000, step: 100 }],
    exchangeIndex: 0,
  };
}

/** Plays Kalshi: answers subscribe/update/list commands and records them. */
class FakeKalshi {
  commands: { id: number; cmd: string; params?: Record<string, unknown> }[] = [];
  sockets: WebSocket[] = [];
  nextSid = 1;
  mute = false;
  refuse = false;

  open = async () => {
    if (this.refuse) return { ok: false as const, reason: "refused" };
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    client.accept();
    server.accept();
    server.addEventListener("message", (ev) => this.#onCommand(server, String(ev.data)));
    this.sockets.push(server);
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

  #onCommand(server: WebSocket, text: string): void {
    const c = JSON.parse(text) as { id: number; cmd: string; params?: Record<string, unknown> };
    this.commands.push(c);
    if (this.mute) return;
    if (c.cmd === "subscribe") {
      const channel = ((c.params?.channels ?? []) as string[])[0];
      server.send(JSON.stringify({ id: c.id, type: "subscribed", msg: { channel, sid: this.nextSid++ } }));
      if (channel === "orderbook_delta") {
        for (const t of (c.params?.market_tickers as string[]) ?? []) {
          server.send(
            JSON.stringify({
              type: "orderbook_snapshot",
              sid: this.nextSid - 1,
              seq: 1,
              msg: { market_ticker: t },
            }),
          );
        }
      }
    } else if (c.cmd === "update_subscription") {
      server.send(JSON.stringify({ id: c.id, sid: 1, seq: 2, type: "ok", msg: { market_tickers: [] } }));
    } else if (c.cmd === "list_subscriptions") {
      server.send(JSON.stringify({ id: c.id, type: "ok", msg: [] }));
    }
  }
}

/** A book port that trusts a ticker once its snapshot has arrived on the current connection. */
class FakeBooks implements BookPort {
  fresh = new Map<string, number>();
  resyncNext: { sid: number; tickers: string[] } | null = null;
  frames = 0;
  onFrame(text: string, nowMs: number) {
    this.frames++;
    let v: { type?: string; sid?: number; msg?: { market_ticker?: string } };
    try {
      v = JSON.parse(text);
    } catch {
      return { type: undefined, sid: 0, effects: [] };
    }
    if (v.type === "orderbook_snapshot" && v.msg?.market_ticker) this.fresh.set(v.msg.market_ticker, nowMs);
    const effects = this.resyncNext ? [{ kind: "resync" as const, ...this.resyncNext }] : [];
    this.resyncNext = null;
    return { type: v.type, sid: typeof v.sid === "number" ? v.sid : 0, effects };
  }
  resetConnection() {
    this.fresh.clear();
  }
  setMarkets() {}
  view(t: string): BookView | undefined {
    const at = this.fresh.get(t);
    const top = { yesBid: 9_000, yesBidSize: 100_000, noBid: 900, noBidSize: 5_000 };
    return at === undefined
      ? { fresh: false, staleReason: "awaiting snapshot", lastUpdateMs: 0, top }
      : { fresh: true, staleReason: null, lastUpdateMs: at, top };
  }
  counters() {
    return { frames_seen: this.frames };
  }
}

const rest: RestPort = {
  listMarkets: async () => [market()],
  orderbookTop: async () => ({ yesBid: 9_000, yesBidSize: 100_000, noBid: 900, noBidSize: 5_000 }),
  reconcilePrivate: async () => true,
};

/** Lets socket events queued by the other end be delivered. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
};

function setup(name: string, books: BookPort = new FakeBooks()) {
  const stub = env.FEED.getByName(name);
  const kalshi = new FakeKalshi();
  const clock = { now: 1_000_000 };
  const install = () =>
    runInDurableObject(stub, (o: FeedObject) =>
      o.__useDeps({
        nowMs: () => clock.now,
        random: () => 0,
        openSocket: kalshi.open,
        books,
        rest,
        log: () => {},
      }),
    );
  /** Runs `fn` in the object's I/O context: the fake server's sockets belong to it. */
  const act = (fn: () => void) =>
    runInDurableObject(stub, async () => {
      fn();
      await settle();
    });
  const beat = async () => {
    await runDurableObjectAlarm(stub);
    await act(() => {});
  };
  return { stub, kalshi, books, clock, install, beat, act };
}

describe("FeedObject", () => {
  it("connects, loads the universe and subscribes every channel, orderbook with use_yes_price", async () => {
    const t = setup("subscribe");
    await t.install();
    await t.stub.start();
    await t.beat();
    await t.beat(); // second heartbeat: universe refresh adds the market channels
    const subs = t.kalshi.commands.filter((c) => c.cmd === "subscribe").map((c) => c.params);
    expect(subs).toContainEqual({
      channels: ["orderbook_delta"],
      market_tickers: [TICKER],
      use_yes_price: true,
    });
    for (const ch of ["ticker", "trade"])
      expect(subs).toContainEqual({ channels: [ch], market_tickers: [TICKER] });
    for (const ch of ["fill", "user_orders", "market_positions", "market_lifecycle_v2"]) {
      expect(subs).toContainEqual({ channels: [ch] });
    }
    const s = await t.stub.status();
    expect(s.socket).toBe("open");
    expect(s.wanted).toEqual([TICKER]);
    expect(s.subscriptions).toHaveLength(7);
    expect(s.entriesAllowed).toBe(true);
    expect(await t.stub.canEnter(TICKER)).toBe(true);
    expect(await runInDurableObject(t.stub, (_o, state) => state.storage.getAlarm())).not.toBeNull();
  });

  it("reconnects a dropped socket after backoff, replays the subscriptions and blocks entries in between", async () => {
    const t = setup("drop");
    await t.install();
    await t.stub.start();
    await t.beat();
    await t.beat();
    await t.act(() => t.kalshi.server.close(1011, "server going away"));
    let s = await t.stub.status();
    expect(s.socket).toBe("closed");
    expect(await t.stub.canEnter(TICKER)).toBe(false);
    await t.beat(); // backoff (1 s) not elapsed on the injected clock
    expect(t.kalshi.sockets).toHaveLength(1);
    t.clock.now += 1_000;
    await t.beat();
    expect(t.kalshi.sockets).toHaveLength(2);
    s = await t.stub.status();
    expect(s.socket).toBe("open");
    expect(s.subscriptions).toHaveLength(7);
    expect(await t.stub.canEnter(TICKER)).toBe(true);
  });

  it("asks for a snapshot with update_subscription get_snapshot when the book handler reports a gap", async () => {
    const books = new FakeBooks();
    const t = setup("gap", books);
    await t.install();
    await t.stub.start();
    await t.beat();
    await t.beat();
    books.resyncNext = { sid: 1, tickers: [TICKER] };
    await t.act(() =>
      t.kalshi.send({ type: "orderbook_delta", sid: 1, seq: 9, msg: { market_ticker: TICKER } }),
    );
    expect(t.kalshi.commands.at(-1)).toMatchObject({
      cmd: "update_subscription",
      params: { sids: [1], action: "get_snapshot", market_tickers: [TICKER] },
    });
    expect((await t.stub.status()).counters.resyncs_requested).toBe(1);
  });

  it("trips the disconnect breaker after 15 s down and clears it only on fresh snapshots", async () => {
    const t = setup("breaker");
    await t.install();
    await t.stub.start();
    await t.beat();
    await t.beat();
    t.kalshi.refuse = true;
    await t.act(() => t.kalshi.server.close(1011, "gone"));
    for (let i = 0; i < 16; i++) {
      t.clock.now += 1_000;
      await t.beat();
    }
    let s = await t.stub.status();
    expect(s.breaker.tripped).toBe(true);
    expect(s.entriesAllowed).toBe(false);
    t.kalshi.refuse = false;
    t.clock.now += 30_000;
    await t.beat();
    s = await t.stub.status();
    expect(s.socket).toBe("open");
    expect(s.breaker.tripped).toBe(false);
    expect(await t.stub.canEnter(TICKER)).toBe(true);
  });

  it("reconnects a silent feed after an unanswered probe", async () => {
    const t = setup("silent");
    await t.install();
    await t.stub.start();
    await t.beat();
    await t.beat();
    t.kalshi.mute = true;
    t.clock.now += 10_000;
    await t.beat();
    expect(t.kalshi.commands.at(-1)?.cmd).toBe("list_subscriptions");
    t.kalshi.mute = false;
    t.clock.now += 5_000;
    await t.beat();
    expect(t.kalshi.sockets).toHaveLength(2);
    expect((await t.stub.status()).counters.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("restores the running flag and wanted markets after an eviction, then rebuilds books before trading", async () => {
    const t = setup("evict");
    await t.install();
    await t.stub.start();
    await t.beat();
    await t.beat();
    // A WebSocketPair living inside the object keeps evictDurableObject waiting: end it first.
    await t.act(() => t.kalshi.server.close(1001, "evicting"));
    await evictDurableObject(t.stub);
    const s = await t.stub.status();
    expect(s.running).toBe(true);
    expect(s.wanted).toEqual([TICKER]);
    expect(s.socket).toBe("idle");
    expect(await t.stub.canEnter(TICKER)).toBe(false);
    await t.install(); // the new instance gets the fakes again; persisted state is kept
    await t.beat();
    const after = await t.stub.status();
    expect(after.socket).toBe("open");
    expect(after.subscriptions).toHaveLength(7); // replayed from the persisted wanted set
    expect(await t.stub.canEnter(TICKER)).toBe(true);
  });

  it("keeps running through a barrage of malformed frames", async () => {
    const t = setup("barrage");
    await t.install();
    await t.stub.start();
    await t.beat();
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
    const s = await t.stub.status();
    expect(s.socket).toBe("open");
    expect(s.counters.frames_seen).toBeGreaterThanOrEqual(7);
    expect(await t.stub.ping()).toBe("pong");
  });

  it("with the real frame handler, a malformed frame about a book marks it stale and asks for its snapshot", async () => {
    const logs: string[] = [];
    const clock = { now: 1_000_000 };
    const books = frameHandlerBookPort({ nowMs: () => clock.now, log: (e) => logs.push(e) });
    const t = setup("barrage-real", books);
    await t.install();
    await t.stub.start();
    await t.beat();
    await t.beat();
    const sid = (await t.stub.status()).subscriptions.find((x) => x.channel === "orderbook_delta")?.sid;
    // Kalshi's published snapshot on our sid (the fake's own minimal snapshot was seq 1).
    await t.act(() => t.kalshi.send({ ...snapshotFixture, sid, seq: 2 }));
    expect(await t.stub.canEnter(TICKER)).toBe(true);
    const badDelta = {
      type: "orderbook_delta",
      sid,
      seq: 3,
      msg: { market_ticker: TICKER, price_dollars: "0.96x", delta_fp: "-54.00", side: "yes" },
    };
    await t.act(() => {
      for (const f of ["{", "null", "[]", '{"type":7}', '{"id":"x"}', "\u0000", JSON.stringify(badDelta)])
        t.kalshi.send(f);
    });
    const s = await t.stub.status();
    expect(s.socket).toBe("open");
    expect(s.counters.parse_failures).toBeGreaterThanOrEqual(7);
    expect(s.books.find((b) => b.ticker === TICKER)).toMatchObject({
      fresh: false,
      staleReason: "bad_frame",
    });
    expect(await t.stub.canEnter(TICKER)).toBe(false);
    expect(t.kalshi.commands.at(-1)).toMatchObject({
      cmd: "update_subscription",
      params: { sids: [sid], action: "get_snapshot", market_tickers: [TICKER] },
    });
    expect(logs.filter((e) => e === "feed.bad_frame").length).toBeLessThanOrEqual(
      s.counters.parse_failures ?? 0,
    );
    await t.act(() => t.kalshi.send({ ...snapshotFixture, sid, seq: 4 }));
    expect(await t.stub.canEnter(TICKER)).toBe(true);
    expect(await t.stub.ping()).toBe("pong");
  });

  it("resubscribes only the channel that error 25 ended, on the same socket", async () => {
    // The real frame handler turns the subscription-scoped error (no command id) into a resubscribe.
    const t = setup("error25", frameHandlerBookPort({ nowMs: () => 1_000_000, log: () => {} }));
    await t.install();
    await t.stub.start();
    await t.beat();
    await t.beat();
    const before = await t.stub.status();
    const trade = before.subscriptions.find((x) => x.channel === "trade");
    await t.act(() =>
      t.kalshi.send({ type: "error", sid: trade?.sid, msg: { code: 25, msg: "Buffer overflow" } }),
    );
    const after = await t.stub.status();
    expect(t.kalshi.sockets).toHaveLength(1);
    expect(t.kalshi.commands.at(-1)).toMatchObject({ cmd: "subscribe", params: { channels: ["trade"] } });
    expect(after.subscriptions).toHaveLength(7);
    expect(after.subscriptions.find((x) => x.channel === "trade")?.sid).not.toBe(trade?.sid);
    expect(after.counters.resubscribes_requested).toBe(1);
  });
});
