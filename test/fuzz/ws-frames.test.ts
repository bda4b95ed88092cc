/**
 * Fuzzing of the WebSocket frame boundary: shared/book's `FrameHandler` (every frame of the feed)
 * and ws-messages.ts's `parseWsMessage` / `parseWsText` with the converters behind them. Frames
 * are Kalshi's published examples (`shared/kalshi/fixtures/ws_*.json`) damaged by support.ts's
 * edits, arbitrary JSON, binary frames and values no parser makes. The existing property tests in
 * shared/book check that the fast scanner and the reference parser agree with each other and with
 * zod; these check what a bad frame may do: nothing thrown, every frame accounted for, and only
 * the book the frame was about marked stale.
 */
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FrameOutcome } from "../../shared/book/frame-handler.ts";
import { FrameHandler } from "../../shared/book/frame-handler.ts";
import { MAX_COUNT, MAX_MONEY, PRICE_SCALE } from "../../shared/kalshi/units.ts";
import {
  KNOWN_TYPES,
  parseWsMessage,
  parseWsText,
  toBookDelta,
  toBookSnapshot,
  toFillEvent,
  toLifecycleEvent,
  toOrderGroupUpdate,
  toPositionUpdate,
  toPublicTrade,
  toTickerUpdate,
  toUserOrderUpdate,
  type WsMessage,
} from "../../shared/kalshi/ws-messages.ts";
import type { Json } from "./support.ts";
import { damagedText, hostileObject, hostileSpec, randomJsonText, runs } from "./support.ts";

const FIXTURES = new URL("../../shared/kalshi/fixtures/", import.meta.url);
const WS_FIXTURES: Json[] = readdirSync(FIXTURES)
  .filter((f) => f.startsWith("ws_"))
  .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), "utf8")) as Json);
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as Record<string, Json>;

const SNAPSHOT = fixture("ws_orderbook_snapshot.json");
const DELTA = fixture("ws_orderbook_delta.json");
const FED = "FED-23DEC-T3.00";
const OTHER = "HIGHNY-22DEC23-B53.5";
const THIRD = "KXBTCD-25AUG0517-T114999.99";

function snapshotText(ticker: string, sid: number, seq: number): string {
  return JSON.stringify({
    ...SNAPSHOT,
    sid,
    seq,
    msg: { ...(SNAPSHOT.msg as object), market_ticker: ticker },
  });
}

/** Any frame a socket can deliver: damaged published frames, random JSON, odd types, bytes. */
const anyFrame: fc.Arbitrary<string | ArrayBuffer> = fc.oneof(
  { weight: 6, arbitrary: damagedText(WS_FIXTURES) },
  { weight: 2, arbitrary: randomJsonText },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.constantFrom(...KNOWN_TYPES, "constructor", "__proto__", "toString"), fc.string()),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([type, msg]) => JSON.stringify({ type, sid: 7, seq: 1, msg })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => b.slice().buffer) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 64 }) },
);

