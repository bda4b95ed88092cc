/**
 * Exits: the exit plan of a new position on several grids and in both offset modes, the
 * time/status exit signals at their boundaries and in priority order, the stop trigger, and the
 * widening, bounded exit limit price (with a property test over random books and grids).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MarketStatus } from "../domain.ts";
import { nextTickAbove, PRICE_LEVEL_STRUCTURES, snapForSell, tradablePrice } from "../kalshi/tick-grid.ts";
import { DEFAULT_STRATEGY_CONFIG, StrategyConfig } from "./config.ts";
import {
  exitLimitPrice,
  exitPlanFor,
  exitSignal,
  stopPrice,
  stopTriggered,
  takeProfitPrice,
} from "./exits.ts";
import {
  DECI_CENT,
  gridOf,
  HOUR,
  LINEAR_CENT,
  MINUTE,
  market,
  position,
  T0,
  TAPERED,
} from "./test-helpers.ts";

const CFG = DEFAULT_STRATEGY_CONFIG;
const RELATIVE = StrategyConfig.parse({ exits: { mode: "relative" } });

describe("exitPlanFor", () => {
  // [case, grid, config, entry, take-profit, stop]
  const PLANS: [string, typeof DECI_CENT, StrategyConfig, number, number, number][] = [
    ["0.90 on a deci-cent grid: +0.02 / -0.01", DECI_CENT, CFG, 9_000, 9_200, 8_900],
    ["0.90 on a whole-cent grid", LINEAR_CENT, CFG, 9_000, 9_200, 8_900],
    [
      "an off-grid average 0.9005 on a whole-cent grid: both snapped up",
      LINEAR_CENT,
      CFG,
      9_005,
      9_300,
      9_000,
    ],
    ["0.89 on a tapered grid: target in the fine band", TAPERED, CFG, 8_900, 9_100, 8_800],
    ["relative mode, 0.90: +2 % = 0.018, -1 % = 0.009", DECI_CENT, RELATIVE, 9_000, 9_180, 8_910],
    [
      "relative mode, 0.877: +0.01754 -> 0.0176 up, -0.00877 -> 0.0087 down, snapped up",
      DECI_CENT,
      RELATIVE,
      8_770,
      8_950,
      8_690,
    ],
    [
      "relative mode on a whole-cent grid: a stop that would snap onto the entry goes one tick below",
      LINEAR_CENT,
      RELATIVE,
      9_000,
      9_200,
      8_900,
    ],
    ["a target past the grid falls back to the highest tradable price", DECI_CENT, CFG, 9_950, 9_990, 9_850],
    ["a stop below $0 falls back to the smallest tradable price", DECI_CENT, CFG, 50, 250, 10],
  ];
  it.each(PLANS)("%s", (_case, grid, config, entry, tp, stop) => {
    expect(exitPlanFor("yes", entry, grid, config, T0)).toEqual({
      takeProfit: tp,
      stop,
      deadlineMs: T0 + 2 * HOUR,
    });
  });

  it("is the same for a NO position: prices are on the held side's own leg", () => {
    expect(exitPlanFor("no", 9_000, DECI_CENT, CFG, T0)).toEqual(
      exitPlanFor("yes", 9_000, DECI_CENT, CFG, T0),
    );
  });

  it("has no deadline when the hold timeout is off", () => {
    const cfg = StrategyConfig.parse({ exits: { holdTimeoutMs: null } });
    expect(exitPlanFor("yes", 9_000, DECI_CENT, cfg, T0).deadlineMs).toBeNull();
  });

  it("keeps the take-profit a tradable sell and the stop a tradable price below the entry on every grid", () => {
    const grids = PRICE_LEVEL_STRUCTURES.map(gridOf);
    fc.assert(
      fc.property(
        fc.constantFrom(...grids),
        fc.integer({ min: 200, max: 9_700 }),
        fc.boolean(),
        (grid, entry, rel) => {
          const config = rel ? RELATIVE : CFG;
          const tp = takeProfitPrice(entry, grid, config.exits);
          const stop = stopPrice(entry, grid, config.exits);
          expect(tp).not.toBeNull();
          expect(stop).not.toBeNull();
          if (tp === null || stop === null) return;
          expect(tradablePrice(grid, tp)).toBe(true);
          expect(tradablePrice(grid, stop)).toBe(true);
          expect(tp).toBeGreaterThanOrEqual(entry + (rel ? Math.ceil((entry * 2) / 100) : 200));
          expect(stop).toBeLessThan(entry);
        },
      ),
    );
  });
});

describe("exitSignal", () => {
  const plan = { takeProfit: 9_200, stop: 8_900, deadlineMs: T0 + 2 * HOUR };
  const held = position({ exits: plan });
  const at = (nowMs: number, m = market()) => exitSignal({ position: held, market: m, config: CFG, nowMs });

  it("keeps holding an active market far from close before the deadline", () => {
    expect(at(T0 + HOUR)).toBeNull();
  });

  // [case, now, close time, expected]
  const TIMES: [string, number, number, string | null][] = [
    ["1 ms before the deadline", T0 + 2 * HOUR - 1, T0 + 10 * HOUR, null],
    ["at the deadline", T0 + 2 * HOUR, T0 + 10 * HOUR, "timeout"],
    ["1 ms before the pre-close window", T0, T0 + HOUR + 1, null],
    ["as the pre-close window starts", T0, T0 + HOUR, "pre_close"],
    [
      "inside the window, also past the deadline: pre-close wins",
      T0 + 3 * HOUR,
      T0 + 3 * HOUR + 30 * MINUTE,
      "pre_close",
    ],
  ];
  it.each(TIMES)("%s", (_case, now, close, want) => {
    expect(at(now, market({ closeTimeMs: close }))?.reason ?? null).toBe(want);
  });

  const STATUSES: MarketStatus[] = [
    "initialized",
    "inactive",
    "closed",
    "determined",
    "disputed",
    "amended",
    "finalized",
  ];
  it.each(STATUSES)("leaves a %s market as deactivated, ahead of every other reason", (status) => {
    expect(at(T0 + 3 * HOUR, market({ status, closeTimeMs: T0 + 3 * HOUR }))).toEqual({
      reason: "deactivated",
    });
  });

  it("times out from the opening time when the position has no plan", () => {
    const bare = position({ exits: null, openedMs: T0 });
    expect(
      exitSignal({ position: bare, market: market(), config: CFG, nowMs: T0 + 2 * HOUR - 1 }),
    ).toBeNull();
    expect(exitSignal({ position: bare, market: market(), config: CFG, nowMs: T0 + 2 * HOUR })).toEqual({
      reason: "timeout",
    });
  });

  it("never times out with the hold timeout off and no plan deadline", () => {
    const cfg = StrategyConfig.parse({ exits: { holdTimeoutMs: null } });
    const bare = position({ exits: { ...plan, deadlineMs: null } });
    expect(exitSignal({ position: bare, market: market(), config: cfg, nowMs: T0 + 7 * HOUR })).toBeNull();
  });
});

describe("stopTriggered", () => {
  const plan = { takeProfit: 9_200, stop: 8_900, deadlineMs: null };
  it.each([
    [8_910, false],
    [8_900, true],
    [8_500, true],
    [null, false],
  ] as const)("bid %s -> %s", (bid, want) => {
    expect(stopTriggered(plan, bid)).toBe(want);
  });
});

describe("exitLimitPrice", () => {
  // default: first attempt at the bid, +$0.01 deeper per attempt, at most $0.05 below the bid
  const ATTEMPTS: [number, number][] = [
    [0, 8_900],
    [1, 8_800],
    [4, 8_500],
    [5, 8_400],
    [6, 8_400],
    [50, 8_400],
  ];
  it.each(ATTEMPTS)("attempt %i sells into a 0.89 bid at %i", (attempt, want) => {
    expect(exitLimitPrice("yes", 8_900, attempt, LINEAR_CENT, CFG)).toBe(want);
  });

  it("never goes below the smallest tradable price", () => {
    expect(exitLimitPrice("no", 300, 5, LINEAR_CENT, CFG)).toBe(100);
    expect(exitLimitPrice("no", 30, 5, DECI_CENT, CFG)).toBe(10);
  });

  it("snaps an off-grid allowance up, never selling below its bound", () => {
    const cfg = StrategyConfig.parse({ exitOrders: { slippageStep: 15 } });
    expect(exitLimitPrice("yes", 9_000, 1, LINEAR_CENT, cfg)).toBe(9_000); // 0.8985 -> 0.90
    expect(exitLimitPrice("yes", 9_000, 1, DECI_CENT, cfg)).toBe(8_990); // 0.8985 -> 0.899
  });

  it("has no price without a bid", () => {
    expect(exitLimitPrice("yes", null, 0, LINEAR_CENT, CFG)).toBeNull();
  });

  it("stays tradable, at or below the bid and within the maximum slippage of it", () => {
    const grids = PRICE_LEVEL_STRUCTURES.map(gridOf);
    fc.assert(
      fc.property(
        fc.constantFrom(...grids),
        fc.integer({ min: 1, max: 9_999 }),
        fc.integer({ min: 0, max: 20 }),
        (grid, raw, attempt) => {
          const bid = snapForSell(grid, raw); // a bid on the grid
          if (bid === null) return;
          const p = exitLimitPrice("yes", bid, attempt, grid, CFG);
          expect(p).not.toBeNull();
          if (p === null) return;
          expect(tradablePrice(grid, p)).toBe(true);
          expect(p).toBeLessThanOrEqual(bid);
          expect(bid - p <= CFG.exitOrders.maxSlippage || p === nextTickAbove(grid, 0)).toBe(true);
        },
      ),
    );
  });
});
