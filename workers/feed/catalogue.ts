/**
 * The market catalogue: Kalshi's REST view of markets turned into the domain `MarketInfo`. Every
 * page of open markets (`mve_filter=exclude`: multivariate markets announce their lifecycle on a
 * channel the feed does not follow), converted to integer units with the tick grid parsed once;
 * then, for the markets worth watching only, the series each belongs to (`GET /events/{ticker}`:
 * the market object does not carry it, and guessing it from the ticker is wrong for some events)
 * and that series' fee parameters (`GET /series/{ticker}`), with any event fee override announced
 * on `event_fee_update` layered on top. Series and events are cached; a failure leaves a market
 * without fees (the strategy then refuses to enter it) and is reported once.
 *
 * Wire shapes stay in shared/kalshi; callers see domain types. Called by the account object's
 * universe and cross-check jobs, never by the heartbeat.
 */
import { MAX_BID_PRICE, MIN_BID_PRICE } from "../../shared/book/order-book.ts";
import type { FeeParams, FeeType, MarketInfo, MarketStatus, TopOfBook } from "../../shared/domain.ts";
import { FEE_TYPES, MARKET_STATUSES, multiplierToPpm } from "../../shared/domain.ts";
import type { KalshiRestClient, Result } from "../../shared/kalshi/rest-client.ts";
import {
  type Market,
  type OrderbookFp,
  toMarketInfo,
  toOrderbookLevels,
} from "../../shared/kalshi/rest-schemas.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";

/** The REST client methods the catalogue uses (the whole client satisfies it). */
export type CatalogueClient = Pick<
  KalshiRestClient,
  "listMarkets" | "getSeries" | "getEvent" | "getOrderbook"
>;

/** An event's fee override (`event_fee_update`); null fields clear it. */
export interface FeeOverride {
  feeType: FeeType | null;
  multiplierPpm: number | null;
}

export interface CatalogueOptions {
  log: (event: string, data?: Record<string, unknown>) => void;
  nowMs: () => number;
  /** Series fee parameters are re-read after this long (Kalshi schedules fee changes). Default 6 h. */
  seriesTtlMs?: number;
}

const MULTIVARIATE_PREFIX = "KXMVE";

function isMarketStatus(s: string): s is MarketStatus {
  return (MARKET_STATUSES as readonly string[]).includes(s);
}

function isFeeType(s: string): s is FeeType {
  return (FEE_TYPES as readonly string[]).includes(s);
}

/** A price a bid can rest at: Kalshi never rests one at $0 or $1. */
function isRestingBid(p: number): boolean {
  return p >= MIN_BID_PRICE && p <= MAX_BID_PRICE;
}

/**
 * Wire `Market` -> domain `MarketInfo` without series or fees (resolved later for the watched
 * markets), or a reason it cannot be used. A $0 (or $1) bid means no bid; the NO bid is the
 * complement of the YES ask and rests in the YES ask's size.
 */
export function marketInfoOf(m: Market): { info: MarketInfo; waiverUntilMs: number | null } | string {
  const c = toMarketInfo(m);
  if (!c.ok) return c.error;
  const v = c.value;
  if (!isMarketStatus(v.status)) return `unknown status ${JSON.stringify(v.status)}`;
  const noBid = isRestingBid(v.yesAsk) ? PRICE_SCALE - v.yesAsk : null;
  const yesBid = isRestingBid(v.yesBid) ? v.yesBid : null;
  const info: MarketInfo = {
    ticker: v.ticker,
    eventTicker: v.eventTicker,
    seriesTicker: "",
    status: v.status,
    openTimeMs: v.openTimeMs,
    closeTimeMs: v.closeTimeMs,
    grid: v.grid,
    exchangeIndex: v.exchangeIndex,
    volume24h: v.volume24h,
    top: {
      yesBid,
      yesBidSize: yesBid === null ? 0 : v.yesBidSize,
      noBid,
      noBidSize: noBid === null ? 0 : v.yesAskSize,
    },
    fee: null,
    canCloseEarly: v.canCloseEarly,
    multivariate: v.ticker.startsWith(MULTIVARIATE_PREFIX),
  };
  return { info, waiverUntilMs: v.feeWaiverExpirationMs };
}

/**
 * Best bid of each leg from a REST book (NO in NO-leg prices), or null if a level does not parse
 * or lies at $0 or $1, where no bid rests (a book that lists one is not trusted).
 */
