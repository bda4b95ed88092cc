/**
 * Node tests of the feed's REST port: wire markets (Kalshi's published examples) to `MarketInfo`,
 * REST books to a top of book, series fees fetched once, and the reconcile's success rule,
 * against a fake of the REST client's methods.
 */
import { describe, expect, it } from "vitest";
import orderbook from "../../shared/kalshi/fixtures/http_get_market_orderbook.json" with { type: "json" };
import markets from "../../shared/kalshi/fixtures/http_get_markets.json" with { type: "json" };
import series from "../../shared/kalshi/fixtures/http_get_series.json" with { type: "json" };
import type { Result } from "../../shared/kalshi/rest-client.ts";
import {
  GetMarketOrderbookResponse,
  GetMarketsResponse,
  GetSeriesResponse,
} from "../../shared/kalshi/rest-schemas.ts";
import type { FeedRestClient } from "./rest-port.ts";
import { kalshiRestPort, seriesOf, toMarketInfo, topOfRestBook } from "./rest-port.ts";

const MARKETS = GetMarketsResponse.parse(markets).markets;
const BOOK = GetMarketOrderbookResponse.parse(orderbook).orderbook_fp;
const SERIES = GetSeriesResponse.parse(series).series;
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const down: Result<never> = {
  ok: false,
  failure: { retryable: true, reason: "server_error", message: "503" },
};

describe("toMarketInfo", () => {
  it("converts the published market to integer units with its tick bands and the NO bid from the YES ask", () => {
    const m = MARKETS[0];
    if (!m) throw new Error("fixture has no market");
    const info = toMarketInfo(m);
    expect(info).toMatchObject({
      ticker: "INXD-23SEP14-B4487",
      eventTicker: "INXD-23SEP14",
      seriesTicker: "INXD",
      status: "active",
      closeTimeMs: Date.parse("2023-11-08T05:31:56Z"),
      top: { yesBid: 5_600, yesBidSize: 1_000, noBid: 4_200, noBidSize: 1_000 },
      volume24h: 1_000,
      priceRanges: [{ start: 0, end: 10_000, step: 100 }],
      exchangeIndex: 0,
    });
  });

  it("reports a market whose price_ranges do not parse instead of throwing", () => {
    const m = MARKETS[0];
    if (!m) throw new Error("fixture has no market");
    expect(toMarketInfo({ ...m, price_ranges: [] })).toMatch(/price_ranges/);
  });

  it("treats a $0 bid and a $1 ask as empty sides", () => {
    const m = MARKETS[0];
    if (!m) throw new Error("fixture has no market");
    const info = toMarketInfo({ ...m, yes_bid_dollars: "0.0000", yes_ask_dollars: "1.0000" });
    expect(typeof info === "string" ? info : info.top).toEqual({
      yesBid: null,
      yesBidSize: 0,
      noBid: null,
      noBidSize: 0,
    });
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

describe("kalshiRestPort", () => {
  const base = (): FeedRestClient & { seriesCalls: number } => {
    const c = {
      seriesCalls: 0,
      listMarkets: async () => ok(MARKETS),
      getSeries: async () => {
        c.seriesCalls++;
        return ok(SERIES);
      },
      getOrderbook: async () => ok(BOOK),
      listOrders: async () => ok([]),
      listFills: async () => ok([]),
      getPositions: async () => ok({ market_positions: [], event_positions: [] }),
    };
    return c as unknown as FeedRestClient & { seriesCalls: number };
  };
  const opts = { nowMs: () => 1_700_000_000_000, log: () => {} };

  it("attaches the series' fee parameters, fetching each series once across refreshes", async () => {
    const c = base();
    const port = kalshiRestPort(c, opts);
    const first = await port.listMarkets();
    await port.listMarkets();
    const distinct = new Set(MARKETS.map((m) => seriesOf(m.event_ticker))).size;
    expect(c.seriesCalls).toBe(distinct);
    expect(first?.[0]?.fee).toEqual({ feeType: SERIES.fee_type, feeMultiplier: SERIES.fee_multiplier });
  });

  it("answers null when the market list fails, never a partial universe", async () => {
    const port = kalshiRestPort({ ...base(), listMarkets: async () => down } as FeedRestClient, opts);
    expect(await port.listMarkets()).toBeNull();
  });

  it("reconciles only when orders, fills and positions all answered", async () => {
    const seen: unknown[] = [];
    const good = kalshiRestPort(base(), { ...opts, onPrivateSnapshot: (s) => seen.push(s) });
    expect(await good.reconcilePrivate()).toBe(true);
    expect(seen).toHaveLength(1);
    const bad = kalshiRestPort({ ...base(), listFills: async () => down } as FeedRestClient, opts);
    expect(await bad.reconcilePrivate()).toBe(false);
  });
});
