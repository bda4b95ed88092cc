/**
 * Per-market tick grids. Kalshi publishes each market's valid prices as `price_ranges`
 * (`[{ start, end, step }]`, dollar strings, on the Market object and on
 * `market_lifecycle_v2` `created` / `price_level_structure_updated` events); any off-grid
 * order price is rejected by the exchange. `parseTickGrid` validates those bands into a
 * `TickGrid` in integer price units ($0.0001, see `units.ts`), and the functions here check
 * and snap prices against it. The executor and strategy call them on the order path; the
 * simulator uses `priceRangesForStructure` to give its markets the published structures.
 *
 * Grid semantics:
 * - The valid prices of a band are `start + k * step` for `start <= p <= end`; the bands are
 *   contiguous (each starts where the previous ends) and `step` divides `end - start`, so
 *   every band edge is a valid price.
 * - A boundary price such as $0.10 on `tapered_deci_cent` is the end of the fine band and the
 *   start of the coarse one. It is on the lattice of both, so it is valid whichever band it
 *   is assigned to; for lookups a band owns `[start, end)` (the boundary belongs to the band
 *   that starts there, the coarse one in that example) and the last band also owns its `end`.
 *   Moving off the boundary uses the band on that side: below $0.10 the next tick is $0.099,
 *   above it $0.11.
 * - $0 and $1 are grid prices (the bands start and end there) but never tradable:
 *   `tradablePrice` and the buy/sell snaps exclude them.
 *
 * Band maths is integers only. A grid has one to three bands, so a linear scan is the
 * fastest lookup; nothing here allocates after parsing.
 */

import { FixedPointError, formatPrice, PRICE_SCALE, type PriceUnits, parsePrice } from "./units.ts";

/** One `price_ranges` entry as Kalshi sends it: dollar strings, e.g. `{ start: "0.0000", end: "1.0000", step: "0.0010" }`. */
export interface PriceRange {
  readonly start: string;
  readonly end: string;
  readonly step: string;
}

/** One validated band in price units: valid prices are `start + k * step` up to `end`. */
export interface TickBand {
  readonly start: PriceUnits;
  readonly end: PriceUnits;
  readonly step: PriceUnits;
}

/** A validated, sorted, contiguous set of bands. Build it with `parseTickGrid`. */
export interface TickGrid {
  readonly bands: readonly TickBand[];
  /** Lowest grid price (the first band's start). */
  readonly min: PriceUnits;
  /** Highest grid price (the last band's end). */
  readonly max: PriceUnits;
}

export type SnapDirection = "down" | "up";

export class TickGridError extends Error {
  override name = "TickGridError";
}

