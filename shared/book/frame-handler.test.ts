import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isOnGrid, parseTickGrid, priceRangesForStructure } from "../kalshi/tick-grid.ts";
import type { FeedEffect } from "./book-store.ts";
import type { FrameHandlerOptions } from "./frame-handler.ts";
import { FrameHandler } from "./frame-handler.ts";

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../kalshi/fixtures/${name}`, import.meta.url), "utf8")) as Json;
}

// Kalshi's published examples (its WebSocket spec): ticker FED-23DEC-T3.00, sid 2, snapshot seq 2.
const SNAPSHOT = fixture("ws_orderbook_snapshot.json");
const DELTA = fixture("ws_orderbook_delta.json");
const FED = "FED-23DEC-T3.00";

function snapshot(over: { sid?: number; seq?: number; ticker?: string; yes?: unknown; no?: unknown } = {}) {
  const msg = { ...(SNAPSHOT.msg as Json) };
  if (over.ticker !== undefined) msg.market_ticker = over.ticker;
  if (over.yes !== undefined) msg.yes_dollars_fp = over.yes;
  if (over.no !== undefined) msg.no_dollars_fp = over.no;
  return JSON.stringify({ ...SNAPSHOT, sid: over.sid ?? 2, seq: over.seq ?? 2, msg });
}

function delta(
  over: { sid?: number; seq?: number; ticker?: string; price?: string; delta?: unknown; side?: string } = {},
) {
  const msg = { ...(DELTA.msg as Json) };
  if (over.ticker !== undefined) msg.market_ticker = over.ticker;
  if (over.price !== undefined) msg.price_dollars = over.price;
  if (over.delta !== undefined) msg.delta_fp = over.delta;
  if (over.side !== undefined) msg.side = over.side;
  return JSON.stringify({ ...DELTA, sid: over.sid ?? 2, seq: over.seq ?? 3, msg });
}

function handler(opts: FrameHandlerOptions = {}) {
  return new FrameHandler({ useYesPrice: false, ...opts });
}

function snapshotRequests(effects: FeedEffect[]) {
  return effects.filter((e) => e.type === "get_snapshot");
}

describe("snapshots and deltas", () => {
  it("builds the book from Kalshi's published snapshot with NO-leg prices", () => {
    const h = handler();
    expect(h.handle(snapshot(), 1000).kind).toBe("book");
    const v = h.store.view(FED, 1000);
    expect(v).toMatchObject({
      yesBid: 2200,
      yesBidSize: 33_300,
      noBid: 5600,
      noBidSize: 14_600,
      yesAsk: 4400,
    });
    expect(v?.stale).toBe(false);
    expect(h.store.depth(FED, "yes")).toEqual([
      { price: 2200, size: 33_300 },
      { price: 800, size: 30_000 },
    ]);
  });

  it("reads NO-side levels on the YES scale when subscribed with use_yes_price", () => {
    const h = handler({ useYesPrice: true });
    h.handle(snapshot(), 1000);
    // NO levels at YES-scale 0.54 / 0.56 are NO bids at 0.46 / 0.44.
    expect(h.store.depth(FED, "no")).toEqual([
      { price: 4600, size: 2000 },
      { price: 4400, size: 14_600 },
    ]);
    expect(h.store.view(FED, 1000)?.yesAsk).toBe(5400);
    h.handle(delta({ price: "0.5400", delta: "-20.00", side: "no" }), 1001);
    expect(h.store.depth(FED, "no")).toEqual([{ price: 4400, size: 14_600 }]);
  });

  it("applies a NO-side delta at its NO-leg price when use_yes_price is off", () => {
    const h = handler();
    h.handle(snapshot(), 1000);
    h.handle(delta({ price: "0.5400", delta: "1.50", side: "no" }), 1001);
    expect(h.store.market(FED)?.book.no.sizeAt(5400)).toBe(2150);
  });

  it("drops the level when its size reaches zero", () => {
    const h = handler();
    h.handle(snapshot(), 1000);
    h.handle(delta({ price: "0.2200", delta: "-333.00" }), 1001);
    expect(h.store.view(FED, 1001)).toMatchObject({ yesBid: 800, yesBidSize: 30_000, stale: false });
  });

  it("adds a fractional level at a sub-penny price", () => {
    const h = handler({ gridFor: () => (p) => p % 1 === 0 });
    h.handle(snapshot(), 1000);
    h.handle(delta({ price: "0.2215", delta: "0.37" }), 1001);
    expect(h.store.view(FED, 1001)).toMatchObject({ yesBid: 2215, yesBidSize: 37 });
  });

  it("marks stale when a delta removes more than rests, and asks for a snapshot", () => {
    const h = handler();
    h.handle(snapshot(), 1000);
    // The published delta (-54.00 at 0.96) removes from a level the published snapshot lacks.
    h.handle(JSON.stringify(DELTA), 1001);
    const m = h.store.market(FED);
    expect([m?.stale, m?.staleReason]).toEqual([true, "over_remove"]);
    expect(h.store.drainEffects()).toEqual([{ type: "get_snapshot", sid: 2, tickers: [FED] }]);
    // Not patched over: later deltas are dropped until a fresh snapshot.
    h.handle(delta({ seq: 4, price: "0.0800", delta: "1.00" }), 1002);
    expect(h.store.market(FED)?.book.yes.length).toBe(0);
    expect(h.store.drainEffects()).toEqual([]); // the request is pending, not repeated
    h.handle(snapshot({ seq: 5 }), 1003);
    expect(h.store.view(FED, 1003)).toMatchObject({ stale: false, yesBid: 2200 });
  });

  it("asks again for a snapshot that has not come after resnapshotAfterMs", () => {
    const h = handler({ resnapshotAfterMs: 5000 });
    h.handle(snapshot(), 1000);
    h.handle(JSON.stringify(DELTA), 1001);
    h.store.drainEffects();
    h.handle(delta({ seq: 4, price: "0.0800", delta: "1.00" }), 7000);
    expect(snapshotRequests(h.store.drainEffects())).toEqual([
      { type: "get_snapshot", sid: 2, tickers: [FED] },
    ]);
  });

  it("marks stale on a delta at an off-grid price", () => {
    const grid = parseTickGrid(priceRangesForStructure("linear_cent") ?? []);
    const h = handler({ gridFor: () => (p) => isOnGrid(grid, p) });
    h.handle(snapshot(), 1000);
    h.handle(delta({ price: "0.2250", delta: "5.00" }), 1001);
    expect(h.store.market(FED)?.staleReason).toBe("off_grid");
    expect(snapshotRequests(h.store.drainEffects())).toHaveLength(1);
  });

  it("checks NO-leg prices against the grid on the YES scale", () => {
    // Edge ticks of $0.001 below 0.10 only (asymmetric on purpose): NO bid 0.905 = YES 0.095.
    const h = handler({ gridFor: () => (p) => (p < 1000 ? p % 10 === 0 : p % 100 === 0) });
    h.handle(snapshot(), 1000);
    h.handle(delta({ price: "0.9050", delta: "1.00", side: "no" }), 1001);
    expect(h.store.market(FED)?.stale).toBe(false);
    h.handle(delta({ seq: 4, price: "0.0950", delta: "1.00", side: "no" }), 1002);
    expect(h.store.market(FED)?.staleReason).toBe("off_grid");
  });

  it("rejects a snapshot with an off-grid level", () => {
    const h = handler({ gridFor: () => (p) => p % 100 === 0 });
    h.handle(snapshot({ yes: [["0.2250", "1.00"]] }), 1000);
    expect(h.store.market(FED)?.staleReason).toBe("off_grid");
  });

  it("asks for the snapshot of a market that sends deltas without one", () => {
    const h = handler();
    h.handle(delta({ seq: 3 }), 1000);
    expect(h.store.market(FED)?.staleReason).toBe("no_snapshot");
    expect(h.store.drainEffects()).toEqual([{ type: "get_snapshot", sid: 2, tickers: [FED] }]);
  });
});

describe("seq per sid", () => {
  const OTHER = "HIGHNY-22DEC23-B53.5";

  it("marks every book of a sid stale on a gap and resyncs them all", () => {
    const h = handler();
    h.handle(snapshot({ seq: 1, ticker: OTHER }), 1000);
    h.handle(snapshot({ seq: 2 }), 1000);
    h.handle(snapshot({ sid: 5, seq: 1, ticker: "KXOTHER-26" }), 1000);
    h.handle(delta({ seq: 4, price: "0.2200", delta: "1.00" }), 1001); // seq 3 missing
    expect(h.store.market(FED)?.staleReason).toBe("gap");
    expect(h.store.market(OTHER)?.staleReason).toBe("gap");
    expect(h.store.market("KXOTHER-26")?.stale).toBe(false);
    const effects = h.store.drainEffects();
    expect(effects).toContainEqual({ type: "sid_gap", sid: 2, expected: 3, received: 4 });
    const req = snapshotRequests(effects);
    expect(req).toHaveLength(1);
    expect(new Set(req[0]?.type === "get_snapshot" ? req[0].tickers : [])).toEqual(new Set([FED, OTHER]));
    expect(h.counters().books).toMatchObject({ gaps: 1, staleMarks: 2, resyncRequests: 2 });
  });

  it("advances seq on ok replies so the next delta is in order", () => {
    const ok = { ...fixture("ws_ok_update_subscription.json"), sid: 2, seq: 3 };
    const h = handler();
    h.handle(snapshot(), 1000);
    expect(h.handle(JSON.stringify(ok), 1001).kind).toBe("message");
    h.handle(delta({ seq: 4, price: "0.2200", delta: "1.00" }), 1002);
    expect(h.store.market(FED)?.stale).toBe(false);
    expect(h.store.counters.gaps).toBe(0);
  });

  it("treats a repeated seq as a gap instead of applying the delta twice", () => {
    const h = handler();
    h.handle(snapshot(), 1000);
    const d = delta({ seq: 3, price: "0.2200", delta: "1.00" });
    h.handle(d, 1001);
    h.handle(d, 1002);
    const m = h.store.market(FED);
    expect([m?.stale, m?.staleReason]).toEqual([true, "gap"]);
    expect(h.store.counters.seqRepeats).toBe(1);
    expect(h.store.drainEffects()).toContainEqual({ type: "sid_gap", sid: 2, expected: 4, received: 3 });
  });

  it("counts a frame with valid sid and seq but a bad payload, so the next frame is in order", () => {
    const h = handler();
    h.handle(snapshot(), 1000);
    h.handle(delta({ seq: 3, delta: 54 }), 1001); // delta_fp must be a string
    h.handle(snapshot({ seq: 4 }), 1002);
    expect(h.store.counters.gaps).toBe(0);
    expect(h.counters().failures.bad_count?.count).toBe(1);
  });

  it("checks seq on messages of other types that carry one", () => {
    const trade = fixture("ws_trade.json"); // sid 11 seq 2
    const h = handler();
    h.handle(JSON.stringify(trade), 1000);
    const r = h.handle(JSON.stringify({ ...trade, seq: 4 }), 1001);
    expect(r.kind === "message" && r.message.type).toBe("trade");
    expect(h.store.drainEffects()).toEqual([{ type: "sid_gap", sid: 11, expected: 3, received: 4 }]);
  });

  it("does not apply a delta arriving on another sid than its book's snapshot", () => {
    const h = handler();
    h.handle(snapshot(), 1000);
    h.handle(delta({ sid: 9, seq: 1, price: "0.2200", delta: "1.00" }), 1001);
    expect(h.store.market(FED)?.staleReason).toBe("sid_mismatch");
    expect(h.store.drainEffects()).toEqual([{ type: "get_snapshot", sid: 9, tickers: [FED] }]);
  });

  it("ends a subscription's books on unsubscribed", () => {
    const h = handler();
    h.handle(snapshot({ seq: 6 }), 1000);
    h.handle(JSON.stringify(fixture("ws_unsubscribed.json")), 1001); // sid 2 seq 7
    expect(h.store.market(FED)?.staleReason).toBe("unsubscribed");
    expect(h.store.drainEffects()).toEqual([]);
  });

  it("asks to resubscribe after a terminal subscription error", () => {
    const err = fixture("ws_error_unknown_subscription.json");
    const h = handler();
    h.handle(snapshot(), 1000);
    h.handle(
      JSON.stringify({ ...err, sid: 2, msg: { code: 25, msg: "Subscription buffer overflow" } }),
      1001,
    );
    expect(h.store.market(FED)?.staleReason).toBe("subscription_error");
    expect(h.store.drainEffects()).toEqual([{ type: "resubscribe", sid: 2, code: 25 }]);
  });

  it("forgets every sid on disconnect and waits for new snapshots", () => {
    const h = handler();
    h.handle(snapshot(), 1000);
    h.store.disconnected(1001);
    expect(h.store.market(FED)?.staleReason).toBe("disconnected");
    // After reconnecting, sids restart: the new subscription's first message sets the seq.
    h.handle(snapshot({ sid: 1, seq: 1 }), 1002);
    h.handle(delta({ sid: 1, seq: 2, price: "0.2200", delta: "1.00" }), 1003);
    expect(h.store.view(FED, 1003)).toMatchObject({ stale: false, yesBidSize: 33_400 });
    expect(h.store.counters.gaps).toBe(0);
  });
});

describe("age and freshness", () => {
  it("is fresh only within the maximum age, and any in-order message on its sid confirms it", () => {
    const h = handler();
    h.handle(snapshot(), 1000);
    h.handle(snapshot({ seq: 3, ticker: "HIGHNY-22DEC23-B53.5" }), 1000);
    expect(h.store.isFresh(FED, 1500, 1000)).toBe(true);
    expect(h.store.isFresh(FED, 2001, 1000)).toBe(false);
    // Another market's delta on the same sid proves nothing was missed for FED either.
    h.handle(delta({ seq: 4, ticker: "HIGHNY-22DEC23-B53.5", price: "0.2200", delta: "1.00" }), 2400);
    expect(h.store.view(FED, 2500)?.ageMs).toBe(100);
    expect(h.store.isFresh(FED, 2500, 1000)).toBe(true);
  });

  it("never calls a stale or unknown book fresh", () => {
    const h = handler();
    h.handle(snapshot(), 1000);
    h.handle(JSON.stringify(DELTA), 1000);
    expect(h.store.isFresh(FED, 1000, 60_000)).toBe(false);
    expect(h.store.isFresh("NOPE", 1000, 60_000)).toBe(false);
  });
});

describe("bad input", () => {
  it("counts and logs once per kind with a sample, marking the named book stale", () => {
    const logged: [string, string][] = [];
    const h = handler({ onFirstFailure: (k, s) => logged.push([k, s]) });
    h.handle(snapshot(), 1000);
    const truncated = delta({ seq: 3 }).slice(0, 120);
    expect(h.handle(truncated, 1001)).toEqual({ kind: "dropped" });
    h.handle(truncated, 1002);
    expect(logged).toEqual([["malformed_json", truncated]]);
    expect(h.counters().failures.malformed_json).toEqual({ count: 2, sample: truncated });
    expect(h.store.market(FED)?.staleReason).toBe("bad_frame");
    expect(h.store.drainEffects()).toEqual([{ type: "get_snapshot", sid: 2, tickers: [FED] }]);
  });

  it.each([
    ["unknown_type", { type: "orderbook_delta_v9", sid: 2, seq: 3, msg: {} }],
    ["bad_envelope", { type: "orderbook_delta", sid: "2", seq: 3, msg: {} }],
    ["bad_price", { ...DELTA, msg: { ...(DELTA.msg as Json), price_dollars: "0.96" + "0" + "01" } }],
    ["absurd_price", { ...DELTA, msg: { ...(DELTA.msg as Json), price_dollars: "1.0000" } }],
    ["bad_count", { ...DELTA, msg: { ...(DELTA.msg as Json), delta_fp: "-54.001" } }],
    ["bad_side", { ...DELTA, msg: { ...(DELTA.msg as Json), side: "maybe" } }],
    ["bad_ticker", { ...DELTA, msg: { ...(DELTA.msg as Json), market_ticker: 7 } }],
    ["bad_levels", { ...SNAPSHOT, msg: { ...(SNAPSHOT.msg as Json), yes_dollars_fp: [["0.10"]] } }],
    [
      "duplicate_level",
      {
        ...SNAPSHOT,
        msg: {
          ...(SNAPSHOT.msg as Json),
          yes_dollars_fp: [
            ["0.10", "1"],
            ["0.1000", "2"],
          ],
        },
      },
    ],
    ["bad_message", { ...fixture("ws_trade.json"), msg: { market_ticker: "X" } }],
  ])("drops a frame with %s", (kind, frame) => {
    const h = handler();
    expect(h.handle(JSON.stringify(frame), 1000)).toEqual({ kind: "dropped" });
    expect(Object.keys(h.counters().failures)).toEqual([kind]);
  });

  it("never throws, whatever the frame", () => {
    const h = handler({
      onFirstFailure: () => {
        throw new Error("a logger that throws");
      },
    });
    h.handle(snapshot(), 0);
    const base = delta({ seq: 3, price: "0.2200", delta: "1.00" });
    const barrage: (string | ArrayBuffer)[] = [
      "",
      " ",
      "null",
      "[]",
      "42",
      '"orderbook_delta"',
      "{",
      "}",
      '{"type":null}',
      '{"type":"orderbook_delta"}',
      '{"type":"orderbook_delta","sid":2,"seq":3,"msg":null}',
      '{"type":"orderbook_delta","sid":2,"seq":3,"msg":[]}',
      '{"type":"orderbook_snapshot","sid":2,"seq":3,"msg":{"market_ticker":"A","market_id":"b","yes_dollars_fp":{}}}',
      '{"type":"orderbook_snapshot","sid":2,"seq":3,"msg":{"market_ticker":"A","market_id":"b","no_dollars_fp":[[1,2]]}}',
      '{"__proto__":{"type":"x"},"type":"ok"}',
      '{"type":"ok","sid":1e400,"seq":-1}',
      '{"type":"error","sid":2,"msg":{"code":"10","msg":1}}',
      base.replace('"sid":2', '"sid":2.5'),
      base.replace('"seq":3', '"seq":9007199254740993'),
      base.replace('"0.2200"', '"NaN"'),
      base.replace('"1.00"', '"1e3"'),
      base.replace("FED", "FE\\u0044"),
      base.replace("FED", "F\u0000D"),
      `${base}x`,
      base + base,
      `\uFEFF${base}`,
      "x".repeat(100_000),
      `{"type":"orderbook_delta","msg":${"[".repeat(10_000)}}`,
      new Uint8Array([0xff, 0xfe, 0x00]).buffer,
      new TextEncoder().encode(base).buffer as ArrayBuffer,
    ];
    for (const [i, f] of barrage.entries()) expect(() => h.handle(f, i)).not.toThrow();
    // Random byte soup and random truncations.
    let seed = 1;
    const rnd = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed / 4_294_967_296;
    };
    for (let i = 0; i < 2000; i++) {
      const cut = base.slice(0, Math.floor(rnd() * base.length));
      const soup = String.fromCharCode(...Array.from({ length: 40 }, () => Math.floor(rnd() * 128)));
      expect(() => h.handle(cut, i)).not.toThrow();
      expect(() => h.handle(soup, i)).not.toThrow();
    }
    expect(h.counters().failures.internal_error).toBeUndefined();
  });

  it("reports the type of the last frame, even a snapshot it could not use", () => {
    const h = handler({ gridFor: () => (p) => p % 100 === 0 });
    h.handle(snapshot({ yes: [["0.2250", "1.00"]] }), 1000);
    expect(h.lastType).toBe("orderbook_snapshot");
    h.handle(delta(), 1001);
    expect(h.lastType).toBe("orderbook_delta");
    h.handle("{", 1002);
    expect(h.lastType).toBeUndefined();
  });

  it("returns other message types validated for the caller to route", () => {
    const h = handler();
    const r = h.handle(JSON.stringify(fixture("ws_trade.json")), 1000);
    expect(r.kind).toBe("message");
    expect(h.lastType).toBe("trade");
    expect(h.counters().byType).toEqual({ trade: 1 });
  });
});
