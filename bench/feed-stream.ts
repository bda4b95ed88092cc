/**
 * A deterministic, realistic Kalshi order-book stream for `feed.bench.ts` and the book tests:
 * hundreds of markets on mixed tick grids (whole cent, deci-cent, tapered, centi-cent edges),
 * one `orderbook_snapshot` per market then `orderbook_delta` frames on one subscription with
 * consecutive `seq`, fractional sizes, partial and full removals, new levels near the touch,
 * and a few frames caused by the bot's own orders (`client_order_id`). Frames are written
 * exactly as Kalshi's published example (Kalshi's WebSocket spec, `orderbookDelta`): same field order,
 * 4-decimal prices, 2-decimal counts, `ts` and `ts_ms`.
 *
 * The generator keeps its own model of every book (plain Maps) so a consumer can compare.
 */

import {
  isOnGrid,
  parseTickGrid,
  priceRangesForStructure,
  type TickGrid,
} from "../shared/kalshi/tick-grid.ts";
import { formatCount, formatPrice, PRICE_SCALE } from "../shared/kalshi/units.ts";

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface FeedMarket {
  readonly ticker: string;
  readonly marketId: string;
  readonly structure: string;
  readonly grid: TickGrid;
}

/** A model book: YES bids by YES price, NO bids by NO-leg price, sizes in count units. */
export interface ModelBook {
  readonly yes: Map<number, number>;
  readonly no: Map<number, number>;
}

export interface FeedStreamOptions {
  readonly markets: number;
  readonly deltas: number;
  readonly seed: number;
  /** NO-side prices on the YES scale (`use_yes_price: true`), else NO-leg prices. */
  readonly useYesPrice: boolean;
  readonly sid?: number;
}

export interface FeedStream {
  readonly markets: FeedMarket[];
  /** Snapshots first (one per market), then deltas. */
  readonly frames: string[];
  readonly snapshotFrames: number;
  /** The generator's own books after the last frame. */
  readonly books: Map<string, ModelBook>;
}

const STRUCTURES = [
  "linear_cent",
  "deci_cent",
  "tapered_deci_cent",
  "center_half_edge_deci_cent",
  "center_centi_edge_centi_cent",
  "center_deci_edge_centi_cent",
];
const SERIES = [
  "KXBTCD",
  "KXETHD",
  "KXHIGHNY",
  "KXNBAGAME",
  "KXCPIYOY",
  "KXFEDDECISION",
  "KXINXU",
  "KXRAINNYC",
];
const BASE_TS_MS = 1_795_000_000_000;

/** Grid prices strictly inside (0, 1), ascending. */
function gridPrices(grid: TickGrid): number[] {
  const out: number[] = [];
  for (let p = 1; p < PRICE_SCALE; p++) if (isOnGrid(grid, p)) out.push(p);
  return out;
}

function hex(rnd: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(rnd() * 16)];
  return s;
}

function randomSize(rnd: () => number): number {
  // A third whole contracts, the rest fractional hundredths; mostly small, some large.
  const scale = rnd() < 0.8 ? 10_000 : 500_000;
  const v = 1 + Math.floor(rnd() * scale);
  return rnd() < 0.33 ? Math.max(100, v - (v % 100)) : v;
}

/** A flat (sequential, one-byte) copy of `s`, as a WebSocket message arrives. */
export function flat(s: string): string {
  return Buffer.from(s, "utf8").toString("utf8");
}

