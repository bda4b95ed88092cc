/**
 * What the market-data module (`market-data.ts`) needs from the book store (shared/book) and from
 * the socket opener, as narrow interfaces. The account object plugs the real implementations in
 * (`book-port.ts`, `feed-adapters.ts`); tests plug fakes. Domain types come from shared/domain.ts.
 */
import type { MarketInfo, StaleReason, TopOfBook } from "../../shared/domain.ts";
import type { WsMessage } from "../../shared/kalshi/ws-messages.ts";

/** A book as the store holds it, before the feed applies its age and socket rules. */
export interface StoredBook {
  /** snapshot applied on the current connection and nothing untrustworthy since */
  fresh: boolean;
  staleReason: StaleReason | null;
  /** last moment the book was confirmed current (its own update or an in-order frame on its sid); 0 = never */
  confirmedAtMs: number;
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

/**
 * What one frame was. The port reuses one result object: read it before the next `onFrame`.
 * Exactly one of `bookTicker` and `message` is set for a valid frame; neither for a dropped one.
 */
export interface FrameResult {
  /** the message type when it could be read (`orderbook_delta`, `ok`, `fill`, ...) */
  type: string | undefined;
  /** the frame's sid (0 when none) */
  sid: number;
  /** the market whose book this frame was about (snapshot or delta) */
  bookTicker: string | null;
  /** any other message, validated (zod) and seq-checked: fills, orders, positions, lifecycle ... */
  message: WsMessage | null;
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
  /** The markets' tick grids; levels off a market's grid make its book stale. */
  setMarketInfo?(markets: readonly MarketInfo[]): void;
  /** Full depth of a book (tests, admin); undefined when unknown or stale. */
  depth?(ticker: string): BookDepth | undefined;
  view(ticker: string): StoredBook | undefined;
  /**
   * The seq state of `sid`: its last seq and whether that message came exactly in order
   * (undefined before its first message). Tells the feed whether a proof's `ok` confirmed the sid.
   */
  sidSeq?(sid: number): { lastSeq: number; inSequence: boolean } | undefined;
  /** frames by type, parse failures by kind, gaps, resyncs ... */
  counters(): Record<string, number>;
}

/** Why a connect attempt failed, as precisely as the exchange said. Never contains secrets. */
export interface ConnectFailure {
  /** `refused` = the exchange answered the upgrade with an error status; `network` = no answer; `signing` = our key */
  kind: "refused" | "network" | "signing" | "config";
  /** HTTP status of a refused upgrade */
  status?: number;
  /** Kalshi's error code when the body carried one (e.g. `INCORRECT_API_KEY_SIGNATURE`) */
  code?: string;
  /** bounded, human-readable */
  message: string;
}

export type OpenSocketResult = { ok: true; socket: WebSocket } | { ok: false; failure: ConnectFailure };

/** Opens an accepted, freshly signed WebSocket to Kalshi (or the simulator). */
export type SocketOpener = () => Promise<OpenSocketResult>;
