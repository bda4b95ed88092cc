/**
 * The real `RestPort` over shared/kalshi's `KalshiRestClient`: every page of open markets
 * converted to the feed's `MarketInfo` (integer tops, tick grid bands, exchange_index, the
 * series' fee parameters), the REST top of book for the sampled cross-check, and the
 * reconciliation of the unsequenced private channels (resting orders, recent fills, positions)
 * after a reconnect. Wire shapes stay here; the runtime sees domain types only. A market whose
 * numbers or grid do not parse is skipped and logged once, never thrown.
 */

import type { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import {
  type Fill,
  type Market,
  type MarketPosition,
  type Order,
  type OrderbookFp,
  toOrderbookLevels,
  toMarketInfo as toSharedMarketInfo,
} from "../../shared/kalshi/rest-schemas.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { RestPort } from "./ports.ts";
import type { MarketInfo, TopOfBook } from "./universe.ts";

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

/** Kalshi event tickers are `SERIES-...`; the market object does not carry its series. */
export function seriesOf(eventTicker: string): string {
  const i = eventTicker.indexOf("-");
  return i < 0 ? eventTicker : eventTicker.slice(0, i);
}

/**
 * Wire `Market` -> the feed's `MarketInfo`, or a reason it cannot be used. Built on the shared
 * converter (units, grid, times); a $0 bid means no bid; the NO bid is the complement of the YES
 * ask and rests in the YES ask's size.
 */
export function toMarketInfo(m: Market, fee?: FeeParams): MarketInfo | string {
  const c = toSharedMarketInfo(m);
  if (!c.ok) return c.error;
  const v = c.value;
  const noBid = v.yesAsk > 0 && v.yesAsk < PRICE_SCALE ? PRICE_SCALE - v.yesAsk : null;
  const info: MarketInfo = {
    ticker: v.ticker,
    eventTicker: v.eventTicker,
    seriesTicker: seriesOf(v.eventTicker),
    status: v.status,
    closeTimeMs: v.closeTimeMs,
    top: {
      yesBid: v.yesBid > 0 ? v.yesBid : null,
      yesBidSize: v.yesBid > 0 ? v.yesBidSize : 0,
      noBid,
      noBidSize: noBid === null ? 0 : v.yesAskSize,
    },
    volume24h: v.volume24h,
    priceLevelStructure: v.priceLevelStructure,
    priceRanges: v.grid.bands.map((b) => ({ start: b.start, end: b.end, step: b.step })),
    exchangeIndex: v.exchangeIndex,
  };
  if (fee) info.fee = fee;
  return info;
}

/** Best bid of each leg from a REST book (NO in NO-leg prices), or null if a level does not parse. */
export function topOfRestBook(book: OrderbookFp): TopOfBook | null {
  const c = toOrderbookLevels(book);
  if (!c.ok) return null;
  // Levels come sorted best first; a zero-size level is no bid.
  const yes = c.value.yesBids.find(([, size]) => size > 0);
  const no = c.value.noBids.find(([, size]) => size > 0);
  return {
    yesBid: yes?.[0] ?? null,
    yesBidSize: yes?.[1] ?? 0,
    noBid: no?.[0] ?? null,
    noBidSize: no?.[1] ?? 0,
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
