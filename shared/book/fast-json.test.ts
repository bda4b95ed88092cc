import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateFeed, mulberry32 } from "../../bench/feed-stream.ts";
import { fixedOrNaN } from "../kalshi/units.ts";
import { OrderbookDelta, OrderbookSnapshot } from "../kalshi/ws-messages.ts";
import { fixedAt, hashTicker, newDeltaScan, scanDelta } from "./fast-json.ts";
import { FrameHandler } from "./frame-handler.ts";
import { parseFrame } from "./frame-parse.ts";

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

const DELTA_FIXTURE = readFileSync(
  new URL("../kalshi/fixtures/ws_orderbook_delta.json", import.meta.url),
  "utf8",
);

function ws(rnd: Rnd): string {
  return rnd() < 0.8 ? "" : pick(rnd, [" ", "\n", "\t ", "\r\n  "]);
}

/** A JSON object text from entries, in random order with random whitespace. */
function object(rnd: Rnd, entries: [string, string][]): string {
  const shuffled = [...entries].sort(() => rnd() - 0.5);
  return `{${ws(rnd)}${shuffled.map(([k, v]) => `"${k}"${ws(rnd)}:${ws(rnd)}${v}`).join(`${ws(rnd)},${ws(rnd)}`)}${ws(rnd)}}`;
}

function decimal(rnd: Rnd, intMax: number, decimals: number): string {
  const int = Math.floor(rnd() * intMax);
  const frac = Math.floor(rnd() * 10 ** decimals);
  return decimals === 0 ? String(int) : `${int}.${String(frac).padStart(decimals, "0")}`;
}

/** A valid orderbook_delta frame in the published shape, fields in any order, extras sometimes. */
function validDelta(rnd: Rnd): string {
  const ticker = pick(rnd, ["FED-23DEC-T3.00", "HIGHNY-22DEC23-B53.5", "KXBTCD-25AUG0517-T114999.99", "A"]);
  const priceDecimals = pick(rnd, [2, 3, 4]);
  const msg: [string, string][] = [
    ["market_ticker", rnd() < 0.05 ? `"${ticker.replace("D", "\\u0044")}"` : `"${ticker}"`],
    ["market_id", '"9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1"'],
    [
      "price_dollars",
      `"0.${String(1 + Math.floor(rnd() * (10 ** priceDecimals - 1))).padStart(priceDecimals, "0")}"`,
    ],
    ["delta_fp", `"${rnd() < 0.5 ? "-" : ""}${decimal(rnd, 5000, pick(rnd, [0, 1, 2]))}"`],
    ["side", rnd() < 0.5 ? '"yes"' : '"no"'],
  ];
  if (rnd() < 0.7) msg.push(["ts_ms", String(1_669_149_841_000 + Math.floor(rnd() * 1e6))]);
  if (rnd() < 0.5) msg.push(["ts", '"2022-11-22T20:44:01Z"']);
  if (rnd() < 0.1) msg.push(["client_order_id", '"c-1"']);
  if (rnd() < 0.1) msg.push(["subaccount", String(Math.floor(rnd() * 3))]);
  if (rnd() < 0.1) msg.push(["extra", pick(rnd, ['"x"', "1.5e3", "true", "null", "[1]", '{"a":1}'])]);
  const env: [string, string][] = [
    ["type", '"orderbook_delta"'],
    ["sid", String(1 + Math.floor(rnd() * 20))],
    ["seq", String(1 + Math.floor(rnd() * 1e6))],
    ["msg", object(rnd, msg)],
  ];
  if (rnd() < 0.05) env.push(["id", "7"]);
  return object(rnd, env);
}

const MUTATION_CHARS = [
  '"',
  "\\",
  ",",
  ":",
  "{",
  "}",
  "[",
  "]",
  "-",
  ".",
  "0",
  "9",
  "e",
  " ",
  "\u0001",
  "x",
  "é",
];

/** One random edit: delete, insert, replace, duplicate a slice, or truncate. */
function mutate(rnd: Rnd, s: string): string {
  const i = Math.floor(rnd() * s.length);
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return s.slice(0, i) + s.slice(i + 1);
    case 1:
      return s.slice(0, i) + pick(rnd, MUTATION_CHARS) + s.slice(i);
    case 2:
      return s.slice(0, i) + pick(rnd, MUTATION_CHARS) + s.slice(i + 1);
    case 3: {
      const j = Math.min(s.length, i + 1 + Math.floor(rnd() * 30));
      return s.slice(0, j) + s.slice(i, j) + s.slice(j);
    }
    default:
      return s.slice(0, i);
  }
}

describe("fixedAt", () => {
  it("equals fixedOrNaN on the same characters, for random strings at random offsets", () => {
    const rnd = mulberry32(11);
    const alphabet = "0123456789.-+e ";
    for (let k = 0; k < 50_000; k++) {
      const len = Math.floor(rnd() * 14);
      let core = "";
      for (let i = 0; i < len; i++) core += alphabet[Math.floor(rnd() * alphabet.length)];
      const pre = '"x":"'.slice(0, Math.floor(rnd() * 5));
      const text = `${pre + core}"`;
      const decimals = pick(rnd, [2, 4, 6]);
      const signed = rnd() < 0.5;
      const max = pick(rnd, [10_000, 10_000_000_000]);
      const want = fixedOrNaN(core, decimals, signed, max);
      const got = fixedAt(text, pre.length, pre.length + core.length, decimals, signed, max);
      expect(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want))).toBe(true);
    }
  });
});

