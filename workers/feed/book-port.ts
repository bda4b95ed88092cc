/**
 * The real `BookPort`: the market-data module's view of shared/book's `FrameHandler` and
 * `BookStore`. A raw frame goes in; out come its type and sid (for liveness), the market whose
 * book it was about or the validated message it carried (for the account object to route), and
 * the store's effects turned into feed effects (`get_snapshot` -> resync, terminal subscription
 * error -> resubscribe). The result object is reused: nothing is allocated for a book frame.
 * Book views, full depth and flat counters (frames by type, parse failures by kind, gaps,
 * resyncs, ...) are read from the store. Bad input is counted and reported once per kind by the
 * handler (logged here with its sample) and marks the book it was about stale; `onFrame`
 * never throws. Built by the account object (`account-object.ts`); market data only sees the port.
 */

import { gridCheck } from "../../shared/book/book-store.ts";
import type { HandlerFailureKind } from "../../shared/book/frame-handler.ts";
import { FrameHandler } from "../../shared/book/frame-handler.ts";
import type { MarketInfo } from "../../shared/domain.ts";
import type { BookDepth, BookEffect, BookPort, FrameResult, StoredBook } from "./ports.ts";

export interface FrameHandlerBookPortOptions {
  nowMs: () => number;
  /** Structured log line; receives one sample per kind of bad input. */
  log: (event: string, data?: Record<string, unknown>) => void;
  /** Every frame through the reference parser (tests); default false. */
  referenceParser?: boolean;
}

const NO_EFFECTS: readonly BookEffect[] = [];

export function frameHandlerBookPort(opts: FrameHandlerBookPortOptions): BookPort & {
  readonly handler: FrameHandler;
} {
  const handler = new FrameHandler({
    // The bot always subscribes with use_yes_price: true (subscriptions.ts).
    useYesPrice: true,
    fastPath: opts.referenceParser !== true,
    onFirstFailure: (kind: HandlerFailureKind, sample: string) =>
      opts.log("feed.bad_frame", { kind, sample: sample.slice(0, 200) }),
  });
  const store = handler.store;
  let wanted = new Set<string>();
  let sidGaps = 0;
  let resubscribes = 0;

  const effectsOf = (): readonly BookEffect[] => {
    if (!store.hasEffects()) return NO_EFFECTS;
    const raw = store.drainEffects();
    if (raw.length === 0) return NO_EFFECTS;
    const out: BookEffect[] = [];
    for (const e of raw) {
      if (e.type === "get_snapshot") out.push({ kind: "resync", sid: e.sid, tickers: e.tickers });
      else if (e.type === "resubscribe") {
        resubscribes++;
        out.push({ kind: "resubscribe", sid: e.sid, code: e.code });
      } else sidGaps++;
    }
    return out;
  };

  // One result object for every frame (read before the next frame, see FrameResult).
  const result: FrameResult = {
    type: undefined,
    sid: 0,
    bookTicker: null,
    message: null,
    effects: NO_EFFECTS,
  };

  return {
    handler,

    onFrame(text: string, nowMs: number): FrameResult {
      const o = handler.handle(text, nowMs);
      result.type = handler.lastType;
      if (o.kind === "book") {
        result.sid = o.market.sid;
        result.bookTicker = o.market.ticker;
        result.message = null;
      } else if (o.kind === "message") {
        const m = o.message as { sid?: unknown };
        result.sid = typeof m.sid === "number" ? m.sid : 0;
        result.bookTicker = null;
        result.message = o.message;
      } else {
        result.sid = 0;
        result.bookTicker = null;
        result.message = null;
      }
      result.effects = effectsOf();
      return result;
    },

    resetConnection(): void {
      store.disconnected(opts.nowMs());
      store.drainEffects();
    },

    setMarkets(tickers: readonly string[]): void {
      wanted = new Set(tickers);
    },

    retain(keep: (ticker: string) => boolean): string[] {
      const drop = store
        .allMarkets()
        .filter((m) => !keep(m.ticker))
        .map((m) => m.ticker);
      for (const t of drop) store.remove(t);
      return drop;
    },

    setMarketInfo(markets: readonly MarketInfo[]): void {
      for (const m of markets) if (wanted.has(m.ticker)) store.setGrid(m.ticker, gridCheck(m.grid));
    },

    view(ticker: string): StoredBook | undefined {
      if (!wanted.has(ticker)) return undefined;
      const now = opts.nowMs();
      const v = store.view(ticker, now);
      if (v === undefined) return undefined;
      const everUpdated = Number.isFinite(v.lastChangeMs);
      return {
        fresh: !v.stale,
        staleReason: v.staleReason,
        // The last moment the book was confirmed current (its own update or an in-order frame on its sid).
        confirmedAtMs: everUpdated && Number.isFinite(v.ageMs) ? now - v.ageMs : 0,
        top: {
          yesBid: v.yesBid < 0 ? null : v.yesBid,
          yesBidSize: v.yesBidSize,
          noBid: v.noBid < 0 ? null : v.noBid,
          noBidSize: v.noBidSize,
        },
      };
    },

    sidSeq(sid: number): { lastSeq: number; inSequence: boolean } | undefined {
      const st = store.sidSeq(sid);
      return st === undefined ? undefined : { lastSeq: st.lastSeq, inSequence: st.inSequence };
    },

    depth(ticker: string): BookDepth | undefined {
      const m = store.market(ticker);
      if (m === undefined || m.stale) return undefined;
      return { yes: store.depth(ticker, "yes"), no: store.depth(ticker, "no") };
    },

    counters(): Record<string, number> {
      const h = handler.counters();
      const c = store.counters;
      const out: Record<string, number> = {
        frames: h.frames,
        frames_fast_path: h.fastPath,
        parse_failures: 0,
        gaps: c.gaps,
        seq_repeats: c.seqRepeats,
        sid_gaps: sidGaps,
        resyncs: c.resyncRequests,
        resubscribes,
        snapshots_applied: c.snapshotsApplied,
        deltas_applied: c.deltasApplied,
        deltas_dropped_stale: c.deltasDroppedStale,
        stale_marks: c.staleMarks,
        books: store.size,
        books_removed: c.marketsRemoved,
      };
      for (const [t, n] of Object.entries(h.byType)) out[`frames_${t}`] = n;
      for (const [k, f] of Object.entries(h.failures)) {
        if (!f) continue;
        out[`bad_${k}`] = f.count;
        out.parse_failures = (out.parse_failures ?? 0) + f.count;
      }
      return out;
    },
  };
}
