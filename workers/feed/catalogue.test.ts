/**
 * Node tests of the market catalogue (`catalogue.ts`): Kalshi's published market, order book,
 * event and series examples turned into the domain `MarketInfo`, with the series read from the
 * event (never guessed from the ticker), each event and series fetched once, an event fee override
 * layered on the series' fees and cleared again, and failures leaving a market without fees.
 */
import { describe, expect, it } from "vitest";
import orderbook from "../../shared/kalshi/fixtures/http_get_market_orderbook.json" with { type: "json" };
import markets from "../../shared/kalshi/fixtures/http_get_markets.json" with { type: "json" };
import series from "../../shared/kalshi/fixtures/http_get_series.json" with { type: "json" };
import type { Result } from "../../shared/kalshi/rest-client.ts";
import {
  type Event,
  GetMarketOrderbookResponse,
  GetMarketsResponse,
  GetSeriesResponse,
} from "../../shared/kalshi/rest-schemas.ts";
import { type CatalogueClient, MarketCatalogue, marketInfoOf, topOfRestBook } from "./catalogue.ts";

const MARKETS = GetMarketsResponse.parse(markets).markets;
const BOOK = GetMarketOrderbookResponse.parse(orderbook).orderbook_fp;
const SERIES = GetSeriesResponse.parse(series).series;
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const down: Result<never> = {
  ok: false,
  failure: { retryable: true, reason: "server_error", message: "503" },
};

describe("marketInfoOf", () => {
  it("converts the published market to integer units with its grid and the NO bid from the YES ask", () => {
    const m = MARKETS[0];
    if (!m) throw new Error("fixture has no market");
    const c = marketInfoOf(m);
    if (typeof c === "string") throw new Error(c);
    expect(c.info).toMatchObject({
      ticker: "INXD-23SEP14-B4487",
      eventTicker: "INXD-23SEP14",
      seriesTicker: "",
      status: "active",
      closeTimeMs: Date.parse("2023-11-08T05:31:56Z"),
      top: { yesBid: 5_600, yesBidSize: 1_000, noBid: 4_200, noBidSize: 1_000 },
      volume24h: 1_000,
      exchangeIndex: 0,
      fee: null,
      multivariate: false,
    });
    expect(c.info.grid.bands).toEqual([{ start: 0, end: 10_000, step: 100 }]);
  });

  it("reports a market whose price_ranges do not parse instead of throwing", () => {
    const m = MARKETS[0];
    if (!m) throw new Error("fixture has no market");
    expect(marketInfoOf({ ...m, price_ranges: [] })).toMatch(/price_ranges/);
  });

  it("treats a $0 bid and a $1 ask as empty sides", () => {
    const m = MARKETS[0];
    if (!m) throw new Error("fixture has no market");
    const c = marketInfoOf({ ...m, yes_bid_dollars: "0.0000", yes_ask_dollars: "1.0000" });
    expect(typeof c === "string" ? c : c.info.top).toEqual({
      yesBid: null,
      yesBidSize: 0,
      noBid: null,
      noBidSize: 0,
    });
  });

  it("flags multivariate (KXMVE) markets", () => {
    const m = MARKETS[0];
    if (!m) throw new Error("fixture has no market");
    const c = marketInfoOf({ ...m, ticker: "KXMVECROSSCATEGORY-S2026-ABC" });
    expect(typeof c === "string" ? c : c.info.multivariate).toBe(true);
  });
});

describe("topOfRestBook", () => {
  it("takes the highest price of each leg whatever the order (NO in NO-leg prices)", () => {
    expect(topOfRestBook(BOOK)).toEqual({
      yesBid: 2_200,
      yesBidSize: 33_300,
      noBid: 5_600,
      noBidSize: 14_600,
    });
    const reversed = {
      yes_dollars: [...BOOK.yes_dollars].reverse(),
      no_dollars: [...BOOK.no_dollars].reverse(),
    };
    expect(topOfRestBook(reversed)).toEqual(topOfRestBook(BOOK));
  });
});

describe("MarketCatalogue", () => {
  /** The published series for every event; events name a series unrelated to their ticker. */
  const client = () => {
    const calls = { events: 0, series: 0, listParams: [] as unknown[] };
    const c: CatalogueClient = {
      listMarkets: async (p) => {
        calls.listParams.push(p);
        return ok(MARKETS);
      },
      getEvent: async (t) => {
        calls.events++;
        return ok<Event>({ event_ticker: t, series_ticker: SERIES.ticker });
      },
      getSeries: async () => {
        calls.series++;
        return ok(SERIES);
      },
      getOrderbook: async () => ok(BOOK),
    };
    return { c, calls };
  };
  const opts = { nowMs: () => 1_700_000_000_000, log: () => {} };

  it("asks for open markets without multivariate ones", async () => {
    const { c, calls } = client();
    const r = await new MarketCatalogue(c, opts).loadOpenMarkets();
    expect(r.ok).toBe(true);
    expect(calls.listParams).toEqual([{ status: "open", mve_filter: "exclude" }]);
  });

  it("takes the series from the event and its fees from the series, each read once", async () => {
    const { c, calls } = client();
    const cat = new MarketCatalogue(c, opts);
    const loaded = await cat.loadOpenMarkets();
    if (!loaded.ok) throw new Error("load failed");
    const first = await cat.withFees(loaded.value);
    await cat.withFees(loaded.value);
    expect(calls.events).toBe(new Set(MARKETS.map((m) => m.event_ticker)).size);
    expect(calls.series).toBe(1);
    expect(first[0]?.seriesTicker).toBe("HIGHNY");
    expect(first[0]?.fee).toEqual({ feeType: "quadratic", multiplierPpm: 1_000_000, waiverUntilMs: null });
  });

  it("layers an event's fee override on the series and clears it again", async () => {
    const { c } = client();
    const cat = new MarketCatalogue(c, opts);
    const loaded = await cat.loadOpenMarkets();
    if (!loaded.ok) throw new Error("load failed");
    const [m] = await cat.withFees(loaded.value);
    if (!m) throw new Error("no market");
    cat.setFeeOverride(m.eventTicker, { feeType: "quadratic_with_maker_fees", multiplierPpm: 500_000 });
    expect(cat.feeOf(m)).toEqual({
      feeType: "quadratic_with_maker_fees",
      multiplierPpm: 500_000,
      waiverUntilMs: null,
    });
    cat.setFeeOverride(m.eventTicker, { feeType: null, multiplierPpm: null });
    expect(cat.feeOf(m)).toEqual({ feeType: "quadratic", multiplierPpm: 1_000_000, waiverUntilMs: null });
  });

  it("leaves a market without fees when its event cannot be read, and answers the failure of the list", async () => {
    const { c } = client();
    const cat = new MarketCatalogue({ ...c, getEvent: async () => down }, opts);
    const loaded = await cat.loadOpenMarkets();
    if (!loaded.ok) throw new Error("load failed");
    const [m] = await cat.withFees(loaded.value);
    expect(m?.fee).toBeNull();
    const failing = new MarketCatalogue({ ...c, listMarkets: async () => down }, opts);
    expect((await failing.loadOpenMarkets()).ok).toBe(false);
  });
});