describe("scanDelta against the reference parser", () => {
  const scan = newDeltaScan();

  /** Whatever the scanner accepts, the reference parser turns into the same record. */
  function agree(text: string): boolean {
    const ref = parseFrame(text);
    if (!scanDelta(text, scan)) return false;
    expect(ref.kind).toBe("delta");
    if (ref.kind !== "delta") return true;
    expect({
      sid: scan.sid,
      seq: scan.seq,
      ticker: text.slice(scan.tickerStart, scan.tickerEnd),
      price: scan.price,
      delta: scan.delta,
      side: scan.side,
      tsMs: scan.tsMs,
    }).toEqual({
      sid: ref.sid,
      seq: ref.seq,
      ticker: ref.ticker,
      price: ref.price,
      delta: ref.delta,
      side: ref.side,
      tsMs: ref.tsMs,
    });
    expect(scan.tickerHash).toBe(hashTicker(ref.ticker));
    return true;
  }

  it("takes Kalshi's published delta frame, pretty-printed or compact", () => {
    expect(agree(DELTA_FIXTURE)).toBe(true);
    expect(agree(JSON.stringify(JSON.parse(DELTA_FIXTURE)))).toBe(true);
  });

  it("agrees on random valid frames, and takes every plain one", () => {
    const rnd = mulberry32(1);
    for (let k = 0; k < 20_000; k++) {
      const text = validDelta(rnd);
      expect(parseFrame(text).kind).toBe("delta");
      const plain =
        !text.includes("\\") && !text.includes("[") && !text.includes('{"a"') && !text.includes("1.5e3");
      const taken = agree(text);
      if (plain) expect(taken).toBe(true);
    }
  });

  it("agrees on randomly mutated frames (never accepts what the reference rejects)", () => {
    const rnd = mulberry32(2);
    let rejected = 0;
    for (let k = 0; k < 60_000; k++) {
      let text = validDelta(rnd);
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) text = mutate(rnd, text);
      if (parseFrame(text).kind !== "delta") rejected++;
      agree(text);
    }
    expect(rejected).toBeGreaterThan(30_000); // the mutations really do break frames
  });

  it.each([
    ["a duplicated key", DELTA_FIXTURE.replace('"sid": 2,', '"sid": 2, "sid": 2,')],
    ["a non-canonical number", DELTA_FIXTURE.replace('"sid": 2', '"sid": 2.0')],
    ["an escaped ticker", DELTA_FIXTURE.replace("FED", "\\u0046ED")],
    ["a nested unknown field", DELTA_FIXTURE.replace('"sid": 2', '"x": [1], "sid": 2')],
  ])("leaves %s to the reference parser", (_name, text) => {
    expect(scanDelta(text, newDeltaScan())).toBe(false);
    expect(parseFrame(text).kind).toBe("delta");
  });
});

describe("reference parser against the zod schemas of ws-messages.ts", () => {
  it("accepts exactly what zod accepts, apart from the documented checks of meaning", () => {
    const rnd = mulberry32(3);
    const stream = generateFeed({ markets: 20, deltas: 200, seed: 9, useYesPrice: true });
    const bases = [...stream.frames.slice(0, 20), ...Array.from({ length: 200 }, () => validDelta(rnd))];
    let compared = 0;
    for (let k = 0; k < 40_000; k++) {
      let text = pick(rnd, bases);
      if (rnd() < 0.9) text = mutate(rnd, text);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue;
      }
      const type = (value as { type?: unknown } | null)?.type;
      const schema =
        type === "orderbook_delta"
          ? OrderbookDelta
          : type === "orderbook_snapshot"
            ? OrderbookSnapshot
            : null;
      if (schema === null) continue;
      compared++;
      const ours = parseFrame(text);
      const zodOk = schema.safeParse(value).success;
      const semantic =
        ours.kind === "invalid" && (ours.failure === "absurd_price" || ours.failure === "duplicate_level");
      // Ours accepts => zod accepts; ours rejects for a wire reason => zod rejects.
      if (ours.kind !== "invalid") expect(zodOk, text).toBe(true);
      else if (!semantic) expect(zodOk, text).toBe(false);
    }
    expect(compared).toBeGreaterThan(10_000);
  });
});

describe("fast and reference paths through the handler", () => {
  it("build identical books, counters and effects from a stream with damaged frames", () => {
    const rnd = mulberry32(4);
    const stream = generateFeed({ markets: 40, deltas: 20_000, seed: 5, useYesPrice: true });
    const frames = stream.frames.map((f, i) => (i > 40 && rnd() < 0.05 ? mutate(rnd, f) : f));
    const fast = new FrameHandler({ useYesPrice: true });
    const slow = new FrameHandler({ useYesPrice: true, fastPath: false });
    const effects: [unknown[], unknown[]] = [[], []];
    for (const [i, f] of frames.entries()) {
      fast.handle(f, i);
      slow.handle(f, i);
      if (i % 100 === 0) {
        effects[0].push(...fast.store.drainEffects());
        effects[1].push(...slow.store.drainEffects());
      }
    }
    expect(effects[0]).toEqual(effects[1]);
    expect(fast.store.counters).toEqual(slow.store.counters);
    const { fastPath, ...fastCounters } = fast.counters();
    const { fastPath: none, ...slowCounters } = slow.counters();
    expect(fastCounters).toEqual(slowCounters);
    expect(fastPath).toBeGreaterThan(15_000);
    expect(none).toBe(0);
    const books = (h: FrameHandler) =>
      h.store
        .allMarkets()
        .map((m) => [m.ticker, m.stale, m.staleReason, m.book.yes.levels(), m.book.no.levels()]);
    expect(books(fast)).toEqual(books(slow));
    expect(fast.store.counters.gaps).toBeGreaterThan(0); // the damage really reached the books
  });
});
