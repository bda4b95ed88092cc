/**
 * Fuzzing of market data (`workers/feed/market-data.ts`) through its real book port
 * (`book-port.ts`, shared/book's frame handler) inside workerd, over one end of a real
 * `WebSocketPair`: a small Kalshi stand-in answers the feed's commands like Kalshi's published
 * examples, and the test sends damaged published frames, random JSON, text and binary frames down
 * the socket. The feed must keep its socket and its state machine, route only validated messages,
 * mark only the book a bad frame names stale (asking Kalshi for that book's snapshot alone), and
 * trade again once fresh snapshots come.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MarketInfo } from "../../shared/domain.ts";
import errorFixture from "../../shared/kalshi/fixtures/ws_error_unknown_subscription.json" with {
  type: "json",
};
import fillFixture from "../../shared/kalshi/fixtures/ws_fill.json" with { type: "json" };
import lifecycleFixture from "../../shared/kalshi/fixtures/ws_market_lifecycle_v2_created.json" with {
  type: "json",
};
import positionFixture from "../../shared/kalshi/fixtures/ws_market_position.json" with { type: "json" };
import okFixture from "../../shared/kalshi/fixtures/ws_ok_update_subscription.json" with { type: "json" };
import groupFixture from "../../shared/kalshi/fixtures/ws_order_group_updates.json" with { type: "json" };
import deltaFixture from "../../shared/kalshi/fixtures/ws_orderbook_delta.json" with { type: "json" };
import snapshotFixture from "../../shared/kalshi/fixtures/ws_orderbook_snapshot.json" with { type: "json" };
import tickerFixture from "../../shared/kalshi/fixtures/ws_ticker.json" with { type: "json" };
import tradeFixture from "../../shared/kalshi/fixtures/ws_trade.json" with { type: "json" };
import unsubscribedFixture from "../../shared/kalshi/fixtures/ws_unsubscribed.json" with { type: "json" };
import userOrderFixture from "../../shared/kalshi/fixtures/ws_user_order.json" with { type: "json" };
import { WsMessage } from "../../shared/kalshi/ws-messages.ts";
import { frameHandlerBookPort } from "../../workers/feed/book-port.ts";
import { FeedConfig } from "../../workers/feed/feed-config.ts";
import { type FeedPersisted, MarketData } from "../../workers/feed/market-data.ts";
import { watchedMarket } from "../support/market-info.ts";
import { damagedText, randomJsonText, runs } from "./support.ts";

const FED = "FED-23DEC-T3.00";
const OTHER = "HIGHNY-22DEC23-B53.5";

const FRAMES: unknown[] = [
  snapshotFixture,
  deltaFixture,
  errorFixture,
  fillFixture,
  lifecycleFixture,
  positionFixture,
  okFixture,
  groupFixture,
  tickerFixture,
  tradeFixture,
  unsubscribedFixture,
  userOrderFixture,
];

function market(ticker: string): MarketInfo {
  return watchedMarket(ticker, "EV", "S");
}

/** Plays Kalshi over a WebSocketPair: answers commands, numbers each sid's frames. */
class KalshiStandIn {
  server: WebSocket | null = null;
  sockets = 0;
  nextSid = 1;
  seqs = new Map<number, number>();
  channels = new Map<string, number>();
  commands: { cmd: string; params?: Record<string, unknown> }[] = [];
  holdSnapshots = false;

  open = async () => {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    client.accept();
    server.accept();
    server.addEventListener("message", (ev) => this.#onCommand(String(ev.data)));
    this.server = server;
    this.sockets++;
    this.seqs.clear();
    this.channels.clear();
    return { ok: true as const, socket: client };
  };

  seq(sid: number): number {
    const n = (this.seqs.get(sid) ?? 0) + 1;
    this.seqs.set(sid, n);
    return n;
  }

  send(frame: string | ArrayBuffer): void {
    this.server?.send(frame);
  }

  snapshot(sid: number, ticker: string, id?: number): void {
    const msg = { ...snapshotFixture.msg, market_ticker: ticker };
    this.send(
      JSON.stringify({
        ...(id === undefined ? {} : { id }),
        ...snapshotFixture,
        sid,
        seq: this.seq(sid),
        msg,
      }),
    );
  }

  #onCommand(text: string): void {
    const c = JSON.parse(text) as { id: number; cmd: string; params?: Record<string, unknown> };
    this.commands.push(c);
    const p = c.params ?? {};
    const sid = typeof p.sid === "number" ? p.sid : (((p.sids as number[] | undefined) ?? [])[0] ?? 0);
    const tickers = (p.market_tickers as string[] | undefined) ?? [];
    if (c.cmd === "subscribe") {
      const channel = ((p.channels ?? []) as string[])[0] ?? "";
      const newSid = this.nextSid++;
      this.channels.set(channel, newSid);
      this.send(JSON.stringify({ id: c.id, type: "subscribed", msg: { channel, sid: newSid } }));
      if (channel === "orderbook_delta") for (const t of tickers) this.snapshot(newSid, t);
    } else if (c.cmd === "update_subscription" && p.action === "get_snapshot") {
      if (!this.holdSnapshots) for (const t of tickers) this.snapshot(sid, t, c.id);
    } else if (c.cmd === "update_subscription") {
      this.send(
        JSON.stringify({
          id: c.id,
          sid,
          seq: this.seq(sid),
          type: "ok",
          msg: { market_tickers: [FED, OTHER] },
        }),
      );
    } else if (c.cmd === "unsubscribe") {
      this.send(JSON.stringify({ id: c.id, sid, seq: this.seq(sid), type: "unsubscribed" }));
    } else if (c.cmd === "list_subscriptions") {
      const msg = [...this.channels].map(([channel, s]) => ({ channel, sid: s }));
      this.send(JSON.stringify({ id: c.id, type: "ok", msg }));
    }
  }
}

