/**
 * Exits, pure: the exit plan a new position is kept with (take-profit, stop, deadline), the
 * time- and status-based exit signals for a held position, the stop trigger test, and the
 * bounded limit price of an aggressive exit. The signal uses the same price maths to check a
 * market before entry; the order path's exit keeper calls these for every open position.
 *
 * Grid choices (every price is on the position's own leg, on the market's tick grid):
 * - take-profit: a resting sell, snapped UP (`snapForSell`): it never sells for less than
 *   entry + offset;
 * - stop: the synthetic trigger "best bid <= stop", snapped UP: a higher trigger fires at or
 *   before the intended level, never later, so the loss is never larger than planned before
 *   slippage;
 * - exit limit: bid minus a widening allowance, floored at the widest allowed slippage and at
 *   the smallest tradable price, snapped UP (`snapForSell`): it never sells below its bound.
 *
 * Prices are on the held side's own leg, so the maths is the same for YES and NO; the `side`
 * parameters are kept so call sites read as what they mean.
 */

import type { BookView, ExitPlan, MarketInfo, Position, PriceUnits, Side, TickGrid } from "../domain.ts";
import { nextTickAbove, nextTickBelow, snapForSell, snapPrice } from "../kalshi/tick-grid.ts";
import { PRICE_SCALE } from "../kalshi/units.ts";
import type { ExitConfig, StrategyConfig } from "./config.ts";

/** Why a held position is left without its take-profit or stop. */
export type ExitSignalReason = "timeout" | "pre_close" | "deactivated";
export interface ExitSignal {
  reason: ExitSignalReason;
}

/** `x`, or its nearest integer when `x` is within float noise of it (so 9000 x 1.1 / 100 is 99). */
function settle(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) < 1e-9 ? r : x;
}

/** The take-profit distance above `entry`, in price units: rounded up in `relative` mode. */
export function takeProfitOffset(entry: PriceUnits, exits: ExitConfig): PriceUnits {
  if (exits.mode === "points") return exits.takeProfitPoints;
  return Math.max(1, Math.ceil(settle((entry * exits.takeProfitPct) / 100)));
}

/** The stop distance below `entry`, in price units: rounded down in `relative` mode (at least 1). */
export function stopOffset(entry: PriceUnits, exits: ExitConfig): PriceUnits {
  if (exits.mode === "points") return exits.stopPoints;
  return Math.max(1, Math.floor(settle((entry * exits.stopPct) / 100)));
}

/** entry + offset, snapped up to a tradable price; null when none is that high. */
export function takeProfitPrice(entry: PriceUnits, grid: TickGrid, exits: ExitConfig): PriceUnits | null {
  const target = entry + takeProfitOffset(entry, exits);
  return target >= PRICE_SCALE ? null : snapForSell(grid, target);
}

/**
 * entry - offset, snapped up (an earlier trigger); null when that is not above $0. When the
 * grid is coarser than the offset, snapping up can land on the entry itself (a stop that fires
 * at once); the stop is then the next grid price below the entry, the nearest one that does not.
 */
export function stopPrice(entry: PriceUnits, grid: TickGrid, exits: ExitConfig): PriceUnits | null {
  const target = entry - stopOffset(entry, exits);
  if (target <= 0) return null;
  let s = snapPrice(grid, target, "up");
  if (s !== null && s >= entry) s = nextTickBelow(grid, entry);
  return s !== null && s > 0 && s < PRICE_SCALE ? s : null;
}

/**
 * The plan a position opened at `avgEntry` (on `side`'s leg, possibly an off-grid average of
 * fills) is kept with. Where the offset leaves the grid the plan falls back to the highest
 * tradable price (take-profit) or the smallest one (stop). The deadline is `nowMs` (the fill)
 * plus the hold timeout. The entry signal checks `maxTakeProfitPrice` before entering; the plan
 * itself is not capped by it, so a position filled higher than planned still gets a target
 * above its cost.
 */
export function exitPlanFor(
  _side: Side,
  avgEntry: PriceUnits,
  grid: TickGrid,
  config: StrategyConfig,
  nowMs: number,
): ExitPlan {
  const highest = nextTickBelow(grid, PRICE_SCALE) ?? PRICE_SCALE - 1;
  const lowest = nextTickAbove(grid, 0) ?? 1;
  const hold = config.exits.holdTimeoutMs;
  return {
    takeProfit: takeProfitPrice(avgEntry, grid, config.exits) ?? highest,
    stop: stopPrice(avgEntry, grid, config.exits) ?? lowest,
    deadlineMs: hold === null ? null : nowMs + hold,
  };
}

/** True when the best bid of the held side has reached the stop (bid <= stop). */
export function stopTriggered(plan: ExitPlan, bid: PriceUnits | null): boolean {
  return bid !== null && bid <= plan.stop;
}

export interface ExitSignalInput {
  position: Position;
  market: MarketInfo;
  /** Not read by these time and status exits (the stop is `stopTriggered`'s); callers may pass the context whole. */
  book?: BookView;
  config: StrategyConfig;
  nowMs: number;
}

/**
 * Why a held position must be left now, other than its take-profit or stop, by priority:
 * `deactivated` (the market is not `active`: paused, closed, determined or later), `pre_close`
 * (the market closes within the pre-close window), `timeout` (the plan's deadline, or
 * opened + hold timeout when the position has no plan, has passed). Null = keep holding.
 */
export function exitSignal(input: ExitSignalInput): ExitSignal | null {
  const { position, market, config, nowMs } = input;
  if (market.status !== "active") return { reason: "deactivated" };
  if (market.closeTimeMs - nowMs <= config.exits.preCloseWindowMs) return { reason: "pre_close" };
  const hold = config.exits.holdTimeoutMs;
  const deadline = position.exits?.deadlineMs ?? (hold === null ? null : position.openedMs + hold);
  if (deadline !== null && nowMs >= deadline) return { reason: "timeout" };
  return null;
}

/**
 * The limit price of immediate-or-cancel exit attempt `attempt` (0 = first) selling `side` into
 * best bid `bid`: bid - min(initialSlippage + attempt x slippageStep, maxSlippage), floored at
 * the smallest tradable price and snapped up to the grid. Attempts past `maxAttempts` keep the
 * widest price (the exit never stops; the account alerts at `maxAttempts`). Null when there is no bid or no
 * tradable price at or above the bound.
 */
export function exitLimitPrice(
  _side: Side,
  bid: PriceUnits | null,
  attempt: number,
  grid: TickGrid,
  config: StrategyConfig,
): PriceUnits | null {
  if (bid === null || !Number.isInteger(bid) || bid <= 0 || bid >= PRICE_SCALE) return null;
  const o = config.exitOrders;
  const n = Math.max(0, Math.floor(attempt));
  const depth = Math.min(o.initialSlippage + n * o.slippageStep, o.maxSlippage);
  const lowest = nextTickAbove(grid, 0);
  if (lowest === null) return null;
  return snapForSell(grid, Math.max(bid - depth, lowest));
}
