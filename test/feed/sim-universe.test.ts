/**
 * Node test: `npm start` trades something. The simulator as `npm run sim` starts it by default
 * (seed 1, 20 markets: sim/main.ts, sim/README.md), read over its REST API the way the feed
 * object reads Kalshi (`toMarketInfo`), must offer markets that pass the feed's default universe
 * filters (workers/feed/feed-config.ts): favourites priced 0.85 or more with $500 at the best bid,
 * $10 000 of 24 h volume, a spread of at most 2 c and room for the +2 c target below 0.99.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MarketInfo } from "../../shared/domain.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import { startSimulator } from "../../sim/server/index.ts";
import { marketInfoOf } from "../../workers/feed/catalogue.ts";
import { DEFAULT_FEED_CONFIG } from "../../workers/feed/feed-config.ts";
import { favourite, selectUniverse } from "../../workers/feed/universe.ts";

/** `npm run sim` / `npm start` defaults (sim/main.ts). */
const DEFAULT_SEED = 1;
const DEFAULT_MARKETS = 20;

let sim: Awaited<ReturnType<typeof startSimulator>>;
let control: SimControlClient;

beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    seed: DEFAULT_SEED,
    markets: DEFAULT_MARKETS,
    stepped: true,
    participants: true,
    rateLimits: false,
  });
  control = new SimControlClient(sim.url);
});

afterAll(async () => {
  await sim.close();
});

async function restMarkets(): Promise<MarketInfo[]> {
  const res = await fetch(`${sim.apiUrl}/markets?limit=1000`);
  const body = (await res.json()) as { markets: Parameters<typeof marketInfoOf>[0][] };
  return body.markets.flatMap((m) => {
    const c = marketInfoOf(m);
    return typeof c === "string" ? [] : [c.info];
  });
}

describe("the default simulator universe under the default filters", () => {
  it("offers several qualifying favourites once the market makers quote, and keeps them for an hour", async () => {
    let elapsedMs = 0;
    const counts: number[] = [];
    for (const stepTo of [5_000, 15 * 60_000, 30 * 60_000, 60 * 60_000]) {
      for (; elapsedMs < stepTo; elapsedMs += 5_000) await control.step(5_000);
      const markets = await restMarkets();
      expect(markets).toHaveLength(DEFAULT_MARKETS);
      // The exit-window filter runs on the simulator's clock (its markets close 10 min to 72 h after start).
      const { now_ms } = await control.state();
      const r = selectUniverse(markets, DEFAULT_FEED_CONFIG.universe, now_ms);
      // Watched favourites that also meet the entry's price floor and spread (0.85, 2 c).
      const qualifying = r.selected.filter((t) => {
        const m = markets.find((x) => x.ticker === t);
        const f = m ? favourite(m.top) : null;
        return f !== null && f.bid >= 8_500 && f.ask - f.bid <= 200;
      });
      counts.push(qualifying.length);
    }
    // 4 of the 20 are favourites (kinds cycle); one of them closes within the exit window.
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(3);
  }, 60_000); // an hour of simulated time in 5 s steps: seconds of CPU, more on a loaded machine
});
