/**
 * The hot path from a raw Kalshi WebSocket text frame to the books: parse, validate, check `seq`
 * per `sid`, update the book, mark staleness. Called by the feed Durable Object for every frame.
 *
 * `orderbook_delta` frames go through the allocation-free scanner (`fast-json.ts`); everything
 * else, and any delta the scanner declines, through `JSON.parse` + the reference validator
 * (`frame-parse.ts`), which gives identical results (property-tested). Bad input is counted per
 * kind, reported once per kind with a sample through `onFirstFailure`, dropped, and the book it
 * was about (when known) is marked stale and re-requested. Nothing in a frame can make `handle`
 * throw.
 *
 * The handler sends nothing: the DO drains `store.drainEffects()` after each frame (or batch) and
 * sends the `update_subscription` / `get_snapshot` commands, resubscribes, alerts.
 */

import type { WsMessage } from "../kalshi/ws-messages.ts";
import { isTerminalWsError, parseWsMessage } from "../kalshi/ws-messages.ts";
import type { BookStoreOptions, MarketBook, StoreCounters } from "./book-store.ts";
import { BookStore } from "./book-store.ts";
import type { DeltaScan } from "./fast-json.ts";
import { newDeltaScan, scanDelta } from "./fast-json.ts";
import type { FailureKind, ParsedFrame } from "./frame-parse.ts";
import { parseFrame } from "./frame-parse.ts";

/** Failure kinds of the handler itself, beyond the parser's. */
export type HandlerFailureKind =
  | FailureKind
  /** A non-book message the zod schemas of ws-messages.ts reject. */
  | "bad_message"
  | "binary_frame"
  | "internal_error";

export interface FrameHandlerOptions extends BookStoreOptions {
  /** Use this store instead of creating one. */
  readonly store?: BookStore;
  /** Called the first time each failure kind is seen, with the start of the offending frame. */
  readonly onFirstFailure?: (kind: HandlerFailureKind, sample: string) => void;
  /** Set false to send every frame through the reference parser (tests, benchmarks). */
  readonly fastPath?: boolean;
}

/** What a frame was. `book` outcomes are preallocated per market: do not keep or mutate them. */
export type FrameOutcome =
  | MarketBook["outcome"]
  /** Any other message, validated by ws-messages.ts and already seq-checked: route it. */
  | { readonly kind: "message"; readonly message: WsMessage }
  | { readonly kind: "dropped" };

export interface FailureCount {
  count: number;
  /** The first offending frame, truncated. */
  sample: string;
}

export interface HandlerCounters {
  frames: number;
  /** Frames by `type` as sent, valid or not (at most MAX_TYPE_NAMES names, then "(other)"). */
  byType: Record<string, number>;
  /** Delta frames taken by the fast scanner. */
  fastPath: number;
  failures: Partial<Record<HandlerFailureKind, FailureCount>>;
  /** Book-side counts: gaps, resync requests, stale marks, deltas applied/dropped. */
  books: StoreCounters;
}

const DROPPED: FrameOutcome = { kind: "dropped" };
const SAMPLE_LENGTH = 300;
const MAX_TYPE_NAMES = 64;
const TICKER_IN_TEXT = /"market_ticker"\s*:\s*"([^"\\]{1,128})"/;

export class FrameHandler {
  readonly store: BookStore;
  private readonly onFirstFailure: (kind: HandlerFailureKind, sample: string) => void;
  private readonly fast: boolean;
  private readonly scan: DeltaScan = newDeltaScan();
  private frames = 0;
  private fastHits = 0;
  private deltaFrames = 0;
  private readonly byType = new Map<string, number>();
  private readonly failures = new Map<HandlerFailureKind, FailureCount>();
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  private type: string | undefined = undefined;

  constructor(options: FrameHandlerOptions = {}) {
    this.store = options.store ?? new BookStore(options);
    this.onFirstFailure = options.onFirstFailure ?? (() => {});
    this.fast = options.fastPath ?? true;
  }

  /** Handles one WebSocket message. Never throws. */
  handle(data: string | ArrayBuffer, nowMs: number): FrameOutcome {
    this.frames++;
    this.type = undefined;
    try {
      if (typeof data !== "string") {
        let text: string;
        try {
          text = this.decoder.decode(data);
        } catch {
          return this.fail("binary_frame", "<undecodable binary frame>");
        }
        return this.handleText(text, nowMs);
      }
      return this.handleText(data, nowMs);
    } catch (err) {
      // A bug of ours, not the frame's: still never let it escape into the socket handler.
      const sample = typeof data === "string" ? data : "<binary>";
      this.fail("internal_error", `${String(err)} on ${sample}`);
      return DROPPED;
    }
  }

  /** `type` of the last frame handled, as sent; undefined when it had none (or was not JSON). */
  get lastType(): string | undefined {
    return this.type;
  }

