import { describe, expect, it } from "vitest";
import { SteppedClock } from "./clock.ts";
import { createExchange } from "./exchange.ts";
import { PRICE_LEVEL_STRUCTURES } from "./grid.ts";
import { START_MS } from "./test-helpers.ts";
import { isMultivariate } from "./types.ts";
import { generateUniverse } from "./universe.ts";

describe("universe", () => {
  it("is the same for the same seed and differs for another", () => {
    expect(generateUniverse(42, 40, START_MS)).toEqual(generateUniverse(42, 40, START_MS));
    expect(generateUniverse(43, 40, START_MS).markets).not.toEqual(
      generateUniverse(42, 40, START_MS).markets,
    );
  });

  it("covers every price level structure, shard and fee type, with unique tickers and ids", () => {
    const u = generateUniverse(7, 60, START_MS);
    expect(u.markets).toHaveLength(60);
    expect(new Set(u.markets.map((m) => m.priceLevelStructure))).toEqual(new Set(PRICE_LEVEL_STRUCTURES));
    expect(new Set(u.markets.map((m) => m.exchangeIndex))).toEqual(new Set([0, 1, 2, 3]));
    expect(new Set(u.series.map((s) => s.feeType))).toEqual(
      new Set(["quadratic", "quadratic_with_maker_fees", "quadratic_with_combo_maker_fees", "flat"]),
    );
    expect(new Set(u.series.map((s) => s.feeMultiplierPpm)).size).toBeGreaterThan(2);
    expect(new Set(u.markets.map((m) => m.ticker)).size).toBe(60);
    expect(new Set(u.markets.map((m) => m.marketId)).size).toBe(60);
    for (const m of u.markets) {
      const ev = u.events.find((e) => e.eventTicker === m.eventTicker);
      expect(ev?.exchangeIndex).toBe(m.exchangeIndex);
    }
  });

  it("lists a combo (KXMVE) market with its event in the default universe, so mve_filter=exclude matters", () => {
    // `npm run sim` defaults: seed 1, 20 markets
    const u = generateUniverse(1, 20, START_MS);
    const combos = u.markets.filter((m) => isMultivariate(m.seriesTicker));
    expect(combos.length).toBeGreaterThanOrEqual(1);
    expect(combos.every((m) => m.ticker.startsWith("KXMVE") && m.exchangeIndex === 1)).toBe(true);
    expect(u.events.filter((e) => isMultivariate(e.seriesTicker)).length).toBeGreaterThanOrEqual(1);
  });

  it("has favourites at 85 c and above, toss-ups, thin and liquid books, and varied close times", () => {
    const u = generateUniverse(7, 60, START_MS);
    const kinds = [...u.profiles.values()];
    expect(kinds.filter((p) => p.kind === "favourite").every((p) => p.fair >= 8500)).toBe(true);
    expect(kinds.filter((p) => p.kind === "tossup").every((p) => p.fair >= 4500 && p.fair <= 5500)).toBe(
      true,
    );
    expect(kinds.filter((p) => p.kind === "thin").every((p) => p.makers.length === 1)).toBe(true);
    expect(kinds.filter((p) => p.kind === "liquid").every((p) => p.makers.length === 4)).toBe(true);
    const closes = u.markets.map((m) => m.closeTimeMs - START_MS);
    expect(Math.min(...closes)).toBeLessThanOrEqual(3_600_000);
    expect(Math.max(...closes)).toBeGreaterThan(24 * 3_600_000);
    expect(u.markets.every((m) => m.status === "active" && m.volume >= 0 && m.openInterest <= m.volume)).toBe(
      true,
    );
  });

  it("fills the books, trades between participants and reproduces the same run from the seed", () => {
    const run = () => {
      const ex = createExchange({ seed: 9, markets: 15, clock: new SteppedClock(START_MS), users: [] });
      for (let i = 0; i < 300; i++) ex.step(100);
      return ex;
    };
    const a = run();
    const b = run();
    expect(a.trades()).toEqual(b.trades());
    expect(a.markets().map((m) => a.book(m.ticker))).toEqual(b.markets().map((m) => b.book(m.ticker)));
    expect(a.counters().trades).toBeGreaterThan(0);
    const depth = (t: string) => {
      const bk = a.book(t);
      return [...(bk?.yesBids ?? []), ...(bk?.noBids ?? [])].reduce((s, l) => s + l[1], 0);
    };
    const markets = a.markets();
    expect(markets.every((m) => (a.book(m.ticker)?.yesBids.length ?? 0) > 0 || m.status !== "active")).toBe(
      true,
    );
    // market index 2 is thin, 3 liquid (kinds cycle tossup, favourite, thin, liquid, longshot)
    expect(depth((markets[3] as { ticker: string }).ticker)).toBeGreaterThan(
      depth((markets[2] as { ticker: string }).ticker),
    );
  });

  it("drifts the participants' prices toward the hidden outcome as close approaches", () => {
    const clock = new SteppedClock(START_MS);
    const ex = createExchange({ seed: 5, markets: 0, clock, users: [] });
    const yes = ex.createMarket({
      kind: "liquid",
      fair: 5000,
      eventualOutcome: "yes",
      closeTimeMs: START_MS + 600_000,
    });
    const no = ex.createMarket({
      kind: "liquid",
      fair: 5000,
      eventualOutcome: "no",
      closeTimeMs: START_MS + 600_000,
    });
    if (!yes.ok || !no.ok) throw new Error("market creation failed");
    for (let i = 0; i < 590; i++) ex.step(1_000);
    const bestYesBid = (t: string) => ex.book(t)?.yesBids.at(-1)?.[0] ?? 0;
    expect(bestYesBid(yes.value.ticker)).toBeGreaterThan(8000);
    expect(bestYesBid(no.value.ticker)).toBeLessThan(2000);
  });
});
