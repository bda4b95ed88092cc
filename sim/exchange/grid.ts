/**
 * Tick grids for the simulator, over `shared/kalshi/tick-grid.ts`: the core keeps a market's
 * `price_ranges` as integer `PriceRange`s (types.ts), so this adapter turns them into the
 * shared `TickGrid` and answers the questions matching and the participants ask. The
 * structure table itself (Kalshi's fixed-point migration guide) lives in the shared module.
 */

import {
  PRICE_LEVEL_STRUCTURES as SHARED_STRUCTURES,
  priceRangesForStructure as sharedRanges,
  snapForBuy,
  snapForSell,
  type TickGrid,
  tradablePrice,
} from "../../shared/kalshi/tick-grid.ts";
import type { PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE, parsePrice } from "../../shared/kalshi/units.ts";
import type { PriceRange } from "./types.ts";

export const PRICE_LEVEL_STRUCTURES: readonly string[] = SHARED_STRUCTURES;

/** The integer ranges of a named structure, or undefined for a name outside the published table. */
export function priceRangesForStructure(name: string): PriceRange[] | undefined {
  const ranges = sharedRanges(name);
  return ranges?.map((r) => ({
    start: parsePrice(r.start),
    end: parsePrice(r.end),
    step: parsePrice(r.step),
  }));
}

function gridOf(ranges: readonly PriceRange[]): TickGrid {
  const first = ranges[0];
  const last = ranges[ranges.length - 1];
  return { bands: ranges, min: first?.start ?? 0, max: last?.end ?? PRICE_SCALE };
}

/** True when `p` is a price an order may carry: on the grid and strictly between $0 and $1. */
export function isOnGrid(ranges: readonly PriceRange[], p: PriceUnits): boolean {
  return ranges.length > 0 && tradablePrice(gridOf(ranges), p);
}

export function minTradeable(ranges: readonly PriceRange[]): PriceUnits {
  return snapForSell(gridOf(ranges), 1) ?? 1;
}

export function maxTradeable(ranges: readonly PriceRange[]): PriceUnits {
  return snapForBuy(gridOf(ranges), PRICE_SCALE - 1) ?? PRICE_SCALE - 1;
}

/** The highest tradeable grid price <= p, or the lowest tradeable price when none is that low. */
export function snapDown(ranges: readonly PriceRange[], p: PriceUnits): PriceUnits {
  const q = Math.min(Math.max(Math.floor(p), 0), PRICE_SCALE);
  return snapForBuy(gridOf(ranges), q) ?? minTradeable(ranges);
}

/** The lowest tradeable grid price >= p, or the highest tradeable price when none is that high. */
export function snapUp(ranges: readonly PriceRange[], p: PriceUnits): PriceUnits {
  const q = Math.min(Math.max(Math.ceil(p), 0), PRICE_SCALE);
  return snapForSell(gridOf(ranges), q) ?? maxTradeable(ranges);
}
