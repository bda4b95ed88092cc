/**
 * Tick grids for the simulator: the price ranges of each Kalshi `price_level_structure`
 * (kalshi-api.md section 4) and the checks the matching engine needs. A small internal helper
 * until `shared/kalshi/tick-grid.ts` exists; it works on `PriceRange[]` in integer units.
 * Valid order prices exclude $0 and $1.
 */

import type { PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { PriceRange } from "./types.ts";

function three(edge: number, center: number, lo = 1000, hi = 9000): PriceRange[] {
  return [
    { start: 0, end: lo, step: edge },
    { start: lo, end: hi, step: center },
    { start: hi, end: PRICE_SCALE, step: edge },
  ];
}

const STRUCTURES: Record<string, PriceRange[]> = {
  linear_cent: [{ start: 0, end: PRICE_SCALE, step: 100 }],
  deci_cent: [{ start: 0, end: PRICE_SCALE, step: 10 }],
  tapered_deci_cent: three(10, 100),
  center_whole_edge_half_cent: three(50, 100),
  center_whole_edge_quint_cent: three(20, 100),
  center_half_edge_half_cent: [{ start: 0, end: PRICE_SCALE, step: 50 }],
  center_half_edge_quint_cent: three(20, 50),
  center_half_edge_deci_cent: three(10, 50),
  center_quint_edge_quint_cent: [{ start: 0, end: PRICE_SCALE, step: 20 }],
  center_quint_edge_deci_cent: three(10, 20),
  center_centi_edge_centi_cent: [{ start: 0, end: PRICE_SCALE, step: 1 }],
  center_deci_edge_centi_cent: three(1, 10, 100, 9900),
};

export const PRICE_LEVEL_STRUCTURES: readonly string[] = Object.keys(STRUCTURES);

/** The ranges of a named structure, or undefined for a name we do not know. */
export function priceRangesForStructure(name: string): PriceRange[] | undefined {
  const ranges = STRUCTURES[name];
  return ranges?.map((r) => ({ ...r }));
}

/** True when `p` is a tradeable price on the grid: strictly between $0 and $1 and on a step. */
export function isOnGrid(ranges: readonly PriceRange[], p: PriceUnits): boolean {
  if (!Number.isInteger(p) || p <= 0 || p >= PRICE_SCALE) return false;
  for (const r of ranges) {
    if (p >= r.start && p <= r.end && (p - r.start) % r.step === 0) return true;
  }
  return false;
}

/** The highest tradeable grid price <= p (or the lowest tradeable price if none is). */
export function snapDown(ranges: readonly PriceRange[], p: PriceUnits): PriceUnits {
  let best = -1;
  for (const r of ranges) {
    if (p < r.start) continue;
    const top = Math.min(p, r.end);
    const cand = r.start + Math.floor((top - r.start) / r.step) * r.step;
    if (cand > best) best = cand;
  }
  return clampTradeable(ranges, best);
}

/** The lowest tradeable grid price >= p (or the highest tradeable price if none is). */
export function snapUp(ranges: readonly PriceRange[], p: PriceUnits): PriceUnits {
  let best = PRICE_SCALE + 1;
  for (const r of ranges) {
    if (p > r.end) continue;
    const bottom = Math.max(p, r.start);
    const cand = r.start + Math.ceil((bottom - r.start) / r.step) * r.step;
    if (cand <= r.end && cand < best) best = cand;
  }
  return clampTradeable(ranges, best);
}

export function minTradeable(ranges: readonly PriceRange[]): PriceUnits {
  let best = PRICE_SCALE;
  for (const r of ranges) if (r.start + r.step < best && r.start + r.step <= r.end) best = r.start + r.step;
  return best;
}

export function maxTradeable(ranges: readonly PriceRange[]): PriceUnits {
  let best = 0;
  for (const r of ranges) if (r.end - r.step > best && r.end - r.step >= r.start) best = r.end - r.step;
  return best;
}

function clampTradeable(ranges: readonly PriceRange[], p: PriceUnits): PriceUnits {
  const lo = minTradeable(ranges);
  const hi = maxTradeable(ranges);
  return p < lo ? lo : p > hi ? hi : p;
}