describe("FrameHandler under damaged and arbitrary frames", () => {
  it("never throws, drops exactly the frames it counts as failures, and creates no book from a dropped frame", () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { minLength: 1, maxLength: 25 }), (frames) => {
        const h = new FrameHandler({
          useYesPrice: true,
          onFirstFailure: () => {
            throw new Error("a logger that throws");
          },
        });
        h.handle(snapshotText(FED, 2, 1), 0);
        let dropped = 0;
        for (const [i, f] of frames.entries()) {
          const books = h.store.size;
          let o: FrameOutcome | undefined;
          expect(() => {
            o = h.handle(f, i + 1);
          }).not.toThrow();
          expect(["book", "message", "dropped"]).toContain(o?.kind);
          if (o?.kind === "dropped") {
            dropped++;
            expect(h.store.size).toBe(books);
          }
        }
        const c = h.counters();
        expect(c.frames).toBe(frames.length + 1);
        expect(c.failures.internal_error).toBeUndefined();
        const failures = Object.values(c.failures).reduce((n, f) => n + (f?.count ?? 0), 0);
        expect(failures).toBe(dropped);
        for (const f of Object.values(c.failures)) expect(f?.sample.length).toBeLessThanOrEqual(303);
      }),
      runs(150, 101),
    );
  });

  // Regression: counters() read a type named like an Object member from Object.prototype, so
  // `constructor` was counted as "function Object() { [native code] }1" and `__proto__` lost.
  it("counts frames whose type is named constructor or __proto__ like any other type", () => {
    const h = new FrameHandler();
    for (const type of ["constructor", "__proto__", "constructor"]) h.handle(JSON.stringify({ type }), 0);
    expect(Object.entries(h.counters().byType)).toEqual([
      ["constructor", 2],
      ["__proto__", 1],
    ]);
  });

  it("counts frames by type as plain numbers, whatever the type is called, bounded in names", () => {
    const names = fc.oneof(
      fc.constantFrom("constructor", "__proto__", "toString", "valueOf", "hasOwnProperty", "fill", "(other)"),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(names, { minLength: 1, maxLength: 120 }), (types) => {
        const h = new FrameHandler();
        for (const [i, type] of types.entries()) h.handle(JSON.stringify({ type, msg: {} }), i);
        const byType = h.counters().byType;
        const entries = Object.entries(byType);
        for (const [, n] of entries) expect(Number.isSafeInteger(n) && n > 0).toBe(true);
        expect(entries.length).toBeLessThanOrEqual(65);
        expect(entries.reduce((s, [, n]) => s + n, 0)).toBe(types.length);
        // Each name keeps its own count while there is room for it.
        const first = types[0] as string;
        if (new Set(types).size <= 64)
          expect(Object.hasOwn(byType, first) && byType[first]).toBe(types.filter((t) => t === first).length);
      }),
      runs(150, 102),
    );
  });

  it("marks only the book a bad frame names stale, and asks for that book's snapshot alone", () => {
    // Kalshi's published delta, moved onto a level the published snapshot holds (0.22 YES),
    // numbered next on sid 1, then damaged inside `msg` (or truncated anywhere).
    const base = {
      ...DELTA,
      sid: 1,
      seq: 3,
      msg: { ...(DELTA.msg as object), price_dollars: "0.2200", delta_fp: "1.00" },
    };
    fc.assert(
      fc.property(damagedText([base], ["msg"]), (text) => {
        const h = new FrameHandler({ useYesPrice: true });
        h.handle(snapshotText(FED, 1, 1), 0);
        h.handle(snapshotText(OTHER, 1, 2), 0);
        h.handle(snapshotText(THIRD, 2, 1), 0);
        h.store.drainEffects();
        const before = new Map(
          [FED, OTHER, THIRD].map((t) => [
            t,
            JSON.stringify(h.store.depth(t, "yes")) + JSON.stringify(h.store.depth(t, "no")),
          ]),
        );
        const o = h.handle(text, 1);
        let named: unknown;
        try {
          named = (JSON.parse(text) as { msg?: { market_ticker?: unknown } }).msg?.market_ticker;
        } catch {
          named = /"market_ticker"\s*:\s*"([^"\\]{1,128})"/.exec(text)?.[1];
        }
        for (const t of [FED, OTHER, THIRD]) {
          if (t === named) continue;
          const m = h.store.market(t);
          expect(m?.stale, `${t} after ${text}`).toBe(false);
          expect(JSON.stringify(h.store.depth(t, "yes")) + JSON.stringify(h.store.depth(t, "no"))).toBe(
            before.get(t),
          );
        }
        expect(h.store.counters.gaps).toBe(0);
        const asked = h.store
          .drainEffects()
          .flatMap((e) => (e.type === "get_snapshot" ? e.tickers : [e.type]));
        expect(asked.every((t) => t === named)).toBe(true);
        if (o.kind === "dropped" && typeof named === "string" && [FED, OTHER, THIRD].includes(named)) {
          expect(h.store.market(named)?.staleReason).toBe("bad_frame");
          expect(asked).toEqual([named]);
        }
      }),
      runs(250, 103),
    );
  });
});

/** The converter each validated type goes through on its way into the bot. */
function convert(m: WsMessage): unknown {
  switch (m.type) {
    case "orderbook_snapshot":
      return toBookSnapshot(m);
    case "orderbook_delta":
      return toBookDelta(m);
    case "ticker":
      return toTickerUpdate(m);
    case "trade":
      return toPublicTrade(m);
    case "fill":
      return toFillEvent(m);
    case "user_order":
      return toUserOrderUpdate(m);
    case "market_position":
      return toPositionUpdate(m);
    case "order_group_updates":
      return toOrderGroupUpdate(m);
    case "market_lifecycle_v2":
    case "multivariate_market_lifecycle":
      return toLifecycleEvent(m);
    default:
      return m;
  }
}

const PRICE_KEYS = /^(price|yesPrice|lastPrice|yesBid|yesAsk|settlementValue)$/;
const COUNT_KEYS =
  /^(count|volume|openInterest|yesBidSize|yesAskSize|lastTradeSize|fillCount|remainingCount|initialCount|contractsLimit)$/;
const SIGNED_COUNT_KEYS = /^(delta|position|postPosition)$/;
const MONEY_KEYS =
  /^(fee|takerFillCost|makerFillCost|takerFees|makerFees|positionCost|realizedPnl|feesPaid|positionFeeCost)$/;

