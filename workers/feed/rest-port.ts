/**
 * The real `RestPort` over shared/kalshi's `KalshiRestClient`: every page of open markets
 * converted to the feed's `MarketInfo` (integer tops, tick grid bands, exchange_index, the
 * series' fee parameters), the REST top of book for the sampled cross-check, and the
 * reconciliation of the unsequenced private channels (resting orders, recent fills, positions)
 * after a reconnect. Wire shapes stay here; the runtime sees domain types only. A market whose
 * numbers or grid do not parse is skipped and logged once, never thrown.
 */

import type { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import type { Fill, Market, MarketPosition, Order, OrderbookFp } from "../../shared/kalshi/rest-schemas.ts";
import { safeParseTickGrid } from "../../shared/kalshi/tick-grid.ts";
import {
  COUNT_DECIMALS,
  fixedOrNaN,
  MAX_COUNT,
  PRICE_DECIMALS,
  PRICE_SCALE,
} from "../../shared/kalshi/units.ts";
import type { RestPort } from "./ports.ts";
import type { MarketInfo, PriceRangeUnits, TopOfBook } from "./universe.ts";

/** The REST client methods the port uses (the whole client satisfies it). */
export type FeedRestClient = Pick<
  KalshiRestClient,
  "listMarkets" | "getSeries" | "getOrderbook" | "listOrders" | "listFills" | "getPositions"
>;

export interface FeeParams {
  feeType: string;
  /** Kalshi's plain multiplier (1 by default): not money, a float is fine. */
  feeMultiplier: number;
}

/** What the exchange says about our account after a reconnect (Kalshi is the truth). */
export interface PrivateSnapshot {
  atMs: number;
  restingOrders: Order[];
  fills: Fill[];
  positions: MarketPosition[];
}

export interface KalshiRestPortOptions {
  nowMs: () => number;
  log: (event: string, data?: Record<string, unknown>) => void;
  /** How far back the first reconcile reads fills. Default 24 h. */
  fillsLookbackMs?: number;
  /** Receives each successful reconcile (the order state machine plugs in here). */
  onPrivateSnapshot?: (s: PrivateSnapshot) => void;
}

function price(s: string | undefined): number {
  return s === undefined ? Number.NaN : fixedOrNaN(s, PRICE_DECIMALS, false, PRICE_SCALE);
}

function count(s: string | undefined): number {
  return s === undefined ? 0 : fixedOrNaN(s, COUNT_DECIMALS, false, MAX_COUNT);
}

/** Kalshi event tickers are `SERIES-...`; the market object does not carry its series. */
export function seriesOf(eventTicker: string): string {
  const i = eventTicker.indexOf("-");
  return i < 0 ? eventTicker : eventTicker.slice(0, i);
}

/**
 * Wire `Market` -> `MarketInfo`, or a reason it cannot be used. A $0 bid means no bid; the NO
 * bid is the complement of the YES ask and rests in the YES ask's size.
 */
export function toMarketInfo(m: Market, fee?: FeeParams): MarketInfo | string {
  const yesBid = price(m.yes_bid_dollars);
  const yesAsk = price(m.yes_ask_dollars);
  const yesBidSize = count(m.yes_bid_size_fp);
  const yesAskSize = count(m.yes_ask_size_fp);
  const volume24h = count(m.volume_24h_fp);
  const closeTimeMs = Date.parse(m.close_time);
  if ([yesBid, yesAsk, yesBidSize, yesAskSize, volume24h, closeTimeMs].some(Number.isNaN))
    return "unparseable price, size, volume or close_time";
  const grid = safeParseTickGrid(m.price_ranges);
  if (!grid.ok) return `bad price_ranges: ${grid.error}`;
  const priceRanges: PriceRangeUnits[] = grid.grid.bands.map((b) => ({
    start: b.start,
    end: b.end,
    step: b.step,
  }));
  const noBid = yesAsk > 0 && yesAsk < PRICE_SCALE ? PRICE_SCALE - yesAsk : null;
  const info: MarketInfo = {
    ticker: m.ticker,
    eventTicker: m.event_ticker,
    seriesTicker: seriesOf(m.event_ticker),
    status: m.status,
    closeTimeMs,
    top: {
      yesBid: yesBid > 0 ? yesBid : null,
      yesBidSize: yesBid > 0 ? yesBidSize : 0,
      noBid,
      noBidSize: noBid === null ? 0 : yesAskSize,
    },
    volume24h,
    priceLevelStructure: m.price_level_structure,
    priceRanges,
    exchangeIndex: m.exchange_index ?? 0,
  };
  if (fee) info.fee = fee;
  return info;
}

/** Best bid of each leg from a REST book (bids only, order not guaranteed; NO in NO-leg prices). */
export function topOfRestBook(book: OrderbookFp): TopOfBook | null {
  const best = (levels: [string, string][]): { p: number; s: number } | null | undefined => {
    let top: { p: number; s: number } | null = null;
    for (const [ps, cs] of levels) {
      const p = price(ps);
      const s = count(cs);
      if (Number.isNaN(p) || Number.isNaN(s)) return undefined;
      if (s > 0 && (top === null || p > top.p)) top = { p, s };
    }
    return top;
  };
  const yes = best(book.yes_dollars);
  const no = best(book.no_dollars);
  if (yes === undefined || no === undefined) return null;
  return {
    yesBid: yes?.p ?? null,
    yesBidSize: yes?.s ?? 0,
    noBid: no?.p ?? null,
    noBidSize: no?.s ?? 0,
  };
}

export function kalshiRestPort(client: FeedRestClient, opts: KalshiRestPortOptions): RestPort {
  const fees = new Map<string, FeeParams>();
  const logged = new Set<string>();
  const logOnce = (kind: string, data: Record<string, unknown>) => {
    if (logged.has(kind)) return;
    logged.add(kind);
    opts.log("feed.rest_once", { kind, ...data });
  };
  let lastReconcileMs: number | null = null;

  /** Fee parameters per series, fetched once each; a failure leaves the market without them. */
  const feeFor = async (series: string): Promise<FeeParams | undefined> => {
    const cached = fees.get(series);
    if (cached) return cached;
    const r = await client.getSeries(series);
    if (!r.ok) {
      logOnce(`series_failed_${r.failure.reason}`, { series, message: r.failure.message.slice(0, 200) });
      return undefined;
    }
    const f = { feeType: r.value.fee_type, feeMultiplier: r.value.fee_multiplier };
    fees.set(series, f);
    return f;
  };

  return {
    async listMarkets(): Promise<MarketInfo[] | null> {
      const r = await client.listMarkets({ status: "open" });
      if (!r.ok) {
        opts.log("feed.universe_rest_failed", { reason: r.failure.reason, message: r.failure.message });
        return null;
      }
      const series = [...new Set(r.value.map((m) => seriesOf(m.event_ticker)))];
      const feeBySeries = new Map<string, FeeParams | undefined>();
      for (const s of series) feeBySeries.set(s, await feeFor(s));
      const out: MarketInfo[] = [];
      for (const m of r.value) {
        const info = toMarketInfo(m, feeBySeries.get(seriesOf(m.event_ticker)));
        if (typeof info === "string") logOnce(`bad_market_${info.slice(0, 20)}`, { ticker: m.ticker, info });
        else out.push(info);
      }
      return out;
    },

    async orderbookTop(ticker: string): Promise<TopOfBook | null> {
      const r = await client.getOrderbook(ticker, 0);
      if (!r.ok) return null;
      return topOfRestBook(r.value);
    },

    async reconcilePrivate(): Promise<boolean> {
      const now = opts.nowMs();
      const since = lastReconcileMs ?? now - (opts.fillsLookbackMs ?? 24 * 3_600_000);
      const [orders, fills, positions] = await Promise.all([
        client.listOrders({ status: "resting" }),
        client.listFills({ min_ts: Math.floor(since / 1000) }),
        client.getPositions(),
      ]);
      if (!orders.ok || !fills.ok || !positions.ok) {
        const f = [orders, fills, positions].find((x) => !x.ok);
        if (f && !f.ok) opts.log("feed.reconcile_failed", { reason: f.failure.reason });
        return false;
      }
      lastReconcileMs = now;
      opts.onPrivateSnapshot?.({
        atMs: now,
        restingOrders: orders.value,
        fills: fills.value,
        positions: positions.value.market_positions,
      });
      opts.log("feed.reconciled", {
        resting: orders.value.length,
        fills: fills.value.length,
        positions: positions.value.market_positions.length,
      });
      return true;
    },
  };
}