export function generateFeed(opts: FeedStreamOptions): FeedStream {
  const rnd = mulberry32(opts.seed);
  const sid = opts.sid ?? 1;
  const gridCache = new Map<string, { grid: TickGrid; prices: number[] }>();
  const markets: FeedMarket[] = [];
  const books = new Map<string, ModelBook>();
  const mids: number[] = [];
  const gridOf: number[][] = [];
  const frames: string[] = [];
  let seq = 0;

  for (let m = 0; m < opts.markets; m++) {
    const structure = STRUCTURES[m % STRUCTURES.length] as string;
    let g = gridCache.get(structure);
    if (g === undefined) {
      const grid = parseTickGrid(priceRangesForStructure(structure) ?? []);
      g = { grid, prices: gridPrices(grid) };
      gridCache.set(structure, g);
    }
    const series = SERIES[m % SERIES.length] as string;
    const ticker = `${series}-26NOV${String(10 + (m % 20))}-T${1000 + m}.${m % 2 === 0 ? "99" : "5"}`;
    const marketId = `${hex(rnd, 8)}-${hex(rnd, 4)}-4${hex(rnd, 3)}-a${hex(rnd, 3)}-${hex(rnd, 12)}`;
    markets.push({ ticker, marketId, structure, grid: g.grid });
    // Mid somewhere in the grid's interior, leaving room for 40 levels each side.
    const n = g.prices.length;
    const lo = Math.min(40, n >> 2);
    const midIdx = lo + Math.floor(rnd() * Math.max(1, n - 2 * lo));
    mids.push(midIdx);
    gridOf.push(g.prices);
    const book: ModelBook = { yes: new Map(), no: new Map() };
    const depth = 5 + Math.floor(rnd() * 25);
    for (let k = 1; k <= depth; k++) {
      if (rnd() < 0.8 && midIdx - k >= 0) book.yes.set(g.prices[midIdx - k] as number, randomSize(rnd));
      if (rnd() < 0.8 && midIdx + k < n)
        book.no.set(PRICE_SCALE - (g.prices[midIdx + k] as number), randomSize(rnd));
    }
    books.set(ticker, book);
    const wire = (legNo: number) => (opts.useYesPrice ? PRICE_SCALE - legNo : legNo);
    const yesLevels = [...book.yes].map(([p, s]) => `["${formatPrice(p)}","${formatCount(s)}"]`);
    const noLevels = [...book.no].map(([p, s]) => `["${formatPrice(wire(p))}","${formatCount(s)}"]`);
    let body = `"market_ticker":"${ticker}","market_id":"${marketId}"`;
    if (yesLevels.length > 0) body += `,"yes_dollars_fp":[${yesLevels.join(",")}]`;
    if (noLevels.length > 0) body += `,"no_dollars_fp":[${noLevels.join(",")}]`;
    frames.push(`{"type":"orderbook_snapshot","sid":${sid},"seq":${++seq},"msg":{${body}}}`);
  }
  const snapshotFrames = frames.length;

  for (let d = 0; d < opts.deltas; d++) {
    // Skewed activity: a few markets carry most of the traffic.
    const r = rnd();
    const m = Math.floor(r * r * opts.markets);
    const market = markets[m] as FeedMarket;
    const book = books.get(market.ticker) as ModelBook;
    const prices = gridOf[m] as number[];
    const midIdx = mids[m] as number;
    const yesSide = rnd() < 0.5;
    const ladder = yesSide ? book.yes : book.no;
    let legPrice: number;
    let delta: number;
    if (ladder.size > 0 && rnd() < 0.6) {
      // Touch an existing level: remove it, take part of it, or add to it.
      const levels = [...ladder.keys()];
      legPrice = levels[Math.floor(rnd() * levels.length)] as number;
      const size = ladder.get(legPrice) as number;
      const a = rnd();
      if (a < 0.3) delta = -size;
      else if (a < 0.6 && size > 1) delta = -(1 + Math.floor(rnd() * (size - 1)));
      else delta = randomSize(rnd);
    } else {
      // A new or existing level within 20 ticks of the touch, on this side of the mid.
      const k = 1 + Math.floor(rnd() * 20);
      const idx = yesSide ? Math.max(0, midIdx - k) : Math.min(prices.length - 1, midIdx + k);
      const yesPrice = prices[idx] as number;
      legPrice = yesSide ? yesPrice : PRICE_SCALE - yesPrice;
      delta = randomSize(rnd);
    }
    const next = (ladder.get(legPrice) ?? 0) + delta;
    if (next === 0) ladder.delete(legPrice);
    else ladder.set(legPrice, next);
    const wirePrice = yesSide || !opts.useYesPrice ? legPrice : PRICE_SCALE - legPrice;
    const tsMs = BASE_TS_MS + d * 3;
    const ts = new Date(tsMs - (tsMs % 1000)).toISOString().replace(".000Z", "Z");
    const own = rnd() < 0.02 ? `,"client_order_id":"${hex(rnd, 8)}-${hex(rnd, 4)}"` : "";
    frames.push(
      `{"type":"orderbook_delta","sid":${sid},"seq":${++seq},"msg":{"market_ticker":"${market.ticker}",` +
        `"market_id":"${market.marketId}","price_dollars":"${formatPrice(wirePrice)}",` +
        `"delta_fp":"${formatCount(delta)}","side":"${yesSide ? "yes" : "no"}"${own},"ts":"${ts}","ts_ms":${tsMs}}}`,
    );
  }
  // Concatenation builds ropes; a socket delivers flat strings decoded from bytes.
  for (let i = 0; i < frames.length; i++) frames[i] = flat(frames[i] as string);
  return { markets, frames, snapshotFrames, books };
}