function parseBound(what: string, s: unknown): PriceUnits {
  try {
    return parsePrice(s);
  } catch (err) {
    if (err instanceof FixedPointError) throw new TickGridError(`${what}: ${err.message}`);
    throw err;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Validates Kalshi `price_ranges` into a `TickGrid`. Throws `TickGridError` naming the bad
 * entry when the list is empty, a bound or step is not a price string within [$0, $1], a
 * step is zero, a band is empty or its step does not divide it, or bands overlap or leave a
 * gap. Bands may arrive in any order; they are sorted by start.
 */
export function parseTickGrid(ranges: readonly PriceRange[]): TickGrid {
  const input: unknown = ranges;
  if (!Array.isArray(input)) throw new TickGridError("price_ranges: expected an array of {start, end, step}");
  if (input.length === 0) throw new TickGridError("price_ranges: empty; a market needs at least one band");
  const bands: TickBand[] = [];
  for (let i = 0; i < input.length; i++) {
    const r: unknown = input[i];
    const at = `price_ranges[${i}]`;
    if (!isRecord(r)) throw new TickGridError(`${at}: expected an object {start, end, step}`);
    const start = parseBound(`${at}.start`, r.start);
    const end = parseBound(`${at}.end`, r.end);
    const step = parseBound(`${at}.step`, r.step);
    if (step === 0) throw new TickGridError(`${at}: step is zero`);
    if (end <= start) {
      throw new TickGridError(
        `${at}: empty band, end ${formatPrice(end)} is not above start ${formatPrice(start)}`,
      );
    }
    if ((end - start) % step !== 0) {
      throw new TickGridError(
        `${at}: step ${formatPrice(step)} does not divide the band ${formatPrice(start)}-${formatPrice(end)}`,
      );
    }
    bands.push(Object.freeze({ start, end, step }));
  }
  bands.sort((a, b) => a.start - b.start);
  for (let i = 1; i < bands.length; i++) {
    const prev = bands[i - 1] as TickBand;
    const cur = bands[i] as TickBand;
    if (cur.start < prev.end) {
      throw new TickGridError(
        `price_ranges: bands ${formatPrice(prev.start)}-${formatPrice(prev.end)} and ` +
          `${formatPrice(cur.start)}-${formatPrice(cur.end)} overlap`,
      );
    }
    if (cur.start > prev.end) {
      throw new TickGridError(
        `price_ranges: gap between ${formatPrice(prev.end)} and ${formatPrice(cur.start)}`,
      );
    }
  }
  const first = bands[0] as TickBand;
  const last = bands[bands.length - 1] as TickBand;
  return Object.freeze({ bands: Object.freeze(bands), min: first.start, max: last.end });
}

/** The result form of `parseTickGrid`, for callers (such as a lifecycle event handler) that must not throw. */
export function safeParseTickGrid(
  ranges: readonly PriceRange[],
): { ok: true; grid: TickGrid } | { ok: false; error: string } {
  try {
    return { ok: true, grid: parseTickGrid(ranges) };
  } catch (err) {
    if (err instanceof TickGridError) return { ok: false, error: err.message };
    throw err;
  }
}

function isPriceInt(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= PRICE_SCALE;
}

/** The band owning `p` (`[start, end)`, the last band also its end); `p` must lie in [min, max]. */
function bandOf(grid: TickGrid, p: number): TickBand {
  const bands = grid.bands;
  const last = bands.length - 1;
  let i = 0;
  while (i < last && p >= (bands[i] as TickBand).end) i++;
  return bands[i] as TickBand;
}

/** True when `p` is an integer price that the market accepts as a price level (including $0 and $1). */
export function isOnGrid(grid: TickGrid, p: PriceUnits): boolean {
  if (!Number.isInteger(p) || p < grid.min || p > grid.max) return false;
  const b = bandOf(grid, p);
  return (p - b.start) % b.step === 0;
}

/**
 * The nearest grid price at or below (`"down"`) or at or above (`"up"`) `p`. Null when there
 * is none in that direction, or `p` is not an integer price in [0, 10 000].
 */
export function snapPrice(grid: TickGrid, p: PriceUnits, direction: SnapDirection): PriceUnits | null {
  if (!isPriceInt(p)) return null;
  if (direction === "down") {
    if (p < grid.min) return null;
    if (p >= grid.max) return grid.max;
    const b = bandOf(grid, p);
    return p - ((p - b.start) % b.step);
  }
  if (p > grid.max) return null;
  if (p <= grid.min) return grid.min;
  const b = bandOf(grid, p);
  const r = (p - b.start) % b.step;
  // The band's end is on its lattice, so rounding up never leaves the band's closed range.
  return r === 0 ? p : p + (b.step - r);
}

/** True when `p` is on the grid and strictly between $0 and $1: a price an order may carry. */
export function tradablePrice(grid: TickGrid, p: PriceUnits): boolean {
  return p > 0 && p < PRICE_SCALE && isOnGrid(grid, p);
}

/**
 * The price to send for a buy limited at `p`: the highest tradable price at or below `p`, so
 * the order never pays more than asked. Null when no tradable price is that low.
 */
export function snapForBuy(grid: TickGrid, p: PriceUnits): PriceUnits | null {
  if (!isPriceInt(p)) return null;
  const s = snapPrice(grid, p === PRICE_SCALE ? p - 1 : p, "down");
  return s !== null && s > 0 ? s : null;
}

/**
 * The price to send for a sell limited at `p`: the lowest tradable price at or above `p`, so
 * the order never sells for less than asked. Null when no tradable price is that high.
 */
export function snapForSell(grid: TickGrid, p: PriceUnits): PriceUnits | null {
  if (!isPriceInt(p)) return null;
  const s = snapPrice(grid, p === 0 ? 1 : p, "up");
  return s !== null && s < PRICE_SCALE ? s : null;
}

/** The smallest grid price strictly above `p` (which need not be on the grid); null past the top. */
export function nextTickAbove(grid: TickGrid, p: PriceUnits): PriceUnits | null {
  if (!isPriceInt(p) || p === PRICE_SCALE) return null;
  return snapPrice(grid, p + 1, "up");
}

/** The largest grid price strictly below `p` (which need not be on the grid); null past the bottom. */
export function nextTickBelow(grid: TickGrid, p: PriceUnits): PriceUnits | null {
  if (!isPriceInt(p) || p === 0) return null;
  return snapPrice(grid, p - 1, "down");
}

/** The tick size in force at `p` (the owning band's step, see the boundary rule above); null off the grid's span. */
export function tickSizeAt(grid: TickGrid, p: PriceUnits): PriceUnits | null {
  if (!Number.isInteger(p) || p < grid.min || p > grid.max) return null;
  return bandOf(grid, p).step;
}

/** Every `price_level_structure` name in Kalshi's published table (its fixed-point migration guide). */
export const PRICE_LEVEL_STRUCTURES = [
  "linear_cent",
  "deci_cent",
  "tapered_deci_cent",
  "center_whole_edge_half_cent",
  "center_whole_edge_quint_cent",
  "center_half_edge_half_cent",
  "center_half_edge_quint_cent",
  "center_half_edge_deci_cent",
  "center_quint_edge_quint_cent",
  "center_quint_edge_deci_cent",
  "center_centi_edge_centi_cent",
  "center_deci_edge_centi_cent",
] as const;
export type PriceLevelStructure = (typeof PRICE_LEVEL_STRUCTURES)[number];

function uniform(step: string): readonly PriceRange[] {
  return Object.freeze([Object.freeze({ start: "0.0000", end: "1.0000", step })]);
}

/** Fine `edge` ticks below `lo` and above `hi`, `center` ticks between, as in Kalshi's tapered example. */
function edged(lo: string, hi: string, edge: string, center: string): readonly PriceRange[] {
  return Object.freeze([
    Object.freeze({ start: "0.0000", end: lo, step: edge }),
    Object.freeze({ start: lo, end: hi, step: center }),
    Object.freeze({ start: hi, end: "1.0000", step: edge }),
  ]);
}

// Kalshi documents the edges as "below $0.10 and above $0.90" ($0.01 / $0.99 for
// center_deci_edge_centi_cent) and publishes tapered_deci_cent as the three bands
// 0.00-0.10, 0.10-0.90, 0.90-1.00; the center_* structures follow the same shape. Where the
// center and edge steps are equal Kalshi's own example is a single band (deci_cent), so
// those are one band here too.
const STRUCTURE_RANGES: Readonly<Record<PriceLevelStructure, readonly PriceRange[]>> = Object.freeze({
  linear_cent: uniform("0.0100"),
  deci_cent: uniform("0.0010"),
  tapered_deci_cent: edged("0.1000", "0.9000", "0.0010", "0.0100"),
  center_whole_edge_half_cent: edged("0.1000", "0.9000", "0.0050", "0.0100"),
  center_whole_edge_quint_cent: edged("0.1000", "0.9000", "0.0020", "0.0100"),
  center_half_edge_half_cent: uniform("0.0050"),
  center_half_edge_quint_cent: edged("0.1000", "0.9000", "0.0020", "0.0050"),
  center_half_edge_deci_cent: edged("0.1000", "0.9000", "0.0010", "0.0050"),
  center_quint_edge_quint_cent: uniform("0.0020"),
  center_quint_edge_deci_cent: edged("0.1000", "0.9000", "0.0010", "0.0020"),
  center_centi_edge_centi_cent: uniform("0.0001"),
  center_deci_edge_centi_cent: edged("0.0100", "0.9900", "0.0001", "0.0010"),
});

function isStructure(name: string): name is PriceLevelStructure {
  return Object.hasOwn(STRUCTURE_RANGES, name);
}

/**
 * The `price_ranges` of a named `price_level_structure`, for the simulator and for tests. Null
 * for names outside the published table (`banded_centi_cent`, `""`, anything newer): the bot
 * itself always trades from the market's own `price_ranges`, never from the name.
 */
export function priceRangesForStructure(name: string): readonly PriceRange[] | null {
  return isStructure(name) ? STRUCTURE_RANGES[name] : null;
}
