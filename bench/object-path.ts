/**
 * The feed's hot path exactly as the account object runs it, outside workerd (whose clock does
 * not advance during synchronous code): a real `MarketData` with the real frame-handler book port,
 * connected through its own socket opener to a stand-in socket, so each frame enters where a
 * WebSocket `message` event enters in production: `KalshiSession.handleText` -> the market-data
 * frame handler (liveness, per-sid activity, effects) -> the book port (parse, seq, book) -> the
 * sink the account object routes from. The stand-in answers `subscribe` like Kalshi, so the
 * module reaches its `open` state without timers firing.
 */
import type { MarketInfo } from "../shared/domain.ts";
import { frameHandlerBookPort } from "../workers/feed/book-port.ts";
import { DEFAULT_FEED_CONFIG } from "../workers/feed/feed-config.ts";
import { type FeedSink, MarketData } from "../workers/feed/market-data.ts";
import type { FeedMarket } from "./feed-stream.ts";

type Listener = (ev: { data: unknown; code?: number; reason?: string }) => void;

/** A WebSocket stand-in: records listeners and answers subscription commands like Kalshi. */
class StandInSocket {
  readonly listeners = new Map<string, Listener>();
  #sid = 100;
  addEventListener(type: string, fn: Listener): void {
    this.listeners.set(type, fn);
  }
  accept(): void {}
  close(): void {}
  send(text: string): void {
    const c = JSON.parse(text) as { id: number; cmd: string; params?: { channels?: string[] } };
    const reply =
      c.cmd === "subscribe"
        ? { id: c.id, type: "subscribed", msg: { channel: c.params?.channels?.[0] ?? "", sid: ++this.#sid } }
        : { id: c.id, type: "ok", msg: [] };
    // Answered on a microtask, as a socket would deliver it after the send returns.
    queueMicrotask(() => this.listeners.get("message")?.({ data: JSON.stringify(reply) }));
  }
}

export interface ObjectPath {
  md: MarketData;
  /** Delivers one frame as the socket's `message` event does. */
  push: (frame: string) => void;
  /** Books the sink heard changed (so the routing is not optimised away). */
  routed: () => number;
}

/** Builds and connects a market-data module over the stand-in socket, watching `markets`. */
export async function objectPath(markets: readonly FeedMarket[], nowMs: () => number): Promise<ObjectPath> {
  const socket = new StandInSocket();
  let routed = 0;
  const sink: FeedSink = {
    onBookChanged: () => {
      routed++;
    },
    onMessage: () => {},
    onConnected: () => {},
  };
  const books = frameHandlerBookPort({ nowMs, log: () => {} });
  const md = new MarketData({
    config: DEFAULT_FEED_CONFIG,
    nowMs,
    random: () => 0,
    store: { load: () => undefined, save: () => {} },
    books,
    openSocket: async () => ({ ok: true, socket: socket as unknown as WebSocket }),
    sink,
    log: () => {},
  });
  const infos = markets.map(
    (m): MarketInfo => ({
      ticker: m.ticker,
      eventTicker: m.ticker,
      seriesTicker: "",
      status: "active",
      openTimeMs: 0,
      closeTimeMs: Number.MAX_SAFE_INTEGER,
      grid: m.grid,
      exchangeIndex: 0,
      volume24h: 0,
      top: { yesBid: null, yesBidSize: 0, noBid: null, noBidSize: 0 },
      fee: null,
      canCloseEarly: false,
      multivariate: false,
    }),
  );
  md.applyUniverse(
    infos,
    infos.map((m) => m.ticker),
  );
  md.start();
  await md.reconnect("bench");
  const message = socket.listeners.get("message");
  if (!message || md.status().socket !== "open")
    throw new Error("object path: the stand-in socket did not open");
  const ev = { data: "" };
  return {
    md,
    push: (frame) => {
      ev.data = frame;
      message(ev);
    },
    routed: () => routed,
  };
}
