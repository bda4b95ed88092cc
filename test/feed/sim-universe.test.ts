/**
 * Node test: does `npm start` trade? The simulator as `npm run sim` / `npm start` starts it by
 * default (seed 1, 20 markets, `--volatility 1`: sim/main.ts, sim/README.md), read over its REST
 * API the way the account reads Kalshi (`marketInfoOf`; series and fee parameters through the
 * account's market catalogue), is judged by the strategy's own entry decision (`evaluateMarket`:
 * every criterion of shared/strategy/signal.ts, then the sizing) under the default strategy and
 * risk configuration, for an account holding the simulator's starting balance and nothing else.
 * A market counts only when the feed's default universe filter also watches it: the account never
 * evaluates the others. The book is the REST top of each market (the live book's top), fresh.
 *
 * Sampled every 5 s of exchange time over the first hour. What it showed when written: at least
 * one market to enter in 534 of the 720 samples, two markets in all (a `deci_cent` favourite in
 * 410 samples, one whose whole-cent centre turns to 0.2 c ticks above 0.90 in 244); the other
 * two favourites never: one is on a `flat` fee series (fees unknown), the other closes within the
 * pre-close window. Whole-cent quotes fail `stop_room`: a 1 c spread puts the bid on the -1 point
 * stop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BookView, MarketInfo } from "../../shared/domain.ts";
import { tickSizeAt } from "../../shared/kalshi/tick-grid.ts";
import { DEFAULT_RISK_CONFIG } from "../../shared/risk/config.ts";
import { DEFAULT_STRATEGY_CONFIG } from "../../shared/strategy/config.ts";
import { type AccountView, evaluateMarket, type MarketDecision } from "../../shared/strategy/decide.ts";
import { sizingLimitsOf } from "../../shared/strategy/sizing.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import { readSimTestKeys } from "../../sim/keys/index.ts";
import { startSimulator } from "../../sim/server/index.ts";
import { MarketCatalogue, marketInfoOf } from "../../workers/feed/catalogue.ts";
import { lazySigner, restClientFor } from "../../workers/feed/feed-adapters.ts";
import { DEFAULT_FEED_CONFIG } from "../../workers/feed/feed-config.ts";
import { selectUniverse } from "../../workers/feed/universe.ts";

/** `npm run sim` / `npm start` defaults (sim/main.ts). */
const DEFAULT_SEED = 1;
const DEFAULT_MARKETS = 20;
const DEFAULT_VOLATILITY = 1;
/** The simulator's starting balance: $10 000. */
const BALANCE = 10_000_000_000;
const STEP_MS = 5_000;
const HOUR_MS = 3_600_000;

let sim: Awaited<ReturnType<typeof startSimulator>>;
let control: SimControlClient;

beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    seed: DEFAULT_SEED,
    markets: DEFAULT_MARKETS,
    volatility: DEFAULT_VOLATILITY,
    stepped: true,
    participants: true,
    rateLimits: false,
  });
  control = new SimControlClient(sim.url);
});

afterAll(async () => {
  await sim.close();
});

/** Every open market over public REST, in domain units, without series or fees. */
async function restMarkets(): Promise<MarketInfo[]> {
  const res = await fetch(`${sim.apiUrl}/markets?limit=1000`);
  const body = (await res.json()) as { markets: Parameters<typeof marketInfoOf>[0][] };
  return body.markets.flatMap((m) => {
    const c = marketInfoOf(m);
    return typeof c === "string" ? [] : [c.info];
  });
}

/** A fresh account: the starting balance, nothing held, the order group's default room (1 000 contracts). */
const ACCOUNT: AccountView = { equity: BALANCE, openPositions: 0, totalExposure: 0, orderGroupRoom: 100_000 };

function decide(m: MarketInfo, nowMs: number): MarketDecision {
  const book: BookView = {
    ticker: m.ticker,
    fresh: true,
    staleReason: null,
    confirmedAtMs: nowMs,
    top: m.top,
  };
  return evaluateMarket(
    { market: m, book, position: null, workingOrders: [], hasUnknownOrder: false, nowMs },
    ACCOUNT,
    DEFAULT_STRATEGY_CONFIG,
    sizingLimitsOf(DEFAULT_RISK_CONFIG),
  );
}

describe("the default simulator universe under the default strategy", () => {
  it("offers a market the strategy enters most of the first hour, always on a grid finer than a cent", async () => {
    await control.step(STEP_MS); // the market makers quote
    const first = await restMarkets();
    expect(first).toHaveLength(DEFAULT_MARKETS);
    const keys = readSimTestKeys();
    const rest = restClientFor(sim.apiUrl, lazySigner(keys.keyId, keys.privateKeyPem));
    const catalogue = new MarketCatalogue(rest, { log: () => {}, nowMs: () => Date.now() });
    const fees = new Map((await catalogue.withFees(first)).map((m) => [m.ticker, m]));

    let samples = 0;
    let withEntry = 0;
    const entered = new Map<string, number>();
    const entries: { bid: number; ask: number; tick: number | null }[] = [];
    for (let elapsed = STEP_MS; elapsed <= HOUR_MS; elapsed += STEP_MS) {
      if (elapsed > STEP_MS) await control.step(STEP_MS);
      const { now_ms } = await control.state();
      const markets = (await restMarkets()).map((live) => {
        const known = fees.get(live.ticker);
        return { ...live, seriesTicker: known?.seriesTicker ?? "", fee: known?.fee ?? null };
      });
      const watched = new Set(selectUniverse(markets, DEFAULT_FEED_CONFIG.universe, now_ms).selected);
      samples++;
      let any = false;
      for (const m of markets) {
        if (!watched.has(m.ticker)) continue;
        const d = decide(m, now_ms);
        if (d.verdict !== "enter" || d.explanation.prices === undefined) continue;
        any = true;
        entered.set(m.ticker, (entered.get(m.ticker) ?? 0) + 1);
        const { bid, ask } = d.explanation.prices;
        entries.push({ bid, ask, tick: tickSizeAt(m.grid, bid) });
      }
      if (any) withEntry++;
    }

    expect(samples).toBe(HOUR_MS / STEP_MS);
    // Something to trade in more than half of the samples (534 of 720 when written), from more than one market.
    expect(withEntry).toBeGreaterThan(samples / 2);
    expect(entered.size).toBeGreaterThanOrEqual(2);
    // Every entry has a spread under a cent on a grid finer than a cent there: with the -1 point
    // stop, a whole-cent market's bid sits on the stop (`stop_room`).
    for (const e of entries) {
      expect(e.ask - e.bid).toBeLessThan(100);
      expect(e.tick).toBeLessThan(100);
    }
  }, 120_000); // an hour of simulated time in 5 s steps: seconds of CPU, more on a loaded machine
});
