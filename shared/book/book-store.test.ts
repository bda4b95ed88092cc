/**
 * Node tests of `BookStore.remove`: a market leaving the universe frees its book, the
 * open-addressing table keeps finding every other market (backward-shift deletion under random
 * inserts and removals), queued snapshot requests for it are dropped, counters stay consistent.
 * Frames are Kalshi's published examples (shared/kalshi/fixtures).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FrameHandler } from "./frame-handler.ts";

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../kalshi/fixtures/${name}`, import.meta.url), "utf8")) as Json;
}

// Kalshi's published examples (its WebSocket spec): ticker FED-23DEC-T3.00, sid 2, snapshot seq 2.
const SNAPSHOT = fixture("ws_orderbook_snapshot.json");
const DELTA = fixture("ws_orderbook_delta.json");
const FED = "FED-23DEC-T3.00";
const OTHER = "HIGHNY-22DEC23-B53.5";

function snapshot(ticker: string, seq: number): string {
  return JSON.stringify({
    ...SNAPSHOT,
    sid: 2,
    seq,
    msg: { ...(SNAPSHOT.msg as Json), market_ticker: ticker },
  });
}

function delta(ticker: string, seq: number): string {
  const msg = { ...(DELTA.msg as Json), market_ticker: ticker, price_dollars: "0.2200", delta_fp: "1.00" };
  return JSON.stringify({ ...DELTA, sid: 2, seq, msg });
}

describe("BookStore.remove", () => {
  it("forgets the book, keeps the others and counts the removal", () => {
    const h = new FrameHandler({ useYesPrice: false });
    h.handle(snapshot(FED, 1), 1000);
    h.handle(snapshot(OTHER, 2), 1000);
    const removed = h.store.market(FED);
    expect(h.store.remove(FED)).toBe(true);
    expect(h.store.market(FED)).toBeUndefined();
    expect(h.store.size).toBe(1);
    expect(h.store.view(OTHER, 1000)?.stale).toBe(false);
    expect(h.store.counters.marketsRemoved).toBe(1);
    // Whoever still holds the old object sees an empty book it cannot trade on.
    expect(removed?.stale).toBe(true);
    expect(removed?.staleReason).toBe("unsubscribed");
    expect(removed?.book.yes.length).toBe(0);
    expect(h.store.remove(FED)).toBe(false);
    expect(h.store.counters.marketsRemoved).toBe(1);
  });

  it("drops a queued snapshot request for the removed market", () => {
    const h = new FrameHandler({ useYesPrice: false });
    h.handle(snapshot(FED, 1), 1000);
    h.handle(snapshot(OTHER, 2), 1000);
    h.handle(delta(FED, 4), 1001); // seq 3 missing: both books stale, both snapshots queued
    h.store.remove(FED);
    const requests = h.store.drainEffects().filter((e) => e.type === "get_snapshot");
    expect(requests).toEqual([{ type: "get_snapshot", sid: 2, tickers: [OTHER] }]);
  });

  it("starts a new stale book, without the old levels, if a frame about the ticker comes later", () => {
    const h = new FrameHandler({ useYesPrice: false });
    h.handle(snapshot(FED, 1), 1000);
    h.store.remove(FED);
    h.handle(delta(FED, 2), 1001);
    const v = h.store.view(FED, 1001);
    expect(v).toMatchObject({ stale: true, staleReason: "no_snapshot", yesBid: -1, noBid: -1 });
    h.handle(snapshot(FED, 3), 1002);
    expect(h.store.view(FED, 1002)?.stale).toBe(false);
  });

  it("finds every remaining market after random inserts and removals (table stays consistent)", () => {
    const h = new FrameHandler();
    const store = h.store;
    const model = new Set<string>();
    let x = 12345;
    const rand = (n: number) => {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      return x % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const t = `KXM-${rand(1_500)}`;
      if (rand(3) === 0) {
        expect(store.remove(t)).toBe(model.delete(t));
      } else {
        store.ensureMarket(t);
        model.add(t);
      }
    }
    expect(store.size).toBe(model.size);
    for (let i = 0; i < 1_500; i++) {
      const t = `KXM-${i}`;
      expect(store.market(t)?.ticker).toBe(model.has(t) ? t : undefined);
    }
    expect(new Set(store.allMarkets().map((m) => m.ticker))).toEqual(model);
  });
});

/** An `ok` reply to update_subscription on the book's sid (Kalshi's WebSocket docs: update_subscription), as Kalshi numbers it. */
function ok(seq: number): string {
  return JSON.stringify({ id: 7, sid: 2, seq, type: "ok", msg: { market_tickers: [FED] } });
}

describe("BookStore.sidSeq and ok replies", () => {
  it("confirms every book on the sid when an ok reply comes exactly in sequence", () => {
    const h = new FrameHandler({ useYesPrice: false });
    h.handle(snapshot(FED, 1), 1_000);
    h.handle(snapshot(OTHER, 2), 1_000);
    h.handle(ok(3), 9_000);
    expect(h.store.sidSeq(2)).toEqual({ lastSeq: 3, lastMsgMs: 9_000, inSequence: true });
    expect(h.store.view(FED, 12_000)?.ageMs).toBe(3_000);
    expect(h.store.view(OTHER, 12_000)?.ageMs).toBe(3_000);
    expect(h.store.isFresh(FED, 12_000, 10_000)).toBe(true);
  });

  it("treats an ok reply that skips a seq as a gap: books stale, snapshots requested, not in sequence", () => {
    const h = new FrameHandler({ useYesPrice: false });
    h.handle(snapshot(FED, 1), 1_000);
    h.handle(ok(3), 9_000);
    expect(h.store.sidSeq(2)).toMatchObject({ lastSeq: 3, inSequence: false });
    expect(h.store.view(FED, 9_000)).toMatchObject({ stale: true, staleReason: "gap" });
    expect(h.store.drainEffects()).toContainEqual({ type: "get_snapshot", sid: 2, tickers: [FED] });
  });

  it("knows no seq state for a sid before its first message", () => {
    expect(new FrameHandler().store.sidSeq(2)).toBeUndefined();
  });
});