  counters(): HandlerCounters {
    // No prototype: a frame's `type` is the server's string, and one named `constructor` or
    // `__proto__` must count like any other rather than read (or set) an Object member.
    const byType: Record<string, number> = Object.create(null);
    if (this.deltaFrames > 0) byType.orderbook_delta = this.deltaFrames;
    for (const [t, c] of this.byType) byType[t] = (byType[t] ?? 0) + c;
    const failures: Partial<Record<HandlerFailureKind, FailureCount>> = {};
    for (const [k, v] of this.failures) failures[k] = { ...v };
    return {
      frames: this.frames,
      byType,
      fastPath: this.fastHits,
      failures,
      books: { ...this.store.counters },
    };
  }

  private handleText(text: string, nowMs: number): FrameOutcome {
    const s = this.scan;
    if (this.fast && scanDelta(text, s)) {
      this.fastHits++;
      this.deltaFrames++;
      this.type = "orderbook_delta";
      const store = this.store;
      store.checkSeq(s.sid, s.seq, nowMs);
      const m =
        store.lookup(text, s.tickerStart, s.tickerEnd, s.tickerHash) ??
        store.ensureMarket(text.slice(s.tickerStart, s.tickerEnd));
      // ts_ms is copied field to field: passed as an argument, a double is boxed on every frame.
      if (store.applyDelta(m, s.sid, s.side, s.price, s.delta, nowMs)) m.lastExchangeTsMs = s.tsMs;
      return m.outcome;
    }
    return this.handleParsed(parseFrame(text), text, nowMs);
  }

  private handleParsed(p: ParsedFrame, text: string, nowMs: number): FrameOutcome {
    const store = this.store;
    this.type =
      p.kind === "delta" ? "orderbook_delta" : p.kind === "snapshot" ? "orderbook_snapshot" : p.type;
    switch (p.kind) {
      case "delta": {
        this.deltaFrames++;
        store.checkSeq(p.sid, p.seq, nowMs);
        const m = store.ensureMarket(p.ticker);
        if (store.applyDelta(m, p.sid, p.side, p.price, p.delta, nowMs)) m.lastExchangeTsMs = p.tsMs;
        return m.outcome;
      }
      case "snapshot": {
        this.countType("orderbook_snapshot");
        store.checkSeq(p.sid, p.seq, nowMs);
        return store.applySnapshot(p, nowMs).outcome;
      }
      case "message": {
        this.countType(p.type);
        if (p.sid !== 0) store.checkSeq(p.sid, p.seq, nowMs);
        const r = parseWsMessage(p.value);
        if (r.kind !== "message")
          return this.fail("bad_message", `${r.kind === "invalid" ? r.error : ""} in ${text}`);
        this.control(r.message, nowMs);
        return { kind: "message", message: r.message };
      }
      case "invalid": {
        if (p.type !== undefined) this.countType(p.type);
        if (p.sid !== 0) store.checkSeq(p.sid, p.seq, nowMs);
        const ticker = p.ticker ?? (p.failure === "malformed_json" ? tickerIn(text) : undefined);
        if (ticker !== undefined) store.markBad(ticker, p.sid, nowMs);
        return this.fail(p.failure, text);
      }
    }
  }

  /** Subscription lifecycle messages that change what the books can trust. */
  private control(m: WsMessage, nowMs: number): void {
    if (m.type === "unsubscribed") {
      this.store.endSubscription(m.sid, "unsubscribed", nowMs);
    } else if (m.type === "error" && m.sid !== undefined && isTerminalWsError(m.msg.code)) {
      this.store.endSubscription(m.sid, "subscription_error", nowMs);
      this.store.pushEffect({ type: "resubscribe", sid: m.sid, code: m.msg.code });
    }
  }

  private countType(type: string): void {
    const c = this.byType.get(type);
    if (c !== undefined) this.byType.set(type, c + 1);
    else if (this.byType.size < MAX_TYPE_NAMES) this.byType.set(type, 1);
    else this.byType.set("(other)", (this.byType.get("(other)") ?? 0) + 1);
  }

  private fail(kind: HandlerFailureKind, text: string): FrameOutcome {
    const f = this.failures.get(kind);
    if (f !== undefined) {
      f.count++;
    } else {
      const sample = text.length > SAMPLE_LENGTH ? `${text.slice(0, SAMPLE_LENGTH)}...` : text;
      this.failures.set(kind, { count: 1, sample });
      try {
        this.onFirstFailure(kind, sample);
      } catch {
        // A failing logger must not turn a dropped frame into a thrown one.
      }
    }
    return DROPPED;
  }
}

/** Best effort: the ticker a malformed frame was about, so its book can be marked stale. */
function tickerIn(text: string): string | undefined {
  return TICKER_IN_TEXT.exec(text.length > 4096 ? text.slice(0, 4096) : text)?.[1];
}
