/**
 * The simulator's seeded market universe: series (fee type and multiplier, category, shard),
 * events and markets with the variety a bot meets on Kalshi: favourites at 85 c and above,
 * long shots, toss-ups, thin and liquid books, every price level structure including the
 * sub-penny grids, four shards, close times from minutes to days. The same seed, count and
 * start time always give the same universe. Each market also gets a participant profile
 * (fair value, market makers) that `participants.ts` animates.
 */

import type { CountUnits, PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import { PRICE_LEVEL_STRUCTURES, priceRangesForStructure, snapDown } from "./grid.ts";
import { Rng } from "./rng.ts";
import type { FeeType, PriceRange, SimEvent, SimMarket, SimSeries } from "./types.ts";

export type MarketKind = "tossup" | "favourite" | "thin" | "liquid" | "longshot";
export const MARKET_KINDS: readonly MarketKind[] = ["tossup", "favourite", "thin", "liquid", "longshot"];

export interface MakerSpec {
  name: string;
  halfSpread: PriceUnits;
  size: CountUnits;
}

export interface MarketProfile {
  kind: MarketKind;
  /** the participants' current fair YES value, price units (fractional while walking) */
  fair: number;
  /** favourites' news: an offset to `fair` that fades (participants.ts `stepShock`) */
  shock: number;
  /** when the next news jump is due (0: not scheduled yet) */
  nextJumpMs: number;
  /** random-walk noise per sqrt(second), price units */
  volatility: number;
  makers: MakerSpec[];
  /** chance per participant tick that a noise trader takes liquidity */
  takerChance: number;
}

interface SeriesTemplate {
  ticker: string;
  title: string;
  category: string;
  feeType: FeeType;
  feeMultiplierPpm: number;
  exchangeIndex: number;
}

/** Shards as on Kalshi: 0 default, 1 combos, 2 crypto, 3 tennis/baseball (Kalshi's exchange-sharding guide). */
const SERIES: readonly SeriesTemplate[] = [
  {
    ticker: "KXHIGHNY",
    title: "Highest temperature in NYC",
    category: "Climate and Weather",
    feeType: "quadratic",
    feeMultiplierPpm: 1_000_000,
    exchangeIndex: 0,
  },
  {
    ticker: "KXBTCD",
    title: "Bitcoin price above",
    category: "Crypto",
    feeType: "quadratic_with_maker_fees",
    feeMultiplierPpm: 1_000_000,
    exchangeIndex: 2,
  },
  {
    ticker: "KXATPMATCH",
    title: "ATP tennis match winner",
    category: "Sports",
    feeType: "quadratic_with_maker_fees",
    feeMultiplierPpm: 500_000,
    exchangeIndex: 3,
  },
  {
    ticker: "KXMVECROSSCATEGORY",
    title: "Cross-category combo",
    category: "Exotics",
    feeType: "quadratic_with_combo_maker_fees",
    feeMultiplierPpm: 1_000_000,
    exchangeIndex: 1,
  },
  {
    ticker: "KXFED",
    title: "Fed funds rate upper bound",
    category: "Economics",
    feeType: "quadratic",
    feeMultiplierPpm: 1_500_000,
    exchangeIndex: 0,
  },
  {
    ticker: "KXETHD",
    title: "Ethereum price above",
    category: "Crypto",
    feeType: "quadratic",
    feeMultiplierPpm: 250_000,
    exchangeIndex: 2,
  },
  {
    ticker: "KXMLBGAME",
    title: "MLB game winner",
    category: "Sports",
    feeType: "quadratic",
    feeMultiplierPpm: 1_000_000,
    exchangeIndex: 3,
  },
  {
    ticker: "KXINXD",
    title: "S&P 500 close range",
    category: "Financials",
    feeType: "flat",
    feeMultiplierPpm: 1_000_000,
    exchangeIndex: 0,
  },
];

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface Universe {
  series: SimSeries[];
  events: SimEvent[];
  markets: SimMarket[];
  profiles: Map<string, MarketProfile>;
}

export function seriesCatalogue(): SimSeries[] {
  return SERIES.map(({ exchangeIndex: _shard, ...s }) => ({ ...s }));
}

export function shardOfSeries(seriesTicker: string): number {
  return SERIES.find((s) => s.ticker === seriesTicker)?.exchangeIndex ?? 0;
}

function eventDateCode(n: number): string {
  const day = (n % 28) + 1;
  const month = MONTHS[Math.floor(n / 28) % 12] as string;
  const year = 26 + Math.floor(n / 336);
  return `${year}${month}${String(day).padStart(2, "0")}`;
}

export function stableId(seed: number, kind: number, n: number): string {
  const h = (x: number, w: number) => (x >>> 0).toString(16).padStart(w, "0").slice(-w);
  return `${h(seed, 8)}-${h(kind, 4)}-4${h(n >>> 24, 3)}-8${h(n >>> 12, 3)}-${h(n, 12)}`;
}

/** Initial fair YES value for a kind, in price units. */
function initialFair(kind: MarketKind, rng: Rng): number {
  switch (kind) {
    case "favourite":
      // within the bot's entry band: bid >= 0.85 and room for +2 c below 0.99 around a 1 c spread
      return rng.int(8700, 9500);
    case "longshot":
      return rng.int(300, 1500);
    case "tossup":
      return rng.int(4500, 5500);
    default:
      return rng.int(1500, 8500);
  }
}

export function makeProfile(kind: MarketKind, fair: number, ticker: string, rng: Rng): MarketProfile {
  const makers: MakerSpec[] = [];
  const nMakers = kind === "thin" ? 1 : kind === "liquid" ? 4 : rng.int(2, 3);
  // One draw per value whatever the kind, so tuning one kind never shifts another market's sequence.
  for (let i = 0; i < nMakers; i++) {
    const thin = kind === "thin";
    const fav = kind === "favourite";
    makers.push({
      name: `mm${i + 1}:${ticker}`,
      // favourites quote tight (spread <= 1 c before snapping, <= 2 c after) ...
      halfSpread: thin
        ? rng.int(300, 800)
        : kind === "liquid"
          ? rng.int(40, 150)
          : fav
            ? rng.int(30, 50)
            : rng.int(100, 400),
      // ... and deep (600 to 1 500 contracts, $500+ at the best bid); thin books quote fractional sizes
      size: thin
        ? rng.int(1, 40) * 25
        : kind === "liquid"
          ? rng.int(50, 200) * 100
          : fav
            ? rng.int(6, 15) * 10_000
            : rng.int(5, 50) * 100,
    });
  }
  return {
    kind,
    fair,
    shock: 0,
    nextJumpMs: 0,
    // favourites move slowly, so they stay in the entry band for a local run
    volatility: kind === "liquid" ? 8 : kind === "thin" ? 25 : kind === "favourite" ? 4 : 15,
    makers,
    takerChance: kind === "thin" ? 0.03 : kind === "liquid" ? 0.3 : 0.12,
  };
}

export interface NewMarketSpec {
  seriesTicker: string;
  eventTicker: string;
  ticker: string;
  marketId: string;
  exchangeIndex: number;
  priceLevelStructure: string;
  priceRanges: PriceRange[];
  openTimeMs: number;
  closeTimeMs: number;
  eventualOutcome: "yes" | "no";
  fair: number;
}

export function buildMarket(spec: NewMarketSpec, nowMs: number): SimMarket {
  return {
    ticker: spec.ticker,
    eventTicker: spec.eventTicker,
    seriesTicker: spec.seriesTicker,
    marketId: spec.marketId,
    status: nowMs >= spec.openTimeMs ? "active" : "initialized",
    openTimeMs: spec.openTimeMs,
    closeTimeMs: spec.closeTimeMs,
    expectedExpirationTimeMs: spec.closeTimeMs + 10 * MINUTE,
    priceLevelStructure: spec.priceLevelStructure,
    priceRanges: spec.priceRanges,
    exchangeIndex: spec.exchangeIndex,
    result: "",
    eventualOutcome: spec.eventualOutcome,
    lastPrice: 0,
    volume: 0,
    volume24h: 0,
    openInterest: 0,
    settlementTimerSeconds: 300,
    canCloseEarly: true,
    updatedTimeMs: nowMs,
    yesSubTitle: "",
    strikeType: "custom",
  };
}

/** A new event of a series (no fee override, no collateral return scheme). */
export function buildEvent(
  spec: { eventTicker: string; seriesTicker: string; title: string; subTitle: string; exchangeIndex: number },
  nowMs: number,
): SimEvent {
  return {
    ...spec,
    collateralReturnType: "",
    feeTypeOverride: null,
    feeMultiplierOverridePpm: null,
    lastUpdatedMs: nowMs,
  };
}

/**
 * `count` markets, grouped 1 to 3 per event. Kinds, structures and series are assigned by
 * cycling (so any 12+ markets cover every structure and kind), details by the seeded RNG.
 */
export function generateUniverse(seed: number, count: number, startMs: number): Universe {
  const rng = new Rng(seed);
  const series = seriesCatalogue();
  const events: SimEvent[] = [];
  const markets: SimMarket[] = [];
  const profiles = new Map<string, MarketProfile>();
  let i = 0;
  let e = 0;
  while (i < count) {
    const tpl = SERIES[e % SERIES.length] as SeriesTemplate;
    const eventTicker = `${tpl.ticker}-${eventDateCode(e)}`;
    events.push(
      buildEvent(
        {
          eventTicker,
          seriesTicker: tpl.ticker,
          title: `${tpl.title} on ${eventDateCode(e)}`,
          subTitle: eventDateCode(e),
          exchangeIndex: tpl.exchangeIndex,
        },
        startMs,
      ),
    );
    // some events close within the hour so a local run sees the whole lifecycle
    const closeTimeMs = startMs + (e % 5 === 4 ? rng.int(10, 60) * MINUTE : rng.int(2, 72) * HOUR);
    const perEvent = Math.min(count - i, rng.int(1, 3));
    for (let k = 0; k < perEvent; k++, i++) {
      const kind = MARKET_KINDS[i % MARKET_KINDS.length] as MarketKind;
      const structure = PRICE_LEVEL_STRUCTURES[i % PRICE_LEVEL_STRUCTURES.length] as string;
      const fair = initialFair(kind, rng);
      // the hidden outcome: YES with probability close to the starting fair value
      const eventualOutcome = rng.float() * PRICE_SCALE < fair ? "yes" : "no";
      const ticker = `${eventTicker}-T${50 + 5 * k}`;
      const market = buildMarket(
        {
          seriesTicker: tpl.ticker,
          eventTicker,
          ticker,
          marketId: stableId(seed, 1, i),
          exchangeIndex: tpl.exchangeIndex,
          priceLevelStructure: structure,
          priceRanges: priceRangesForStructure(structure) ?? [],
          openTimeMs: startMs - HOUR,
          closeTimeMs,
          eventualOutcome,
          fair,
        },
        startMs,
      );
      // favourites trade heavily: 20 000+ contracts in 24 h ($10 000+ at 0.87)
      market.volume = kind === "favourite" ? 6_000_000 + rng.int(0, 5000) * 1_000 : rng.int(0, 5000) * 100;
      market.volume24h = Math.floor(market.volume / 3);
      market.openInterest = Math.floor(market.volume / 2);
      market.lastPrice = snapDown(market.priceRanges, Math.round(fair));
      markets.push(market);
      profiles.set(ticker, makeProfile(kind, fair, ticker, rng));
    }
    e++;
  }
  return { series, events, markets, profiles };
}
