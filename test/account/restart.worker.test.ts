/**
 * A new instance of a running account (a deploy or an eviction rebuilds the object from its
 * SQLite) must not wait a universe period to know its markets: until it does, a held position has
 * no take-profit and no entry can be made. The first alarm of the new instance loads them.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { SimControlClient } from "../../sim/control-client.ts";
import { accountHarness } from "../support/account-harness.ts";

const control = new SimControlClient(env.KALSHI_SIM_URL);
const CONFIG = {
  feed: {
    universe: { minFavouritePrice: 0, minVolume24h: 0, closingWithinMs: 0, maxMarkets: 50 },
    universeRefreshMs: 3_600_000,
  },
};

beforeEach(async () => {
  await control.reset();
});

describe("a new instance of a running account", () => {
  it("loads its markets on its first alarm, not a universe period later", async () => {
    const h = accountHarness("restart-universe", { config: CONFIG });
    for (let i = 0; i < 3; i++) await control.step(1_000); // the market makers quote
    h.clock.now = (await control.state()).now_ms;
    await h.install();
    await h.start();
    const watched = await h.inObj((a) => a.feed.wanted.filter((t) => a.market(t) !== undefined).length);
    expect(watched).toBeGreaterThan(0);

    await h.install(); // the object is rebuilt: memory is gone, SQLite stays
    expect(await h.inObj((a) => a.feed.wanted.filter((t) => a.market(t) !== undefined).length)).toBe(0);
    h.clock.now += 1_000; // far inside the hour-long universe period
    await h.alarm();
    expect(await h.inObj((a) => a.feed.wanted.filter((t) => a.market(t) !== undefined).length)).toBe(watched);
  });
});