export function topOfRestBook(book: OrderbookFp): TopOfBook | null {
  const c = toOrderbookLevels(book);
  if (!c.ok) return null;
  const levels = [...c.value.yesBids, ...c.value.noBids];
  if (!levels.every(([price, size]) => size === 0 || isRestingBid(price))) return null;
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

interface SeriesEntry {
  fee: { feeType: FeeType; multiplierPpm: number } | null;
  atMs: number;
}

export class MarketCatalogue {
  readonly #client: CatalogueClient;
  readonly #opts: CatalogueOptions;
  readonly #seriesOfEvent = new Map<string, string>();
  readonly #series = new Map<string, SeriesEntry>();
  readonly #overrides = new Map<string, FeeOverride>();
  readonly #waivers = new Map<string, number | null>();
  readonly #logged = new Set<string>();

  constructor(client: CatalogueClient, opts: CatalogueOptions) {
    this.#client = client;
    this.#opts = opts;
  }

  /** Every page of open, non-multivariate markets, converted; unusable ones reported once and left out. */
  async loadOpenMarkets(): Promise<Result<MarketInfo[]>> {
    const r = await this.#client.listMarkets({ status: "open", mve_filter: "exclude" });
    if (!r.ok) return r;
    const out: MarketInfo[] = [];
    for (const m of r.value) {
      const c = marketInfoOf(m);
      if (typeof c === "string") {
        this.#logOnce(`bad_market:${m.ticker}`, { ticker: m.ticker, reason: c.slice(0, 200) });
        continue;
      }
      this.#waivers.set(c.info.ticker, c.waiverUntilMs);
      out.push(c.info);
    }
    return { ok: true, value: out };
  }

  /**
   * The same markets with their series and fee parameters, where Kalshi gave them. Reads an event
   * or a series only the first time (series again after `seriesTtlMs`).
   */
  async withFees(markets: readonly MarketInfo[]): Promise<MarketInfo[]> {
    const out: MarketInfo[] = [];
    for (const m of markets) {
      const series = await this.#seriesTickerOf(m.eventTicker);
      if (series === null) {
        out.push(m);
        continue;
      }
      const fee = await this.#seriesFee(series);
      out.push({ ...m, seriesTicker: series, fee: fee === null ? null : this.#applyOverride(m, fee) });
    }
    return out;
  }

  /** An `event_fee_update`: the event's fee override is set (or cleared, with nulls). */
  setFeeOverride(eventTicker: string, o: FeeOverride): void {
    if (o.feeType === null && o.multiplierPpm === null) this.#overrides.delete(eventTicker);
    else this.#overrides.set(eventTicker, o);
  }

  /** The fee parameters `m` trades under now, or null when unknown. */
  feeOf(m: MarketInfo): FeeParams | null {
    const series = this.#series.get(m.seriesTicker);
    return series?.fee ? this.#applyOverride(m, series.fee) : null;
  }

  /** REST top of book (the cross-check; the stop check while a book is not fresh); null when REST failed. */
  async orderbookTop(ticker: string): Promise<TopOfBook | null> {
    const r = await this.#client.getOrderbook(ticker, 1);
    if (!r.ok) return null;
    return topOfRestBook(r.value);
  }

  #applyOverride(m: MarketInfo, base: { feeType: FeeType; multiplierPpm: number }): FeeParams {
    const o = this.#overrides.get(m.eventTicker);
    return {
      feeType: o?.feeType ?? base.feeType,
      multiplierPpm: o?.multiplierPpm ?? base.multiplierPpm,
      waiverUntilMs: this.#waivers.get(m.ticker) ?? null,
    };
  }

  async #seriesTickerOf(eventTicker: string): Promise<string | null> {
    const known = this.#seriesOfEvent.get(eventTicker);
    if (known !== undefined) return known;
    const r = await this.#client.getEvent(eventTicker);
    if (!r.ok) {
      this.#logOnce(`event_failed:${r.failure.reason}`, {
        event: eventTicker,
        message: r.failure.message.slice(0, 200),
      });
      return null;
    }
    this.#seriesOfEvent.set(eventTicker, r.value.series_ticker);
    return r.value.series_ticker;
  }

  async #seriesFee(series: string): Promise<{ feeType: FeeType; multiplierPpm: number } | null> {
    const now = this.#opts.nowMs();
    const cached = this.#series.get(series);
    if (cached && now - cached.atMs < (this.#opts.seriesTtlMs ?? 6 * 3_600_000)) return cached.fee;
    const r = await this.#client.getSeries(series);
    if (!r.ok) {
      this.#logOnce(`series_failed:${r.failure.reason}`, {
        series,
        message: r.failure.message.slice(0, 200),
      });
      return cached?.fee ?? null;
    }
    let fee: SeriesEntry["fee"] = null;
    if (!isFeeType(r.value.fee_type)) {
      this.#logOnce(`unknown_fee_type:${r.value.fee_type}`, { series, feeType: r.value.fee_type });
    } else {
      try {
        fee = { feeType: r.value.fee_type, multiplierPpm: multiplierToPpm(r.value.fee_multiplier) };
      } catch (err) {
        this.#logOnce(`bad_fee_multiplier:${series}`, { series, error: String(err).slice(0, 200) });
      }
    }
    this.#series.set(series, { fee, atMs: now });
    return fee;
  }

  #logOnce(kind: string, data: Record<string, unknown>): void {
    if (this.#logged.has(kind)) return;
    this.#logged.add(kind);
    this.#opts.log("catalogue.once", { kind, ...data });
  }
}