/** Every unit field of a converted message lies in its unit's range, as an integer. */
function checkUnits(v: unknown, key = ""): void {
  if (Array.isArray(v)) {
    if (v.length === 2 && typeof v[0] === "number" && typeof v[1] === "number" && key.match(/^(yes|no)$/)) {
      expect(Number.isSafeInteger(v[0]) && v[0] >= 0 && v[0] <= PRICE_SCALE).toBe(true);
      expect(Number.isSafeInteger(v[1]) && v[1] >= 0 && v[1] <= MAX_COUNT).toBe(true);
      return;
    }
    for (const x of v) checkUnits(x, key);
    return;
  }
  if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) checkUnits(x, k);
    return;
  }
  if (typeof v !== "number") return;
  expect(Number.isFinite(v), key).toBe(true);
  if (PRICE_KEYS.test(key))
    expect(Number.isSafeInteger(v) && v >= 0 && v <= PRICE_SCALE, `${key}=${v}`).toBe(true);
  if (COUNT_KEYS.test(key))
    expect(Number.isSafeInteger(v) && v >= 0 && v <= MAX_COUNT, `${key}=${v}`).toBe(true);
  if (SIGNED_COUNT_KEYS.test(key))
    expect(Number.isSafeInteger(v) && Math.abs(v) <= MAX_COUNT, `${key}=${v}`).toBe(true);
  if (MONEY_KEYS.test(key))
    expect(Number.isSafeInteger(v) && Math.abs(v) <= MAX_MONEY, `${key}=${v}`).toBe(true);
}

describe("parseWsText / parseWsMessage under damaged and hostile input", () => {
  it("never throw, name what is wrong, and hand on only messages the converters take in range", () => {
    fc.assert(
      fc.property(
        fc.oneof(damagedText(WS_FIXTURES), randomJsonText, fc.string({ unit: "binary" })),
        (text) => {
          let r: ReturnType<typeof parseWsText> | undefined;
          expect(() => {
            r = parseWsText(text);
          }).not.toThrow();
          if (r === undefined) return;
          if (r.kind === "invalid") {
            expect(r.error.length).toBeGreaterThan(0);
            expect(r.error.length).toBeLessThan(1_000);
          } else if (r.kind === "unknown") {
            expect(KNOWN_TYPES.has(r.type)).toBe(false);
            for (const n of [r.sid, r.seq])
              if (n !== undefined) expect(Number.isSafeInteger(n) && n >= 1).toBe(true);
          } else {
            const m = r.message;
            let converted: unknown;
            expect(() => {
              converted = convert(m);
            }).not.toThrow();
            checkUnits(converted);
          }
        },
      ),
      runs(800, 104),
    );
  });

  it("passes an unknown type on with its sid and seq only when they are positive integers", () => {
    fc.assert(
      fc.property(
        fc.string().filter((t) => !KNOWN_TYPES.has(t)),
        fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(undefined)),
        fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(undefined)),
        (type, sid, seq) => {
          const r = parseWsMessage({ type, sid, seq, msg: {} });
          const positive = (n: unknown) =>
            typeof n === "number" && Number.isSafeInteger(n) && n >= 1 ? n : undefined;
          expect(r).toEqual({
            kind: "unknown",
            type,
            ...(positive(sid) !== undefined ? { sid } : {}),
            ...(positive(seq) !== undefined ? { seq } : {}),
          });
        },
      ),
      runs(300, 105),
    );
  });

  // Regression: a getter throwing a prototype-less object made the catch-all's String(err) throw.
  it("returns a result for an object whose getter throws something that cannot be printed", () => {
    const frame = { type: "fill" };
    Object.defineProperty(frame, "type", {
      get: () => {
        throw Object.create(null);
      },
    });
    expect(parseWsMessage(frame)).toEqual({
      kind: "invalid",
      error: "unparseable frame: unprintable object",
    });
  });

  it("returns a result, never an exception, for values no JSON parser makes", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileSpec.map((spec) => ({ spec })),
          fc
            .anything({ withNullPrototype: true, withBigInt: true, withMap: true })
            .map((value) => ({ value })),
        ),
        (input) => {
          // A proxy is built here, not generated: fast-check could not print or clone it.
          const v = "spec" in input ? hostileObject(input.spec) : input.value;
          let r: ReturnType<typeof parseWsMessage> | undefined;
          expect(() => {
            r = parseWsMessage(v);
          }).not.toThrow();
          expect(["message", "unknown", "invalid"]).toContain(r?.kind);
        },
      ),
      runs(300, 106),
    );
  });
});
