import { describe, expect, it } from "vitest";
import { SteppedClock } from "./clock.ts";
import { createExchange, type Exchange } from "./exchange.ts";
import { FAVOURITE_BAND, JUMP_MAX, JUMP_MIN, stepShock } from "./participants.ts";
import { Rng } from "./rng.ts";
import { START_MS } from "./test-helpers.ts";
import type { SimMarket } from "./types.ts";
import { makeProfile } from "./universe.ts";

const HOUR = 3_600_000;

/** The bot's entry filters on the YES side (its feed's defaults): the favourite it would buy. */
function qualifies(ex: Exchange, m: SimMarket): { bid: number; ask: number } | null {
  const b = ex.book(m.ticker);
  const yes = b?.yesBids.at(-1);
  const no = b?.noBids.at(-1);
  if (!yes || !no || m.status !== "active" || m.closeTimeMs - ex.now() <= HOUR) return null;
  const bid = yes[0];
  const ask = 10_000 - no[0];
  const ok =
    bid >= 8_500 && // favourite priced 0.85 or more
    bid * yes[1] >= 500_000_000 && // $500 at the best bid (micro-dollars)
    bid * m.volume24h >= 10_000_000_000 && // $10 000 of 24 h volume
    ask - bid <= 200 && // spread at most 2 c
    ask + 200 <= 9_900; // room for the +2 c target at or below 0.99
  return ok ? { bid, ask } : null;
}

describe("favourites' news jumps", () => {
  it.each([
    ["from the middle of the band", 9_100],
    ["turned back down at the top of the band", 9_500],
    ["turned back up at the bottom of the band", 8_850],
  ])(
    "moves a favourite by 2.5 to 4 c %s, staying in the entry band, and fades by half in a minute",
    (_name, fair) => {
      const rng = new Rng(5);
      for (let i = 0; i < 200; i++) {
        const p = makeProfile("favourite", fair, "KXTEST-1", new Rng(i));
        stepShock(p, START_MS, 0, rng, 1);
        stepShock(p, p.nextJumpMs, 0, rng, 1); // the jump
        const size = Math.abs(p.shock);
        const centre = p.fair + p.shock;
        expect(centre).toBeGreaterThanOrEqual(FAVOURITE_BAND.lo);
        expect(centre).toBeLessThanOrEqual(FAVOURITE_BAND.hi);
        // a full jump unless the band clamped it
        if (centre > FAVOURITE_BAND.lo && centre < FAVOURITE_BAND.hi) {
          expect(size).toBeGreaterThanOrEqual(JUMP_MIN);
          expect(size).toBeLessThanOrEqual(JUMP_MAX);
        }
        const before = p.shock;
        p.nextJumpMs = Number.POSITIVE_INFINITY;
        stepShock(p, START_MS + 60_000, 60_000, rng, 1);
        expect(p.shock).toBeCloseTo(before / 2, 6);
      }
    },
  );

  it("gives no news to other kinds of market, nor to any market at volatility 0", () => {
    const rng = new Rng(1);
    const tossup = makeProfile("tossup", 5_000, "KXTEST-2", new Rng(2));
    const fav = makeProfile("favourite", 9_000, "KXTEST-3", new Rng(3));
    for (let t = 0; t < 600_000; t += 1_000) {
      stepShock(tossup, START_MS + t, 1_000, rng, 1);
      stepShock(fav, START_MS + t, 1_000, rng, 0);
    }
    expect([tossup.shock, fav.shock]).toEqual([0, 0]);
  });

  // The strategy buys a qualifying favourite at the ask, rests a take-profit at +2 c and stops at
  // -1 c. With `npm run sim`'s defaults (seed 1, 20 markets, volatility 1) both exits must be
  // reachable within minutes: participants lift a resting take-profit, and trade through a stop.
  it("within 3 simulated minutes lifts a take-profit 2 c above a favourite's entry and trades 1 c below a favourite's entry", () => {
    const clock = new SteppedClock(START_MS);
    const ex = createExchange({ seed: 1, markets: 20, clock, users: [{ userId: "bot", balance: 1e12 }] });
    ex.step(5_000); // the makers quote
    const entries = new Map<string, { ask: number; tp: string }>();
    for (const m of ex.markets()) {
      const q = qualifies(ex, m);
      if (!q) continue;
      const buy = ex.createOrder("bot", {
        ticker: m.ticker,
        side: "bid",
        price: q.ask,
        count: 1_000,
        timeInForce: "immediate_or_cancel",
        selfTradePrevention: "taker_at_cross",
      });
      if (!buy.ok || buy.value.order.fillCount === 0) continue;
      const fill = buy.value.fills[0]?.yesPrice ?? q.ask;
      const tp = ex.createOrder("bot", {
        ticker: m.ticker,
        side: "ask",
        price: fill + 200,
        count: buy.value.order.fillCount,
        timeInForce: "good_till_canceled",
        selfTradePrevention: "taker_at_cross",
        postOnly: true,
      });
      if (tp.ok) entries.set(m.ticker, { ask: fill, tp: tp.value.order.orderId });
    }
    expect(entries.size).toBeGreaterThanOrEqual(3);
    const tapeFrom = ex.trades().length;
    for (let t = 0; t < 180_000; t += 250) ex.step(250);

    // up: some take-profit was lifted by a participant
    const lifted = [...entries.values()].filter((e) => ex.order("bot", e.tp)?.status === "executed");
    expect(lifted.length).toBeGreaterThanOrEqual(1);
    // down: in some favourite the tape printed below the stop (entry - 1 c)
    const tape = ex.trades().slice(tapeFrom);
    const stoppedThrough = [...entries].filter(([ticker, e]) =>
      tape.some((x) => x.ticker === ticker && x.yesPrice < e.ask - 100),
    );
    expect(stoppedThrough.length).toBeGreaterThanOrEqual(1);
  });
});