/** Lets socket events queued by either end be delivered. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
};

/** A running feed on two markets, subscribed, both books fresh. */
async function liveFeed() {
  const kalshi = new KalshiStandIn();
  const clock = { now: 1_000_000 };
  const books = frameHandlerBookPort({ nowMs: () => clock.now, log: () => {} });
  const routed: unknown[] = [];
  let persisted: FeedPersisted | undefined;
  const md = new MarketData({
    // Kalshi's published snapshot (a 0.22 / 0.54 book) would fail the default universe filters.
    config: FeedConfig.parse({ universe: { minFavouritePrice: 0, minVolume24h: 0 } }),
    nowMs: () => clock.now,
    random: () => 0,
    store: {
      load: () => persisted,
      save: (s) => {
        persisted = structuredClone(s);
      },
    },
    books,
    openSocket: kalshi.open,
    sink: { onBookChanged: () => {}, onMessage: (m) => routed.push(m), onConnected: () => {} },
    log: () => {},
  });
  md.applyUniverse([market(FED), market(OTHER)], [FED, OTHER]);
  md.start();
  await md.tick();
  await settle();
  expect([md.canEnter(FED), md.canEnter(OTHER)]).toEqual([true, true]);
  return { kalshi, clock, md, routed, obSid: kalshi.channels.get("orderbook_delta") as number };
}

/** Any frame a socket can deliver: damaged published frames, random JSON, text, bytes. */
const anyFrame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: damagedText(FRAMES) },
  { weight: 2, arbitrary: randomJsonText },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
);

describe("market data under damaged and arbitrary frames", () => {
  // Regression: workerd hands binary frames over as Blobs (the standard default), which the
  // socket binding passed to TextDecoder: every binary frame threw out of the message listener.
  it("handles binary frames in stream order: an empty one dropped, one holding a frame applied", async () => {
    const t = await liveFeed();
    const before = t.md.status().counters.parse_failures ?? 0;
    const delta = { ...deltaFixture, sid: t.obSid, seq: t.kalshi.seq(t.obSid) };
    const bytes = new TextEncoder().encode(
      JSON.stringify({
        ...delta,
        msg: { ...delta.msg, market_ticker: FED, price_dollars: "0.2200", delta_fp: "1.00" },
      }),
    );
    t.kalshi.send(new ArrayBuffer(0));
    t.kalshi.send(bytes.slice().buffer);
    await settle();
    expect(t.md.status().counters.parse_failures).toBe(before + 1);
    expect(t.md.bookDepth(FED)?.yes).toContainEqual({ price: 2_200, size: 33_400 });
    expect(t.md.canEnter(FED)).toBe(true);
  });

  it("keeps its socket, routes only validated messages and trades again after fresh snapshots", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyFrame, { minLength: 1, maxLength: 15 }), async (frames) => {
        const t = await liveFeed();
        for (const f of frames) t.kalshi.send(typeof f === "string" ? f : f.slice().buffer);
        await settle();
        const s = t.md.status();
        expect([s.socket, t.kalshi.sockets]).toEqual(["open", 1]);
        for (const [k, n] of Object.entries(s.counters)) expect(Number.isSafeInteger(n), k).toBe(true);
        for (const m of t.routed) expect(WsMessage.safeParse(m).success).toBe(true);
        // Whatever the frames did to the books, fresh snapshots on the live sid restore trading.
        await t.md.tick();
        await settle();
        const sid = t.kalshi.channels.get("orderbook_delta") as number;
        for (const ticker of [FED, OTHER]) t.kalshi.snapshot(sid, ticker);
        await settle();
        expect([t.md.canEnter(FED), t.md.canEnter(OTHER)]).toEqual([true, true]);
      }),
      runs(15, 901),
    );
  });

  it("marks only the book a bad frame names stale and asks Kalshi for that book's snapshot alone", async () => {
    // Kalshi's published delta on a level its published snapshot holds, damaged inside `msg`.
    const base = { ...deltaFixture, msg: { ...deltaFixture.msg, price_dollars: "0.2200", delta_fp: "1.00" } };
    await fc.assert(
      fc.asyncProperty(damagedText([base], ["msg"]), async (text) => {
        const t = await liveFeed();
        t.kalshi.holdSnapshots = true;
        const asked = t.kalshi.commands.length;
        // Renumbered onto the live orderbook sid, next in sequence, unless the damage hid them.
        let frame = text;
        try {
          const v = JSON.parse(text) as Record<string, unknown>;
          frame = JSON.stringify({ ...v, sid: t.obSid, seq: t.kalshi.seq(t.obSid) });
        } catch {
          // a truncated or otherwise broken frame goes as it is
        }
        t.kalshi.send(frame);
        await settle();
        expect(t.md.status().socket).toBe("open");
        expect(t.md.canEnter(OTHER), frame).toBe(true);
        const snapshotAsks = t.kalshi.commands
          .slice(asked)
          .filter((c) => c.cmd === "update_subscription" && c.params?.action === "get_snapshot");
        for (const c of snapshotAsks) expect(c.params?.market_tickers, frame).toEqual([FED]);
        if (!t.md.canEnter(FED)) expect(snapshotAsks.length, frame).toBe(1);
      }),
      runs(20, 902),
    );
  });
});
