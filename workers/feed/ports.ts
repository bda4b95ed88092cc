/**
 * The feed runtime's ports: what it needs from the book store (shared/book), from Kalshi
 * REST (shared/kalshi/rest-client) and from the socket opener, as narrow interfaces. The
 * feed object plugs the real implementations in (`feed-adapters.ts`); tests plug fakes.
 */
import type { MarketInfo, TopOfBook } from "./universe.ts";

export interface BookView {
  /** snapshot applied on the current connection and not stale since */
  fresh: boolean;
  staleReason: string | null;
  /** last snapshot or delta applied to this book (ms), 0 = never */
  lastUpdateMs: number;
  top: TopOfBook;
}

/** A book needs a fresh snapshot: `update_subscription get_snapshot` on `sid`. */
export interface ResyncEffect {
  kind: "resync";
  sid: number;
  tickers: string[];
}

/** A terminal subscription error (codes 10, 25) ended `sid`: subscribe that channel again. */
export interface ResubscribeEffect {
  kind: "resubscribe";
  sid: number;
  code: number;
}

export type BookEffect = ResyncEffect | ResubscribeEffect;

/** Both bids-only ladders of one book, best first, each leg in its own prices. */
export interface BookDepth {
  yes: { price: number; size: number }[];
  no: { price: number; size: number }[];
}

export interface FrameResult {
  /** the message type when it could be read (`orderbook_delta`, `ok`, ...) */
  type: string | undefined;
  /** the frame's sid (0 when none) */
  sid: number;
  effects: readonly BookEffect[];
}

export interface BookPort {
  /** Never throws. Bad input is counted, logged once per kind and marks the book stale. */
  onFrame(text: string, nowMs: number): FrameResult;
  /** A new socket: forget every sid's seq and mark every book stale until its snapshot. */
  resetConnection(reason: string): void;
  /** The markets whose books `view` shows (the wanted universe). */
  setMarkets(tickers: readonly string[]): void;
  /**
   * Drops every book for which `keep` is false (markets unsubscribed with `delete_markets`, or
   * no longer wanted while no subscription holds them); returns the tickers dropped.
   */
  retain(keep: (ticker: string) => boolean): string[];
  /** The markets' tick grids (from REST); levels off a market's grid make its book stale. */
  setMarketInfo?(markets: readonly MarketInfo[]): void;
  /** Full depth of a book (tests, admin); undefined when unknown or stale. */
  depth?(ticker: string): BookDepth | undefined;
  view(ticker: string): BookView | undefined;
  /**
   * The seq state of `sid`: its last seq and whether that message came exactly in order
   * (undefined before its first message). Tells the runtime whether a proof's `ok` confirmed the sid.
   */
  sidSeq?(sid: number): { lastSeq: number; inSequence: boolean } | undefined;
  /** frames by type, parse failures by kind, gaps, resyncs ... */
  counters(): Record<string, number>;
}

export interface RestPort {
  /** All pages of open markets, converted; null when REST failed. */
  listMarkets(): Promise<MarketInfo[] | null>;
  /** REST top of book for the cross-check; null when REST failed. */
  orderbookTop(ticker: string): Promise<TopOfBook | null>;
  /** Reconcile fills, orders and positions (unsequenced channels) after a reconnect. */
  reconcilePrivate(): Promise<boolean>;
}

export type OpenSocketResult = { ok: true; socket: WebSocket } | { ok: false; reason: string };

/** Opens an accepted, freshly signed WebSocket to Kalshi (or the simulator). */
export type SocketOpener = () => Promise<OpenSocketResult>;
