import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GetMarketsResponse, PriceRangeWire as RestPriceRangeWire } from "./rest-schemas.ts";
import {
  CountStr,
  isMarketTicker,
  MARKET_TICKER_RE,
  MoneyStr,
  PriceRangeWire,
  PriceStr,
  SignedCountStr,
} from "./wire-fields.ts";
import { PriceRangeWire as WsPriceRangeWire, PriceStr as WsPriceStr } from "./ws-messages.ts";

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
}

describe("fixed-point fields", () => {
  it("accept Kalshi's strings and refuse floats' cousins", () => {
    expect(PriceStr.safeParse("0.5600").success).toBe(true);
    expect(PriceStr.safeParse("1.0000").success).toBe(true);
    expect(PriceStr.safeParse("1.0001").success).toBe(false);
    expect(PriceStr.safeParse("0.56001").success).toBe(false);
    expect(PriceStr.safeParse("5.6e-1").success).toBe(false);
    expect(CountStr.safeParse("10.00").success).toBe(true);
    expect(CountStr.safeParse("-1.00").success).toBe(false);
    expect(SignedCountStr.safeParse("-54.00").success).toBe(true);
    expect(MoneyStr.safeParse("-1.250000").success).toBe(true);
    expect(MoneyStr.safeParse("0.0000001").success).toBe(false);
  });

  it("are one definition for the REST and WebSocket schemas", () => {
    expect(RestPriceRangeWire).toBe(PriceRangeWire);
    expect(WsPriceRangeWire).toBe(PriceRangeWire);
    expect(WsPriceStr).toBe(PriceStr);
  });

  // the REST copy was z.string() x 3: it took any string as a price range bound
  it("hold a REST market's price_ranges to well-formed dollar prices", () => {
    const page = fixture("http_get_markets.json") as { markets: Record<string, unknown>[] };
    expect(GetMarketsResponse.safeParse(page).success).toBe(true);
    const [first] = page.markets;
    const broken = {
      ...page,
      markets: [{ ...first, price_ranges: [{ start: "0", end: "one", step: "0.01" }] }],
    };
    expect(GetMarketsResponse.safeParse(broken).success).toBe(false);
  });
});

describe("MARKET_TICKER_RE", () => {
  it("accepts the spec's example tickers, dots included", () => {
    // Kalshi's AsyncAPI marketTicker examples; the spec's own pattern refuses the dotted ones
    for (const t of ["FED-23DEC-T3.00", "HIGHNY-22DEC23-B53.5", "CPI-22DEC-TN0.1", "INXD-23SEP14-B4487"]) {
      expect(MARKET_TICKER_RE.test(t), t).toBe(true);
      expect(isMarketTicker(t)).toBe(true);
    }
  });

  it("refuses lower case, spaces, empty strings and non-strings", () => {
    for (const t of ["fed-23dec-t3.00", "FED 23DEC", "", "FED/23DEC", 42, null]) {
      expect(isMarketTicker(t), String(t)).toBe(false);
    }
  });
});
