/**
 * Node test: `npm start` trades something. The simulator as `npm run sim` starts it by default
 * (seed 1, 20 markets: sim/main.ts, sim/README.md), read over its REST API the way the feed
 * object reads Kalshi (`toMarketInfo`), must offer markets that pass the feed's default universe
 * filters (workers/feed/feed-config.ts): favourites priced 0.85 or more with $500 at the best bid,
 * $10 000 of 24 h volume, a spread of at most 2 c and room for the +2 c target below 0.99.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimControlClient } from "../../sim/control-client.ts";
import { startSimulator } from "../../sim/server/index.ts";
import { DEFAULT_FEED_CONFIG } from "../../workers/feed/feed-config.ts";
import { toMarketInfo } from "../../workers/feed/rest-port.ts";
import type { MarketInfo } from "../../workers/feed/universe.ts";
import { selectUniverse } from "../../workers/feed/universe.ts";

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
  const body = (await res.json()) as { markets: Parameters<typeof toMarketInfo>[0][] };
  return body.markets.map((m) => toMarketInfo(m)).filter((m): m is MarketInfo => typeof m !== "string");
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
      const r = selectUniverse(markets, undefined, DEFAULT_FEED_CONFIG.universe, now_ms);
      counts.push(r.selected.length);
      for (const e of r.selected) {
        expect(e.bid).toBeGreaterThanOrEqual(8_500);
        expect(e.ask - e.bid).toBeLessThanOrEqual(200);
      }
    }
    // 4 of the 20 are favourites (kinds cycle); one of them closes within the exit window.
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(3);
  });
});
